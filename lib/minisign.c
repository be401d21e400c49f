/* minisign.c - keys, key files and prehashed Ed25519 signatures exactly as
 * minisign 0.11 writes them (FORMATS-REFERENCE section 2). */
#include "airlock/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "airlock/encoding.h"
#include "airlock/io.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define UNTRUSTED_LINE_MAX 1024   /* minisign's COMMENTMAXBYTES, prefix included */
#define PUB_FILE_MAX 2048
#define SECRET_FILE_MAX 4096
#define PUB_BYTES 42              /* "Ed" | keynum | pk */
#define SIG_BYTES 74              /* "ED" | keynum | sig */
#define SECRET_BYTES 158
#define SECRET_ENC_OFF 54         /* keynum, sk, checksum are encrypted */
#define SECRET_ENC_LEN 104
#define SECRET_CHK_OFF 126

struct airlock_minisign_secret {
	uint8_t key_id[AIRLOCK_MINISIGN_KEYID_BYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* ---- secret key files (shared with age.c) ---- */

/* Creates path (never replacing anything, never through a symlink), writes
 * data durably, and removes the file again if anything fails. */
static enum airlock_code write_new_file(const char *path, mode_t mode, const void *data,
    size_t len, struct airlock_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", path);
		if (errno == EEXIST)
			airlock_hint(err, "key files are never overwritten: choose another name");
		return err->code;
	}
	enum airlock_code rc = airlock_write_all(fd, data, len, path, err);
	if (rc == AIRLOCK_OK && fsync(fd) != 0)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot sync '%s'", path);
	if (close(fd) != 0 && rc == AIRLOCK_OK)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot write '%s'", path);
	if (rc != AIRLOCK_OK)
		unlink(path);
	return rc;
}

enum airlock_code airlock_secret_file_write(const char *path, const void *data, size_t len,
    struct airlock_err *err)
{
	return write_new_file(path, 0600, data, len, err);
}

static enum airlock_code check_secret_mode(int fd, const char *path, struct airlock_err *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is not a regular file", path);
	if ((st.st_mode & 077) != 0) {
		airlock_fail(err, AIRLOCK_E_FAILED,
		    "secret key file '%s' is accessible by group or others (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
		airlock_hint(err, "run 'chmod 600 %s' if the key was not exposed, else make a new key",
		    path);
		return err->code;
	}
	return AIRLOCK_OK;
}

enum airlock_code airlock_secret_file_read(const char *path, size_t max, char **out,
    size_t *len, struct airlock_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", path);
	char *buf = NULL;
	size_t got = 0, extra = 0;
	char probe;
	if (check_secret_mode(fd, path, err) != AIRLOCK_OK)
		goto fail;
	buf = sodium_malloc(max + 1);
	if (buf == NULL) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory reading '%s'", path);
		goto fail;
	}
	if (airlock_read_full(fd, buf, max, &got, path, err) != AIRLOCK_OK ||
	    airlock_read_full(fd, &probe, 1, &extra, path, err) != AIRLOCK_OK)
		goto fail;
	if (extra != 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is too large for a key file", path);
		goto fail;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return AIRLOCK_OK;
fail:
	close(fd);
	if (buf != NULL)
		sodium_free(buf);
	return err->code;
}

/* ---- keys ---- */

enum airlock_code airlock_minisign_keygen(struct airlock_minisign_secret **sec,
    struct airlock_minisign_pub *pub, struct airlock_err *err)
{
	struct airlock_minisign_secret *s = sodium_malloc(sizeof *s);
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	if (s == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for a secret key");
	randombytes_buf(s->key_id, sizeof s->key_id);
	crypto_sign_keypair(pk, s->sk);
	*sec = s;
	if (pub != NULL)
		airlock_minisign_secret_public(s, pub);
	return AIRLOCK_OK;
}

void airlock_minisign_secret_free(struct airlock_minisign_secret *sec)
{
	if (sec != NULL)
		sodium_free(sec);   /* wipes */
}

void airlock_minisign_secret_public(const struct airlock_minisign_secret *sec,
    struct airlock_minisign_pub *pub)
{
	memcpy(pub->key_id, sec->key_id, sizeof pub->key_id);
	memcpy(pub->pk, sec->sk + 32, sizeof pub->pk);
}

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void airlock_minisign_key_id_format(char out[AIRLOCK_MINISIGN_KEYID_HEX],
    const uint8_t id[AIRLOCK_MINISIGN_KEYID_BYTES])
{
	snprintf(out, AIRLOCK_MINISIGN_KEYID_HEX, "%" PRIX64, le64_load(id));
}

/* ---- line handling for untrusted text ---- */

struct lines {
	const char *p[4];
	size_t len[4];
};

/* Splits text into exactly n lines ended by LF or CRLF (the last LF may be
 * missing); anything after line n is an error. */
static int split_lines(struct lines *l, const char *text, size_t len, size_t n)
{
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		if (pos >= len)
			return -1;
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t end = lf != NULL ? (size_t)(lf - text) : len;
		l->p[i] = text + pos;
		l->len[i] = end - pos;
		if (l->len[i] > 0 && l->p[i][l->len[i] - 1] == '\r')
			l->len[i]--;
		pos = lf != NULL ? end + 1 : len;
	}
	return pos == len ? 0 : -1;
}

/* Comment text: printable, TAB (minisign's default trusted comment uses it)
 * and UTF-8 bytes; no other control characters. */
static int comment_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(p, prefix, k) == 0;
}

static int b64_exact(uint8_t *out, size_t want, const char *p, size_t n)
{
	size_t got = 0;
	if (airlock_b64_decode(out, want, &got, p, n, AIRLOCK_B64_PAD) != 0)
		return -1;
	return got == want ? 0 : -1;
}

/* ---- public keys ---- */

static enum airlock_code pub_decode(struct airlock_minisign_pub *pub, const char *p, size_t n,
    struct airlock_err *err)
{
	uint8_t raw[PUB_BYTES];
	if (b64_exact(raw, sizeof raw, p, n) != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "malformed minisign public key: not base64 of %d bytes", PUB_BYTES);
	if (raw[0] != 'E' || raw[1] != 'd')
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "malformed minisign public key: unsupported algorithm");
	memcpy(pub->key_id, raw + 2, sizeof pub->key_id);
	memcpy(pub->pk, raw + 10, sizeof pub->pk);
	return AIRLOCK_OK;
}

