/* airlock/age.h - age v1 encryption (X25519 recipients) and decryption
 * (X25519 identities), streaming, exactly as the C2SP age spec and age 1.1.1;
 * plus identity files, plain (age-keygen) or passphrase-encrypted (age -p). */
#ifndef AIRLOCK_AGE_H
#define AIRLOCK_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/minisign.h"      /* enum airlock_kdf_cost */

#define AIRLOCK_AGE_RECIPIENT_LEN 62     /* "age1" + 58, without NUL */
#define AIRLOCK_AGE_IDENTITY_LEN 74      /* "AGE-SECRET-KEY-1" + 58, without NUL */

/* Recipient strings "age1..." <-> 32-byte X25519 public keys. parse returns
 * AIRLOCK_E_USAGE with a message for anything that is not a valid recipient. */
enum airlock_code airlock_age_recipient_parse(uint8_t pk[32], const char *s,
    struct airlock_err *err);
void airlock_age_recipient_format(char out[AIRLOCK_AGE_RECIPIENT_LEN + 1], const uint8_t pk[32]);

/* An identity (secret scalar) in sodium_malloc'd memory. */
struct airlock_age_identity;
enum airlock_code airlock_age_identity_generate(struct airlock_age_identity **id,
    struct airlock_err *err);
enum airlock_code airlock_age_identity_parse(struct airlock_age_identity **id, const char *s,
    struct airlock_err *err);
void airlock_age_identity_public(const struct airlock_age_identity *id, uint8_t pk[32]);
void airlock_age_identity_free(struct airlock_age_identity *id);

/* Identity file. write: passphrase NULL gives age-keygen's plaintext format
 * ("# created: ...", "# public key: age1...", "AGE-SECRET-KEY-1..."); with
 * a passphrase, that text encrypted as an age scrypt file (what `age -p`
 * makes; `age -d -i FILE` asks for the passphrase). O_EXCL, mode 0600.
 * read: accepts either form (takes the first identity line); refuses files
 * readable by group or others; a wrong passphrase gives a message saying so. */
enum airlock_code airlock_age_identity_write_file(const struct airlock_age_identity *id,
    const char *path, const char *passphrase, enum airlock_kdf_cost cost,
    struct airlock_err *err);
enum airlock_code airlock_age_identity_read_file(struct airlock_age_identity **id,
    const char *path, const char *passphrase, struct airlock_err *err);
int airlock_age_identity_file_is_encrypted(const char *path, struct airlock_err *err);

/* Streaming encryption to n X25519 recipients: header at open, then 64 KiB
 * STREAM chunks as data arrives, final chunk at finish. Output goes to out.
 * Memory is constant. */
struct airlock_age_writer;
enum airlock_code airlock_age_writer_new(struct airlock_age_writer **w, struct airlock_sink out,
    const uint8_t (*recipients)[32], size_t n, struct airlock_err *err);
/* The writer as a sink, for chaining (zstd -> age -> file). */
struct airlock_sink airlock_age_writer_sink(struct airlock_age_writer *w);
enum airlock_code airlock_age_writer_finish(struct airlock_age_writer *w, struct airlock_err *err);
void airlock_age_writer_free(struct airlock_age_writer *w);   /* wipes keys */

/* Streaming decryption of untrusted input. new() reads and checks the
 * header (strict grammar, X25519 unwrap, MAC); AIRLOCK_E_VERIFY if the file
 * is malformed, is not for this identity, or the MAC fails. read() returns
 * plaintext of each chunk only after that chunk authenticates; 0 means the
 * final chunk authenticated and nothing follows; -1 = error (AIRLOCK_E_VERIFY
 * for any tampering, truncation or trailing data). */
struct airlock_age_reader;
enum airlock_code airlock_age_reader_new(struct airlock_age_reader **r, struct airlock_source in,
    const struct airlock_age_identity *id, struct airlock_err *err);
ssize_t airlock_age_reader_read(struct airlock_age_reader *r, void *buf, size_t len,
    struct airlock_err *err);
struct airlock_source airlock_age_reader_source(struct airlock_age_reader *r);
void airlock_age_reader_free(struct airlock_age_reader *r);

/* Decryption with several keys and a precise verdict (the CCTV test
 * vectors tell these apart; the importer only needs AIRLOCK_E_VERIFY).
 * Keys are tried in age's order: each X25519 identity, then each
 * passphrase on a scrypt stanza whose work factor is at most max_log_n
 * (age caps it at 22). *why is set whenever new() or read() fails with
 * AIRLOCK_E_VERIFY: header = malformed header, bad stanza, scrypt mixed
 * with other stanzas, missing payload nonce; no_match = no key opens any
 * stanza; hmac = header MAC wrong; payload = STREAM failure. why may be NULL. */
enum airlock_age_failure {
	AIRLOCK_AGE_FAIL_NONE,
	AIRLOCK_AGE_FAIL_HEADER,
	AIRLOCK_AGE_FAIL_NO_MATCH,
	AIRLOCK_AGE_FAIL_HMAC,
	AIRLOCK_AGE_FAIL_PAYLOAD,
};
struct airlock_age_keys {
	const struct airlock_age_identity *const *ids;
	size_t n_ids;
	const char *const *passphrases;
	size_t n_passphrases;
	int max_log_n;
};
enum airlock_code airlock_age_reader_new_keys(struct airlock_age_reader **r,
    struct airlock_source in, const struct airlock_age_keys *keys,
    enum airlock_age_failure *why, struct airlock_err *err);
/* The verdict of the last failure of r (read() failures are payload
 * failures unless an I/O error occurred: then NONE). */
enum airlock_age_failure airlock_age_reader_failure(const struct airlock_age_reader *r);

/* Passphrase (scrypt stanza) encryption/decryption of a small buffer, used
 * for identity files. decrypt returns AIRLOCK_E_VERIFY for a wrong
 * passphrase. Output buffers are sodium_malloc'd; free with sodium_free. */
enum airlock_code airlock_age_encrypt_passphrase(uint8_t **out, size_t *outlen,
    const uint8_t *in, size_t inlen, const char *passphrase, int log_n, struct airlock_err *err);
enum airlock_code airlock_age_decrypt_passphrase(uint8_t **out, size_t *outlen,
    const uint8_t *in, size_t inlen, const char *passphrase, int max_log_n,
    struct airlock_err *err);

#endif
