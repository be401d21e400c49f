/* airlock/encoding.h - hex, base64 and Bech32 codecs.
 * Decoders read untrusted text and accept only the canonical encoding. */
#ifndef AIRLOCK_ENCODING_H
#define AIRLOCK_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of len bytes into out (2*len+1 bytes incl. NUL). */
void airlock_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly outlen bytes from exactly 2*outlen hex digits (either
 * case). Returns 0, or -1 for any other input. */
int airlock_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
    __attribute__((warn_unused_result));

/* Base64, RFC 4648 standard alphabet. AIRLOCK_B64_NOPAD is age's form (no
 * '=' ever, canonical trailing bits); AIRLOCK_B64_PAD is minisign's form. */
enum airlock_b64_variant { AIRLOCK_B64_NOPAD, AIRLOCK_B64_PAD };
/* Length of the encoding of len bytes, excluding the NUL. */
size_t airlock_b64_encoded_len(size_t len, enum airlock_b64_variant v);
/* Writes the encoding and a NUL; out must hold encoded_len + 1 bytes. */
void airlock_b64_encode(char *out, const uint8_t *in, size_t len, enum airlock_b64_variant v);
/* Decodes in (no whitespace allowed) into out (capacity outcap); stores the
 * decoded length in *outlen. Rejects non-canonical input. Returns 0 or -1. */
int airlock_b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen, enum airlock_b64_variant v) __attribute__((warn_unused_result));

/* Bech32 (BIP-173, checksum constant 1, no length limit). encode writes
 * hrp (lowercased unless upper != 0, then all uppercase) + '1' + data;
 * returns 0, or -1 if out (outcap bytes) is too small. */
int airlock_bech32_encode(char *out, size_t outcap, const char *hrp, const uint8_t *data,
    size_t len, int upper);
/* Decodes s; hrp_out gets the lowercase hrp (capacity hrpcap), data the
 * 8-bit payload (capacity datacap). Returns 0 or -1 (bad checksum, mixed
 * case, bad padding, ...). */
int airlock_bech32_decode(char *hrp_out, size_t hrpcap, uint8_t *data, size_t datacap,
    size_t *datalen, const char *s) __attribute__((warn_unused_result));

#endif
