/* airlock/minisign.h - Ed25519 keys, signatures and files exactly as
 * minisign 0.11 writes and reads them (prehashed "ED" signatures). */
#ifndef AIRLOCK_MINISIGN_H
#define AIRLOCK_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"

#define AIRLOCK_MINISIGN_KEYID_BYTES 8
#define AIRLOCK_MINISIGN_KEYID_HEX 17            /* display form + NUL */
#define AIRLOCK_MINISIGN_TRUSTED_MAX 8192
#define AIRLOCK_MINISIGN_SIG_FILE_MAX 10240     /* 4 lines incl. comments */

struct airlock_minisign_pub {
	uint8_t key_id[AIRLOCK_MINISIGN_KEYID_BYTES];
	uint8_t pk[32];
};

/* Secret key: allocated with sodium_malloc, wiped and freed by _free. */
struct airlock_minisign_secret;

/* scrypt cost used when a secret key file is written with a passphrase.
 * AIRLOCK_KDF_SENSITIVE is minisign's own (about 1 GiB, seconds);
 * AIRLOCK_KDF_INTERACTIVE is libsodium's interactive level, for tests. */
enum airlock_kdf_cost { AIRLOCK_KDF_SENSITIVE, AIRLOCK_KDF_INTERACTIVE };

/* New random key pair (random 8-byte key id, as minisign -G). */
enum airlock_code airlock_minisign_keygen(struct airlock_minisign_secret **sec,
    struct airlock_minisign_pub *pub, struct airlock_err *err);
void airlock_minisign_secret_free(struct airlock_minisign_secret *sec);
void airlock_minisign_secret_public(const struct airlock_minisign_secret *sec,
    struct airlock_minisign_pub *pub);

/* minisign prints key ids as the little-endian u64 in uppercase hex without
 * zero padding ("25E56A576C5FBA71"). */
void airlock_minisign_key_id_format(char out[AIRLOCK_MINISIGN_KEYID_HEX],
    const uint8_t id[AIRLOCK_MINISIGN_KEYID_BYTES]);

/* Public key file: "untrusted comment: ...\n" + base64 line. parse reads
 * untrusted text (whole file content); AIRLOCK_E_FAILED on malformed. */
enum airlock_code airlock_minisign_pub_parse(struct airlock_minisign_pub *pub,
    const char *text, size_t len, struct airlock_err *err);
enum airlock_code airlock_minisign_pub_read_file(struct airlock_minisign_pub *pub,
    const char *path, struct airlock_err *err);
/* Writes with O_EXCL (never overwrites), mode 0644. */
enum airlock_code airlock_minisign_pub_write_file(const struct airlock_minisign_pub *pub,
    const char *path, struct airlock_err *err);
/* The base64 line alone (minisign -P form), 56 chars + NUL. */
void airlock_minisign_pub_base64(char out[57], const struct airlock_minisign_pub *pub);

/* Secret key file. passphrase NULL writes an unencrypted key (like -W);
 * written with O_EXCL|O_NOFOLLOW, mode 0600. read refuses files readable by
 * group or others; a wrong passphrase is AIRLOCK_E_FAILED with a message
 * "wrong passphrase ...". A NULL passphrase on an encrypted key fails with
 * a message that says a passphrase is needed. scrypt limits read from the
 * file are capped at minisign's SENSITIVE level. */
enum airlock_code airlock_minisign_secret_write_file(const struct airlock_minisign_secret *sec,
    const char *path, const char *passphrase, enum airlock_kdf_cost cost,
    struct airlock_err *err);
enum airlock_code airlock_minisign_secret_read_file(struct airlock_minisign_secret **sec,
    const char *path, const char *passphrase, struct airlock_err *err);
/* Whether the key file at path is passphrase-protected (1), not (0), -1 on error. */
int airlock_minisign_secret_file_is_encrypted(const char *path, struct airlock_err *err);

/* Signs msg prehashed (alg "ED"); returns the four-line .minisig text in a
 * malloc'd NUL-terminated buffer. The comments are the texts after the
 * "untrusted comment: " / "trusted comment: " prefixes. */
enum airlock_code airlock_minisign_sign(char **sig_text, size_t *sig_len,
    const struct airlock_minisign_secret *sec, const uint8_t *msg, size_t msg_len,
    const char *untrusted_comment, const char *trusted_comment, struct airlock_err *err);

/* Verifies sig_text (untrusted) over msg with pub, in minisign's order,
 * accepting only prehashed "ED" signatures (minisign -V -H). If
 * untrusted_comment is not NULL the first line must be exactly
 * "untrusted comment: <untrusted_comment>". The trusted comment text is
 * copied to trusted_out (AIRLOCK_MINISIGN_TRUSTED_MAX bytes) when not NULL.
 * Returns AIRLOCK_E_VERIFY for a bad or malformed signature or a key id that
 * is not pub's. */
enum airlock_code airlock_minisign_verify(const struct airlock_minisign_pub *pub,
    const uint8_t *msg, size_t msg_len, const char *sig_text, size_t sig_len,
    const char *untrusted_comment, char *trusted_out, struct airlock_err *err)
    __attribute__((warn_unused_result));

/* Reads only the key id of a signature (to pick the trusted key); does not
 * verify anything. */
enum airlock_code airlock_minisign_sig_key_id(uint8_t id[AIRLOCK_MINISIGN_KEYID_BYTES],
    const char *sig_text, size_t sig_len, struct airlock_err *err);

/* The inline form alone (the second line of a public key file, minisign -P);
 * AIRLOCK_E_FAILED if it is not a valid Ed25519 public key. */
enum airlock_code airlock_minisign_pub_from_base64(struct airlock_minisign_pub *pub,
    const char *b64, struct airlock_err *err);

/* Secret key files, shared by the minisign and age modules. write creates
 * path with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, fsyncs it and removes it
 * again on failure. read refuses anything but a regular file with no
 * group/other permission bits (hint: chmod 600) and returns at most max bytes
 * in a sodium_malloc'd, NUL-terminated buffer (sodium_free wipes it). */
enum airlock_code airlock_secret_file_write(const char *path, const void *data, size_t len,
    struct airlock_err *err);
enum airlock_code airlock_secret_file_read(const char *path, size_t max, char **out,
    size_t *len, struct airlock_err *err);

#endif