enum airlock_code airlock_minisign_pub_from_base64(struct airlock_minisign_pub *pub,
    const char *b64, struct airlock_err *err)
{
	return pub_decode(pub, b64, strlen(b64), err);
}

enum airlock_code airlock_minisign_pub_parse(struct airlock_minisign_pub *pub,
    const char *text, size_t len, struct airlock_err *err)
{
	struct lines l;
	if (split_lines(&l, text, len, 2) != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "malformed minisign public key: expected a comment line and a key line");
	if (!has_prefix(l.p[0], l.len[0], UNTRUSTED_PREFIX) || l.len[0] >= UNTRUSTED_LINE_MAX ||
	    !comment_ok(l.p[0], l.len[0]))
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "malformed minisign public key: bad 'untrusted comment:' line");
	return pub_decode(pub, l.p[1], l.len[1], err);
}

enum airlock_code airlock_minisign_pub_read_file(struct airlock_minisign_pub *pub,
    const char *path, struct airlock_err *err)
{
	char *text;
	size_t len;
	if (airlock_read_file(path, PUB_FILE_MAX, &text, &len, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = airlock_minisign_pub_parse(pub, text, len, err);
	free(text);
	if (rc != AIRLOCK_OK)
		airlock_hint(err, "'%s' should be a minisign public key file", path);
	return rc;
}

void airlock_minisign_pub_base64(char out[57], const struct airlock_minisign_pub *pub)
{
	uint8_t raw[PUB_BYTES] = { 'E', 'd' };
	memcpy(raw + 2, pub->key_id, 8);
	memcpy(raw + 10, pub->pk, 32);
	airlock_b64_encode(out, raw, sizeof raw, AIRLOCK_B64_PAD);
}

enum airlock_code airlock_minisign_pub_write_file(const struct airlock_minisign_pub *pub,
    const char *path, struct airlock_err *err)
{
	char id[AIRLOCK_MINISIGN_KEYID_HEX], b64[57], text[160];
	airlock_minisign_key_id_format(id, pub->key_id);
	airlock_minisign_pub_base64(b64, pub);
	int n = snprintf(text, sizeof text, UNTRUSTED_PREFIX "minisign public key %s\n%s\n", id,
	    b64);
	return write_new_file(path, 0644, text, (size_t)n, err);
}

/* ---- secret key files ---- */

static void secret_checksum(uint8_t out[32], const uint8_t *blob)
{
	/* BLAKE2b-256 over sig_alg | keynum | sk, as minisign computes it. */
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, blob, 2);
	crypto_generichash_update(&st, blob + SECRET_ENC_OFF, 8 + crypto_sign_SECRETKEYBYTES);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

/* XORs the scrypt key stream into the encrypted span (same both ways). */
static enum airlock_code secret_xor(uint8_t *blob, const char *passphrase, uint64_t ops,
    uint64_t mem, struct airlock_err *err)
{
	uint8_t *stream = sodium_malloc(SECRET_ENC_LEN);
	if (stream == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the key stream");
	if (crypto_pwhash_scryptsalsa208sha256(stream, SECRET_ENC_LEN, passphrase,
	    strlen(passphrase), blob + 6, ops, (size_t)mem) != 0) {
		sodium_free(stream);
		return airlock_fail(err, AIRLOCK_E_NOMEM,
		    "cannot derive the key from the passphrase (scrypt needs %" PRIu64 " MiB)",
		    mem >> 20);
	}
	for (size_t i = 0; i < SECRET_ENC_LEN; i++)
		blob[SECRET_ENC_OFF + i] ^= stream[i];
	sodium_free(stream);
	return AIRLOCK_OK;
}

static enum airlock_code secret_encode(uint8_t *blob, const struct airlock_minisign_secret *sec,
    const char *passphrase, enum airlock_kdf_cost cost, struct airlock_err *err)
{
	memset(blob, 0, SECRET_BYTES);
	memcpy(blob, "Ed", 2);
	memcpy(blob + 4, "B2", 2);
	memcpy(blob + SECRET_ENC_OFF, sec->key_id, 8);
	memcpy(blob + SECRET_ENC_OFF + 8, sec->sk, sizeof sec->sk);
	/* A valid checksum even without a passphrase: minisign ignores it then,
	 * and our reader uses it to catch a damaged file. */
	secret_checksum(blob + SECRET_CHK_OFF, blob);
	if (passphrase == NULL)
		return AIRLOCK_OK;
	int sensitive = cost == AIRLOCK_KDF_SENSITIVE;
	memcpy(blob + 2, "Sc", 2);
	randombytes_buf(blob + 6, crypto_pwhash_scryptsalsa208sha256_SALTBYTES);
	le64_store(blob + 38, sensitive ? crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE
	    : crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE);
	le64_store(blob + 46, sensitive ? crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE
	    : crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE);
	return secret_xor(blob, passphrase, le64_load(blob + 38), le64_load(blob + 46), err);
}

enum airlock_code airlock_minisign_secret_write_file(const struct airlock_minisign_secret *sec,
    const char *path, const char *passphrase, enum airlock_kdf_cost cost,
    struct airlock_err *err)
{
	const char *comment = passphrase != NULL ? "minisign encrypted secret key"
	    : "minisign secret key (not encrypted)";
	size_t textcap = sizeof UNTRUSTED_PREFIX + strlen(comment) + 1 +
	    airlock_b64_encoded_len(SECRET_BYTES, AIRLOCK_B64_PAD) + 2;
	uint8_t *blob = sodium_malloc(SECRET_BYTES);
	char *text = sodium_malloc(textcap);
	enum airlock_code rc = AIRLOCK_E_NOMEM;
	if (blob == NULL || text == NULL) {
		airlock_fail(err, rc, "out of memory for a secret key");
		goto out;
	}
	rc = secret_encode(blob, sec, passphrase, cost, err);
	if (rc != AIRLOCK_OK)
		goto out;
	int n = snprintf(text, textcap, UNTRUSTED_PREFIX "%s\n", comment);
	airlock_b64_encode(text + n, blob, SECRET_BYTES, AIRLOCK_B64_PAD);
	n += (int)strlen(text + n);
	text[n++] = '\n';
	rc = airlock_secret_file_write(path, text, (size_t)n, err);
out:
	if (blob != NULL)
		sodium_free(blob);
	if (text != NULL)
		sodium_free(text);
	return rc;
}

/* Reads and decodes the 158-byte structure (still encrypted if it is). */
static enum airlock_code secret_load(uint8_t *blob, const char *path, struct airlock_err *err)
{
	char *text;
	size_t len;
	struct lines l;
	if (airlock_secret_file_read(path, SECRET_FILE_MAX, &text, &len, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = AIRLOCK_OK;
	if (split_lines(&l, text, len, 2) != 0 ||
	    !has_prefix(l.p[0], l.len[0], UNTRUSTED_PREFIX) ||
	    b64_exact(blob, SECRET_BYTES, l.p[1], l.len[1]) != 0)
		rc = airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is not a minisign secret key file",
		    path);
	else if (memcmp(blob, "Ed", 2) != 0 || memcmp(blob + 4, "B2", 2) != 0 ||
	    (memcmp(blob + 2, "Sc", 2) != 0 && memcmp(blob + 2, "\0\0", 2) != 0))
		rc = airlock_fail(err, AIRLOCK_E_FAILED,
		    "secret key '%s' uses an unsupported algorithm", path);
	sodium_free(text);
	return rc;
}

static int blob_encrypted(const uint8_t *blob)
{
	return memcmp(blob + 2, "Sc", 2) == 0;
}

static enum airlock_code secret_decrypt(uint8_t *blob, const char *path, const char *passphrase,
    struct airlock_err *err)
{
	uint64_t ops = le64_load(blob + 38), mem = le64_load(blob + 46);
	if (passphrase == NULL) {
		airlock_fail(err, AIRLOCK_E_FAILED, "secret key '%s' needs a passphrase", path);
		airlock_hint(err, "give the passphrase the key was created with");
		return err->code;
	}
	/* The file is not trusted to choose an unbounded cost. */
	if (ops > crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE ||
	    mem > crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "secret key '%s' asks for a scrypt cost above minisign's maximum", path);
	return secret_xor(blob, passphrase, ops, mem, err);
}

/* The checksum must match; minisign leaves it all zero for keys written
 * without a passphrase, so that is accepted for those only. */
static enum airlock_code secret_check(const uint8_t *blob, const char *path, int encrypted,
    struct airlock_err *err)
{
	uint8_t chk[32], zero[32] = { 0 };
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], *sk = NULL;
	secret_checksum(chk, blob);
	int ok = crypto_verify_32(chk, blob + SECRET_CHK_OFF) == 0 ||
	    (!encrypted && crypto_verify_32(zero, blob + SECRET_CHK_OFF) == 0);
	sodium_memzero(chk, sizeof chk);
	if (!ok && encrypted) {
		airlock_fail(err, AIRLOCK_E_FAILED, "wrong passphrase for secret key '%s'", path);
		airlock_hint(err, "check the passphrase (it is case-sensitive) and try again");
		return err->code;
	}
	if (!ok)
		return airlock_fail(err, AIRLOCK_E_FAILED, "secret key '%s' is damaged", path);
	/* The public half must belong to the seed (catches damage the zero
	 * checksum of unencrypted keys cannot). */
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for a secret key");
	crypto_sign_seed_keypair(pk, sk, blob + SECRET_ENC_OFF + 8);
	ok = memcmp(pk, blob + SECRET_ENC_OFF + 8 + 32, sizeof pk) == 0;
	sodium_free(sk);
	if (!ok)
		return airlock_fail(err, AIRLOCK_E_FAILED, "secret key '%s' is damaged", path);
	return AIRLOCK_OK;
}

enum airlock_code airlock_minisign_secret_read_file(struct airlock_minisign_secret **sec,
    const char *path, const char *passphrase, struct airlock_err *err)
{
	uint8_t *blob = sodium_malloc(SECRET_BYTES);
	struct airlock_minisign_secret *s = sodium_malloc(sizeof *s);
	enum airlock_code rc = AIRLOCK_E_NOMEM;
	if (blob == NULL || s == NULL) {
		airlock_fail(err, rc, "out of memory for a secret key");
		goto fail;
	}
	rc = secret_load(blob, path, err);
	int encrypted = rc == AIRLOCK_OK && blob_encrypted(blob);
	if (rc == AIRLOCK_OK && encrypted)
		rc = secret_decrypt(blob, path, passphrase, err);
	if (rc == AIRLOCK_OK)
		rc = secret_check(blob, path, encrypted, err);
	if (rc != AIRLOCK_OK)
		goto fail;
	memcpy(s->key_id, blob + SECRET_ENC_OFF, 8);
	memcpy(s->sk, blob + SECRET_ENC_OFF + 8, sizeof s->sk);
	sodium_free(blob);
	*sec = s;
	return AIRLOCK_OK;
fail:
	if (blob != NULL)
		sodium_free(blob);
	if (s != NULL)
		sodium_free(s);
	return rc;
}

int airlock_minisign_secret_file_is_encrypted(const char *path, struct airlock_err *err)
{
	uint8_t *blob = sodium_malloc(SECRET_BYTES);
	if (blob == NULL) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for a secret key");
		return -1;
	}
	int r = secret_load(blob, path, err) == AIRLOCK_OK ? blob_encrypted(blob) : -1;
	sodium_free(blob);
	return r;
}

/* ---- signatures ---- */

static enum airlock_code check_sign_comments(const char *untrusted, const char *trusted,
    struct airlock_err *err)
{
	size_t ulen = strlen(untrusted), tlen = strlen(trusted);
	if (!comment_ok(untrusted, ulen) || !comment_ok(trusted, tlen))
		return airlock_fail(err, AIRLOCK_E_USAGE,
		    "signature comments must not contain line breaks or control characters");
	if (ulen + sizeof UNTRUSTED_PREFIX > UNTRUSTED_LINE_MAX ||
	    tlen + 1 > AIRLOCK_MINISIGN_TRUSTED_MAX)
		return airlock_fail(err, AIRLOCK_E_USAGE, "signature comment is too long");
	return AIRLOCK_OK;
}

enum airlock_code airlock_minisign_sign(char **sig_text, size_t *sig_len,
    const struct airlock_minisign_secret *sec, const uint8_t *msg, size_t msg_len,
    const char *untrusted_comment, const char *trusted_comment, struct airlock_err *err)
{
	if (check_sign_comments(untrusted_comment, trusted_comment, err) != AIRLOCK_OK)
		return err->code;
	uint8_t hash[crypto_generichash_BYTES_MAX], sig[SIG_BYTES], global[crypto_sign_BYTES];
	size_t tlen = strlen(trusted_comment);
	uint8_t *signed_tc = malloc(crypto_sign_BYTES + tlen);
	size_t cap = strlen(untrusted_comment) + tlen + 256;
	char *text = malloc(cap);
	if (signed_tc == NULL || text == NULL) {
		free(signed_tc);
		free(text);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for a signature");
	}
	crypto_generichash(hash, sizeof hash, msg, msg_len, NULL, 0);
	memcpy(sig, "ED", 2);
	memcpy(sig + 2, sec->key_id, 8);
	crypto_sign_detached(sig + 10, NULL, hash, sizeof hash, sec->sk);
	memcpy(signed_tc, sig + 10, crypto_sign_BYTES);
	memcpy(signed_tc + crypto_sign_BYTES, trusted_comment, tlen);
	crypto_sign_detached(global, NULL, signed_tc, crypto_sign_BYTES + tlen, sec->sk);
	free(signed_tc);

	char sig_b64[101], global_b64[89];
	airlock_b64_encode(sig_b64, sig, sizeof sig, AIRLOCK_B64_PAD);
	airlock_b64_encode(global_b64, global, sizeof global, AIRLOCK_B64_PAD);
	int n = snprintf(text, cap, UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n",
	    untrusted_comment, sig_b64, trusted_comment, global_b64);
	*sig_text = text;
	*sig_len = (size_t)n;
	return AIRLOCK_OK;
}

struct parsed_sig {
	uint8_t sig[SIG_BYTES];
	uint8_t global[crypto_sign_BYTES];
	struct lines l;
	const char *tc;      /* trusted comment text, not NUL-terminated */
	size_t tc_len;
};

static enum airlock_code malformed(struct airlock_err *err, const char *why)
{
	return airlock_fail(err, AIRLOCK_E_VERIFY, "malformed signature: %s", why);
}

/* Step 1 of minisign's order: all four lines, decoded. */
static enum airlock_code sig_parse(struct parsed_sig *ps, const char *text, size_t len,
    struct airlock_err *err)
{
	struct lines *l = &ps->l;
	if (len > AIRLOCK_MINISIGN_SIG_FILE_MAX)
		return malformed(err, "file too large");
	if (split_lines(l, text, len, 4) != 0)
		return malformed(err, "expected exactly four lines");
	if (!has_prefix(l->p[0], l->len[0], UNTRUSTED_PREFIX) || l->len[0] >= UNTRUSTED_LINE_MAX ||
	    !comment_ok(l->p[0], l->len[0]))
		return malformed(err, "bad 'untrusted comment:' line");
	if (b64_exact(ps->sig, SIG_BYTES, l->p[1], l->len[1]) != 0)
		return malformed(err, "bad signature line");
	if (!has_prefix(l->p[2], l->len[2], TRUSTED_PREFIX) || !comment_ok(l->p[2], l->len[2]))
		return malformed(err, "bad 'trusted comment:' line");
	ps->tc = l->p[2] + strlen(TRUSTED_PREFIX);
	ps->tc_len = l->len[2] - strlen(TRUSTED_PREFIX);
	if (ps->tc_len + 1 > AIRLOCK_MINISIGN_TRUSTED_MAX)
		return malformed(err, "trusted comment too long");
	if (b64_exact(ps->global, crypto_sign_BYTES, l->p[3], l->len[3]) != 0)
		return malformed(err, "bad trusted comment signature line");
	if (ps->sig[0] != 'E' || (ps->sig[1] != 'D' && ps->sig[1] != 'd'))
		return malformed(err, "unsupported signature algorithm");
	return AIRLOCK_OK;
}

static enum airlock_code check_untrusted(const struct parsed_sig *ps, const char *want,
    struct airlock_err *err)
{
	size_t plen = strlen(UNTRUSTED_PREFIX), wlen = strlen(want);
	if (ps->l.len[0] != plen + wlen || memcmp(ps->l.p[0] + plen, want, wlen) != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "signature's untrusted comment is not the expected '%s%s'", UNTRUSTED_PREFIX,
		    want);
	return AIRLOCK_OK;
}

static enum airlock_code check_key_id(const struct airlock_minisign_pub *pub,
    const struct parsed_sig *ps, struct airlock_err *err)
{
	char got[AIRLOCK_MINISIGN_KEYID_HEX], want[AIRLOCK_MINISIGN_KEYID_HEX];
	if (memcmp(ps->sig + 2, pub->key_id, AIRLOCK_MINISIGN_KEYID_BYTES) == 0)
		return AIRLOCK_OK;
	airlock_minisign_key_id_format(got, ps->sig + 2);
	airlock_minisign_key_id_format(want, pub->key_id);
	airlock_fail(err, AIRLOCK_E_VERIFY, "signature key id %s is not the key id %s of the "
	    "public key", got, want);
	airlock_hint(err, "the data was signed with a different key");
	return err->code;
}

static enum airlock_code check_global(const struct airlock_minisign_pub *pub,
    const struct parsed_sig *ps, struct airlock_err *err)
{
	uint8_t *m = malloc(crypto_sign_BYTES + ps->tc_len);
	if (m == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory verifying a signature");
	memcpy(m, ps->sig + 10, crypto_sign_BYTES);
	memcpy(m + crypto_sign_BYTES, ps->tc, ps->tc_len);
	int bad = crypto_sign_verify_detached(ps->global, m, crypto_sign_BYTES + ps->tc_len,
	    pub->pk);
	free(m);
	if (bad)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "trusted comment signature verification failed");
	return AIRLOCK_OK;
}

enum airlock_code airlock_minisign_verify(const struct airlock_minisign_pub *pub,
    const uint8_t *msg, size_t msg_len, const char *sig_text, size_t sig_len,
    const char *untrusted_comment, char *trusted_out, struct airlock_err *err)
{
	struct parsed_sig ps;
	uint8_t hash[crypto_generichash_BYTES_MAX];
	if (sig_parse(&ps, sig_text, sig_len, err) != AIRLOCK_OK)
		return err->code;
	if (ps.sig[1] == 'd') {
		airlock_fail(err, AIRLOCK_E_VERIFY, "legacy (non-prehashed) signature refused");
		airlock_hint(err, "sign with minisign 0.10 or later without -l");
		return err->code;
	}
	if (untrusted_comment != NULL && check_untrusted(&ps, untrusted_comment, err) != AIRLOCK_OK)
		return err->code;
	crypto_generichash(hash, sizeof hash, msg, msg_len, NULL, 0);
	if (check_key_id(pub, &ps, err) != AIRLOCK_OK)
		return err->code;
	if (crypto_sign_verify_detached(ps.sig + 10, hash, sizeof hash, pub->pk) != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "signature verification failed");
	if (check_global(pub, &ps, err) != AIRLOCK_OK)
		return err->code;
	if (trusted_out != NULL) {
		memcpy(trusted_out, ps.tc, ps.tc_len);
		trusted_out[ps.tc_len] = '\0';
	}
	return AIRLOCK_OK;
}

enum airlock_code airlock_minisign_sig_key_id(uint8_t id[AIRLOCK_MINISIGN_KEYID_BYTES],
    const char *sig_text, size_t sig_len, struct airlock_err *err)
{
	struct parsed_sig ps;
	if (sig_parse(&ps, sig_text, sig_len, err) != AIRLOCK_OK)
		return err->code;
	memcpy(id, ps.sig + 2, AIRLOCK_MINISIGN_KEYID_BYTES);
	return AIRLOCK_OK;
}
