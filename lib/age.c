/* age.c - age v1 (C2SP spec, what age 1.1.1 reads and writes): X25519 and
 * scrypt stanzas, the header MAC and STREAM payload, plus identity files.
 * FORMATS-REFERENCE section 1 is followed byte for byte; the reader follows
 * age-go's order of checks so every CCTV vector gets its expected verdict. */
#include "airlock/age.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "airlock/encoding.h"

#define VERSION_LINE "age-encryption.org/v1"
#define FILE_KEY_BYTES 16
#define NONCE_BYTES 16
#define CHUNK 65536
#define TAG 16
#define ENC_CHUNK (CHUNK + TAG)
#define BODY_LINE 64               /* base64 chars per full stanza body line */
#define HEADER_MAX (1u << 20)      /* bound on what an untrusted header may make us hold */
#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define X25519_INFO "age-encryption.org/v1/X25519"
#define IDENTITY_HRP "AGE-SECRET-KEY-"
#define IDENTITY_FILE_MAX 65536
#define AGE_MAX_LOG_N 22           /* age 1.1.1's cap on scrypt work factors */
#define SENSITIVE_LOG_N 18         /* what `age -p` writes */
#define INTERACTIVE_LOG_N 10
#define SCRYPT_HEADER_MAX 256      /* a scrypt-only header is 150 bytes */

struct airlock_age_identity {
	uint8_t sk[32];
	uint8_t pk[32];
};

/* ---- primitives ---- */

static void hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *m1,
    size_t l1, const uint8_t *m2, size_t l2)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, m1, l1);
	if (l2 > 0)
		crypto_auth_hmacsha256_update(&st, m2, l2);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/* HKDF-SHA-256 with one output block (libsodium 1.0.18 has no HKDF). */
static void hkdf32(uint8_t out[32], const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
    size_t ikmlen, const char *info)
{
	static const uint8_t empty[1];
	uint8_t prk[32];
	const uint8_t one = 1;
	/* An empty salt is a zero-length key (libsodium wants a non-NULL one). */
	hmac_sha256(prk, salt != NULL ? salt : empty, saltlen, ikm, ikmlen, NULL, 0);
	hmac_sha256(out, prk, sizeof prk, (const uint8_t *)info, strlen(info), &one, 1);
	sodium_memzero(prk, sizeof prk);
}

static void stream_nonce(uint8_t nonce[12], uint64_t counter, int last)
{
	memset(nonce, 0, 12);
	for (int i = 0; i < 8; i++)
		nonce[10 - i] = (uint8_t)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/* ---- recipients and identities ---- */

enum airlock_code airlock_age_recipient_parse(uint8_t pk[32], const char *s,
    struct airlock_err *err)
{
	char hrp[8], shown[80];
	uint8_t data[33];
	size_t n;
	if (strlen(s) != AIRLOCK_AGE_RECIPIENT_LEN ||
	    airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s) != 0 ||
	    strcmp(hrp, "age") != 0 || n != 32) {
		airlock_escape(shown, sizeof shown, s, strnlen(s, 100));
		airlock_fail(err, AIRLOCK_E_USAGE, "'%s' is not a valid age recipient", shown);
		airlock_hint(err, "an age recipient is 'age1' followed by 58 characters "
		    "(age-keygen -y prints it)");
		return err->code;
	}
	memcpy(pk, data, 32);
	return AIRLOCK_OK;
}

void airlock_age_recipient_format(char out[AIRLOCK_AGE_RECIPIENT_LEN + 1], const uint8_t pk[32])
{
	(void)airlock_bech32_encode(out, AIRLOCK_AGE_RECIPIENT_LEN + 1, "age", pk, 32, 0);
}

static struct airlock_age_identity *identity_alloc(struct airlock_err *err)
{
	struct airlock_age_identity *id = sodium_malloc(sizeof *id);
	if (id == NULL)
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for an age identity");
	return id;
}

enum airlock_code airlock_age_identity_generate(struct airlock_age_identity **id,
    struct airlock_err *err)
{
	struct airlock_age_identity *k = identity_alloc(err);
	if (k == NULL)
		return err->code;
	randombytes_buf(k->sk, sizeof k->sk);
	crypto_scalarmult_base(k->pk, k->sk);
	*id = k;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_identity_parse(struct airlock_age_identity **id, const char *s,
    struct airlock_err *err)
{
	char hrp[32];
	size_t n = 0;
	struct airlock_age_identity *k = identity_alloc(err);
	uint8_t *data = sodium_malloc(64);
	int bad = k == NULL || data == NULL;
	if (!bad)
		bad = strlen(s) != AIRLOCK_AGE_IDENTITY_LEN ||
		    airlock_bech32_decode(hrp, sizeof hrp, data, 64, &n, s) != 0 ||
		    strcmp(hrp, "age-secret-key-") != 0 || n != 32;
	if (!bad) {
		memcpy(k->sk, data, 32);
		crypto_scalarmult_base(k->pk, k->sk);
	}
	if (data != NULL)
		sodium_free(data);
	if (bad) {
		if (k != NULL)
			sodium_free(k);
		/* Never quote the text: it may be a damaged secret key. */
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "not a valid age identity (expected AGE-SECRET-KEY-1...)");
	}
	*id = k;
	return AIRLOCK_OK;
}

void airlock_age_identity_public(const struct airlock_age_identity *id, uint8_t pk[32])
{
	memcpy(pk, id->pk, 32);
}

void airlock_age_identity_free(struct airlock_age_identity *id)
{
	if (id != NULL)
		sodium_free(id);
}

/* ---- writer ---- */

struct writer_secrets {
	uint8_t file_key[FILE_KEY_BYTES];
	uint8_t payload_key[32];
	uint8_t mac_key[32];
};

struct airlock_age_writer {
	struct airlock_sink out;
	struct writer_secrets *sec;    /* sodium_malloc'd */
	uint64_t counter;
	size_t fill;
	int state;                     /* 0 open, 1 finished, -1 failed */
	uint8_t buf[CHUNK];
	uint8_t enc[ENC_CHUNK];
};

/* Appends "-> X25519 <share>\n<body>\n" wrapping file_key for pk. */
static enum airlock_code x25519_stanza(char *out, size_t *len, const uint8_t pk[32],
    const uint8_t file_key[FILE_KEY_BYTES], struct airlock_err *err)
{
	uint8_t *k = sodium_malloc(32 * 4);   /* e, shared, wrap key, salt-free scratch */
	uint8_t share[32], salt[64], body[FILE_KEY_BYTES + TAG], zero[12] = { 0 };
	if (k == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for age keys");
	randombytes_buf(k, 32);
	crypto_scalarmult_base(share, k);
	if (crypto_scalarmult(k + 32, k, pk) != 0) {
		sodium_free(k);
		return airlock_fail(err, AIRLOCK_E_USAGE, "age recipient is not a usable X25519 key");
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	hkdf32(k + 64, salt, sizeof salt, k + 32, 32, X25519_INFO);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY_BYTES, NULL, 0,
	    NULL, zero, k + 64);
	sodium_free(k);
	size_t o = *len;
	memcpy(out + o, "-> X25519 ", 10);
	airlock_b64_encode(out + o + 10, share, 32, AIRLOCK_B64_NOPAD);
	out[o + 53] = '\n';
	airlock_b64_encode(out + o + 54, body, sizeof body, AIRLOCK_B64_NOPAD);
	out[o + 97] = '\n';
	*len = o + 98;
	return AIRLOCK_OK;
}

/* Writes version line + stanzas (given) + MAC line + payload nonce, and
 * derives the payload key. */
static enum airlock_code writer_start(struct airlock_age_writer *w, char *hdr, size_t len,
    struct airlock_err *err)
{
	uint8_t mac[32], nonce[NONCE_BYTES];
	memcpy(hdr + len, "---", 3);
	len += 3;
	hkdf32(w->sec->mac_key, NULL, 0, w->sec->file_key, FILE_KEY_BYTES, "header");
	hmac_sha256(mac, w->sec->mac_key, 32, (const uint8_t *)hdr, len, NULL, 0);
	sodium_memzero(w->sec->mac_key, 32);
	hdr[len++] = ' ';
	airlock_b64_encode(hdr + len, mac, sizeof mac, AIRLOCK_B64_NOPAD);
	len += 43;
	hdr[len++] = '\n';
	randombytes_buf(nonce, sizeof nonce);
	hkdf32(w->sec->payload_key, nonce, sizeof nonce, w->sec->file_key, FILE_KEY_BYTES,
	    "payload");
	if (w->out.write(w->out.ctx, hdr, len, err) != AIRLOCK_OK ||
	    w->out.write(w->out.ctx, nonce, sizeof nonce, err) != AIRLOCK_OK)
		return err->code;
	return AIRLOCK_OK;
}

static enum airlock_code writer_alloc(struct airlock_age_writer **w, struct airlock_sink out,
    struct airlock_err *err)
{
	struct airlock_age_writer *n = calloc(1, sizeof *n);
	if (n == NULL || (n->sec = sodium_malloc(sizeof *n->sec)) == NULL) {
		free(n);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the age writer");
	}
	n->out = out;
	randombytes_buf(n->sec->file_key, FILE_KEY_BYTES);
	*w = n;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_writer_new(struct airlock_age_writer **w, struct airlock_sink out,
    const uint8_t (*recipients)[32], size_t n, struct airlock_err *err)
{
	if (n == 0 || n > HEADER_MAX / 98)
		return airlock_fail(err, AIRLOCK_E_USAGE, "age encryption needs 1 to %u recipients",
		    HEADER_MAX / 98);
	struct airlock_age_writer *nw;
	if (writer_alloc(&nw, out, err) != AIRLOCK_OK)
		return err->code;
	char *hdr = malloc(sizeof VERSION_LINE + 98 * n + 48);
	size_t len = sizeof VERSION_LINE;   /* includes the LF in place of the NUL */
	enum airlock_code rc = AIRLOCK_E_NOMEM;
	if (hdr == NULL) {
		airlock_fail(err, rc, "out of memory for the age header");
		goto fail;
	}
	memcpy(hdr, VERSION_LINE "\n", len);
	for (size_t i = 0; i < n; i++)
		if ((rc = x25519_stanza(hdr, &len, recipients[i], nw->sec->file_key, err)) !=
		    AIRLOCK_OK)
			goto fail;
	if ((rc = writer_start(nw, hdr, len, err)) != AIRLOCK_OK)
		goto fail;
	free(hdr);
	*w = nw;
	return AIRLOCK_OK;
fail:
	free(hdr);
	airlock_age_writer_free(nw);
	return rc;
}

static enum airlock_code writer_flush(struct airlock_age_writer *w, int last,
    struct airlock_err *err)
{
	uint8_t nonce[12];
	if (w->counter >> 63)   /* 2^63 chunks: far below the 88-bit counter's end */
		return airlock_fail(err, AIRLOCK_E_FAILED, "age stream too long");
	stream_nonce(nonce, w->counter, last);
	crypto_aead_chacha20poly1305_ietf_encrypt(w->enc, NULL, w->buf, w->fill, NULL, 0, NULL,
	    nonce, w->sec->payload_key);
	if (w->out.write(w->out.ctx, w->enc, w->fill + TAG, err) != AIRLOCK_OK)
		return err->code;
	w->counter++;
	w->fill = 0;
	return AIRLOCK_OK;
}

static enum airlock_code writer_write(void *ctx, const void *data, size_t len,
    struct airlock_err *err)
{
	struct airlock_age_writer *w = ctx;
	const uint8_t *p = data;
	if (w->state != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "age writer used after %s",
		    w->state > 0 ? "finish" : "a failure");
	while (len > 0) {
		/* A full buffer is flushed only once more data arrives, so the
		 * final chunk is full when the length is a multiple of 64 KiB. */
		if (w->fill == CHUNK && writer_flush(w, 0, err) != AIRLOCK_OK) {
			w->state = -1;
			return err->code;
		}
		size_t take = CHUNK - w->fill < len ? CHUNK - w->fill : len;
		memcpy(w->buf + w->fill, p, take);
		w->fill += take;
		p += take;
		len -= take;
	}
	return AIRLOCK_OK;
}

struct airlock_sink airlock_age_writer_sink(struct airlock_age_writer *w)
{
	return (struct airlock_sink){ writer_write, w };
}

enum airlock_code airlock_age_writer_finish(struct airlock_age_writer *w, struct airlock_err *err)
{
	if (w->state != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "age writer used after %s",
		    w->state > 0 ? "finish" : "a failure");
	w->state = writer_flush(w, 1, err) == AIRLOCK_OK ? 1 : -1;
	return w->state > 0 ? AIRLOCK_OK : err->code;
}

void airlock_age_writer_free(struct airlock_age_writer *w)
{
	if (w == NULL)
		return;
	if (w->sec != NULL)
		sodium_free(w->sec);
	sodium_memzero(w->buf, sizeof w->buf);   /* plaintext */
	free(w);
}

/* ---- reader ---- */

struct stanza {
	size_t type_off, type_len;     /* offsets into the header buffer */
	size_t arg_off[2], arg_len[2]; /* the first two arguments after the type */
	size_t nargs;                  /* arguments after the type */
	uint8_t body[32];              /* the first 32 body bytes */
	size_t body_len;
};

struct reader_secrets {
	uint8_t file_key[FILE_KEY_BYTES];
	uint8_t payload_key[32];
	uint8_t scratch[96];
};

struct airlock_age_reader {
	struct airlock_source in;
	struct reader_secrets *sec;    /* sodium_malloc'd */
	enum airlock_age_failure why;
	uint64_t counter;
	int state;                     /* 0 reading, 1 final chunk seen, 2 at EOF, -1 failed */
	size_t io_pos, io_len;         /* bytes read ahead during the header */
	size_t out_pos, out_len;       /* plaintext not yet handed out */
	/* Header parsing only (freed after new()). */
	char *hdr;
	size_t hdr_len, hdr_cap;
	struct stanza *st;
	size_t nst, st_cap;
	uint8_t io[ENC_CHUNK];
	uint8_t enc[ENC_CHUNK];
	uint8_t plain[CHUNK];
};

static enum airlock_code age_fail(struct airlock_age_reader *r, enum airlock_age_failure why,
    struct airlock_err *err, const char *msg)
{
	r->why = why;
	return airlock_fail(err, AIRLOCK_E_VERIFY, "%s", msg);
}

static enum airlock_code header_bad(struct airlock_age_reader *r, struct airlock_err *err,
    const char *what)
{
	r->why = AIRLOCK_AGE_FAIL_HEADER;
	return airlock_fail(err, AIRLOCK_E_VERIFY, "age header is malformed: %s", what);
}

/* Reads up to len bytes (fewer only at EOF) from the read-ahead, then the
 * source. */
static enum airlock_code reader_fill(struct airlock_age_reader *r, uint8_t *buf, size_t len,
    size_t *got, struct airlock_err *err)
{
	size_t done = 0;
	if (r->io_pos < r->io_len) {
		done = r->io_len - r->io_pos < len ? r->io_len - r->io_pos : len;
		memcpy(buf, r->io + r->io_pos, done);
		r->io_pos += done;
	}
	while (done < len) {
		ssize_t n = r->in.read(r->in.ctx, buf + done, len - done, err);
		if (n < 0) {
			r->why = AIRLOCK_AGE_FAIL_NONE;
			return err->code != AIRLOCK_OK ? err->code
			    : airlock_fail(err, AIRLOCK_E_FAILED, "cannot read the age file");
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return AIRLOCK_OK;
}

/* Appends the next header line (with its LF) to r->hdr; off and len locate
 * it without the LF. */
static enum airlock_code header_line(struct airlock_age_reader *r, size_t *off, size_t *len,
    struct airlock_err *err)
{
	*off = r->hdr_len;
	for (;;) {
		if (r->io_pos == r->io_len) {
			ssize_t n = r->in.read(r->in.ctx, r->io, sizeof r->io, err);
			if (n < 0)
				return err->code != AIRLOCK_OK ? err->code
				    : airlock_fail(err, AIRLOCK_E_FAILED, "cannot read the age file");
			if (n == 0)
				return header_bad(r, err, "unexpected end of file");
			r->io_pos = 0;
			r->io_len = (size_t)n;
		}
		uint8_t *start = r->io + r->io_pos;
		uint8_t *lf = memchr(start, '\n', r->io_len - r->io_pos);
		size_t take = lf != NULL ? (size_t)(lf - start) + 1 : r->io_len - r->io_pos;
		if (r->hdr_len + take > HEADER_MAX)
			return header_bad(r, err, "header too large");
		if (r->hdr_len + take > r->hdr_cap) {
			size_t cap = r->hdr_cap * 2 > r->hdr_len + take ? r->hdr_cap * 2
			    : r->hdr_len + take;
			char *nh = realloc(r->hdr, cap);
			if (nh == NULL)
				return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the age header");
			r->hdr = nh;
			r->hdr_cap = cap;
		}
		memcpy(r->hdr + r->hdr_len, start, take);
		r->hdr_len += take;
		r->io_pos += take;
		if (lf != NULL) {
			*len = r->hdr_len - 1 - *off;
			return AIRLOCK_OK;
		}
	}
}

static int is_vchar(char c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* "-> " then arguments separated by exactly one space, each 1+ VCHARs. */
static enum airlock_code parse_args(struct airlock_age_reader *r, struct stanza *s, size_t off,
    size_t len, struct airlock_err *err)
{
	const char *p = r->hdr + off;
	size_t i = 3, count = 0;
	if (len < 3 || memcmp(p, "-> ", 3) != 0)
		return header_bad(r, err, "bad stanza line");
	while (i <= len) {
		size_t start = i;
		while (i < len && p[i] != ' ') {
			if (!is_vchar(p[i]))
				return header_bad(r, err, "invalid character in a stanza");
			i++;
		}
		if (i == start)
			return header_bad(r, err, "empty stanza argument");
		if (count == 0) {
			s->type_off = off + start;
			s->type_len = i - start;
		} else if (count <= 2) {
			s->arg_off[count - 1] = off + start;
			s->arg_len[count - 1] = i - start;
		}
		count++;
		i++;   /* skip the single space, or step past the end */
	}
	s->nargs = count - 1;
	return AIRLOCK_OK;
}

/* Body lines: exactly 64 canonical base64 chars each, ended by a shorter
 * one (possibly empty); each line canonical on its own, as age 1.1.1. */
static enum airlock_code parse_body(struct airlock_age_reader *r, struct stanza *s,
    struct airlock_err *err)
{
	for (;;) {
		size_t off, len, n;
		uint8_t chunk[48];
		if (header_line(r, &off, &len, err) != AIRLOCK_OK)
			return err->code;
		if (len > BODY_LINE)
			return header_bad(r, err, "stanza body line too long");
		if (airlock_b64_decode(chunk, sizeof chunk, &n, r->hdr + off, len,
		    AIRLOCK_B64_NOPAD) != 0)
			return header_bad(r, err, "stanza body is not canonical base64");
		if (s->body_len < sizeof s->body)
			memcpy(s->body + s->body_len, chunk,
			    n < sizeof s->body - s->body_len ? n : sizeof s->body - s->body_len);
		s->body_len += n;
		if (len < BODY_LINE)
			return AIRLOCK_OK;
	}
}

static enum airlock_code add_stanza(struct airlock_age_reader *r, size_t off, size_t len,
    struct airlock_err *err)
{
	if (r->nst == r->st_cap) {
		size_t cap = r->st_cap ? r->st_cap * 2 : 4;
		struct stanza *ns = realloc(r->st, cap * sizeof *ns);
		if (ns == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the age header");
		r->st = ns;
		r->st_cap = cap;
	}
	struct stanza *s = &r->st[r->nst];
	memset(s, 0, sizeof *s);
	if (parse_args(r, s, off, len, err) != AIRLOCK_OK || parse_body(r, s, err) != AIRLOCK_OK)
		return err->code;
	r->nst++;
	return AIRLOCK_OK;
}

/* Parses the whole header; *mac_end is the offset just after "---". */
static enum airlock_code parse_header(struct airlock_age_reader *r, uint8_t mac[32],
    size_t *mac_end, struct airlock_err *err)
{
	size_t off, len, n;
	if (header_line(r, &off, &len, err) != AIRLOCK_OK)
		return err->code;
	if (len != strlen(VERSION_LINE) || memcmp(r->hdr + off, VERSION_LINE, len) != 0)
		return header_bad(r, err, "not an age v1 file");
	for (;;) {
		if (header_line(r, &off, &len, err) != AIRLOCK_OK)
			return err->code;
		const char *p = r->hdr + off;
		if (len >= 3 && memcmp(p, "---", 3) == 0)
			break;
		if (add_stanza(r, off, len, err) != AIRLOCK_OK)
			return err->code;
	}
	if (r->nst == 0)
		return header_bad(r, err, "no recipient stanza");
	if (len != 4 + 43 || r->hdr[off + 3] != ' ' ||
	    airlock_b64_decode(mac, 32, &n, r->hdr + off + 4, 43, AIRLOCK_B64_NOPAD) != 0 || n != 32)
		return header_bad(r, err, "bad MAC line");
	*mac_end = off + 3;
	return AIRLOCK_OK;
}

enum unwrap_result { UNWRAP_OK, UNWRAP_NOT_MINE, UNWRAP_BAD };

static int type_is(const struct airlock_age_reader *r, const struct stanza *s, const char *t)
{
	return s->type_len == strlen(t) && memcmp(r->hdr + s->type_off, t, s->type_len) == 0;
}

/* A 16-byte file key sealed with a zero nonce under key. */
static enum unwrap_result open_body(const struct stanza *s, const uint8_t key[32],
    uint8_t file_key[FILE_KEY_BYTES])
{
	static const uint8_t zero[12];
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, s->body,
	    FILE_KEY_BYTES + TAG, NULL, 0, zero, key) != 0)
		return UNWRAP_NOT_MINE;
	return UNWRAP_OK;
}

static enum unwrap_result x25519_unwrap(struct airlock_age_reader *r, const struct stanza *s,
    const struct airlock_age_identity *id, struct airlock_err *err)
{
	uint8_t share[33], salt[64];
	uint8_t *shared = r->sec->scratch, *wrap = r->sec->scratch + 32;
	size_t n;
	if (!type_is(r, s, "X25519"))
		return UNWRAP_NOT_MINE;
	if (s->nargs != 1 || airlock_b64_decode(share, sizeof share, &n, r->hdr + s->arg_off[0],
	    s->arg_len[0], AIRLOCK_B64_NOPAD) != 0 || n != 32) {
		header_bad(r, err, "bad X25519 stanza");
		return UNWRAP_BAD;
	}
	/* Length before any decryption (x25519_long_file_key). */
	if (s->body_len != FILE_KEY_BYTES + TAG) {
		header_bad(r, err, "X25519 stanza body is not a 16-byte file key");
		return UNWRAP_BAD;
	}
	if (crypto_scalarmult(shared, id->sk, share) != 0) {
		header_bad(r, err, "X25519 share is a low-order point");
		return UNWRAP_BAD;
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, id->pk, 32);
	hkdf32(wrap, salt, sizeof salt, shared, 32, X25519_INFO);
	enum unwrap_result res = open_body(s, wrap, r->sec->file_key);
	sodium_memzero(r->sec->scratch, sizeof r->sec->scratch);
	return res;
}

/* ^[1-9][0-9]*$ with at most two digits (anything longer exceeds any cap). */
static int parse_log_n(const char *p, size_t len)
{
	if (len == 0 || len > 2 || p[0] < '1' || p[0] > '9')
		return -1;
	if (len == 2 && (p[1] < '0' || p[1] > '9'))
		return -1;
	return len == 1 ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
}

static enum unwrap_result scrypt_unwrap(struct airlock_age_reader *r, const struct stanza *s,
    const char *pass, int max_log_n, struct airlock_err *err)
{
	uint8_t salt[sizeof SCRYPT_LABEL - 1 + 16 + 1];
	size_t n;
	if (!type_is(r, s, "scrypt"))
		return UNWRAP_NOT_MINE;
	memcpy(salt, SCRYPT_LABEL, sizeof SCRYPT_LABEL - 1);
	if (s->nargs != 2 || airlock_b64_decode(salt + sizeof SCRYPT_LABEL - 1, 17, &n,
	    r->hdr + s->arg_off[0], s->arg_len[0], AIRLOCK_B64_NOPAD) != 0 || n != 16) {
		header_bad(r, err, "bad scrypt stanza");
		return UNWRAP_BAD;
	}
	int log_n = parse_log_n(r->hdr + s->arg_off[1], s->arg_len[1]);
	if (log_n < 0 || log_n > max_log_n) {
		header_bad(r, err, log_n < 0 ? "bad scrypt work factor"
		    : "scrypt work factor too large");
		return UNWRAP_BAD;
	}
	if (s->body_len != FILE_KEY_BYTES + TAG) {
		header_bad(r, err, "scrypt stanza body is not a 16-byte file key");
		return UNWRAP_BAD;
	}
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, strlen(pass), salt,
	    sizeof salt - 1, (uint64_t)1 << log_n, 8, 1, r->sec->scratch, 32) != 0) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "cannot run scrypt with work factor %d", log_n);
		return UNWRAP_BAD;
	}
	enum unwrap_result res = open_body(s, r->sec->scratch, r->sec->file_key);
	sodium_memzero(r->sec->scratch, sizeof r->sec->scratch);
	return res;
}

/* One key against every stanza, in order (age's multiUnwrap). */
static enum unwrap_result unwrap_one(struct airlock_age_reader *r,
    const struct airlock_age_identity *id, const char *pass, int max_log_n,
    struct airlock_err *err)
{
	for (size_t i = 0; i < r->nst; i++) {
		enum unwrap_result res = id != NULL ? x25519_unwrap(r, &r->st[i], id, err)
		    : scrypt_unwrap(r, &r->st[i], pass, max_log_n, err);
		if (res != UNWRAP_NOT_MINE)
			return res;
	}
	return UNWRAP_NOT_MINE;
}

static enum airlock_code unwrap_file_key(struct airlock_age_reader *r,
    const struct airlock_age_keys *keys, struct airlock_err *err)
{
	for (size_t i = 0; i < r->nst; i++)
		if (type_is(r, &r->st[i], "scrypt") && r->nst != 1)
			return header_bad(r, err, "an scrypt stanza must be the only stanza");
	for (size_t i = 0; i < keys->n_ids + keys->n_passphrases; i++) {
		enum unwrap_result res = i < keys->n_ids
		    ? unwrap_one(r, keys->ids[i], NULL, 0, err)
		    : unwrap_one(r, NULL, keys->passphrases[i - keys->n_ids], keys->max_log_n, err);
		if (res == UNWRAP_OK)
			return AIRLOCK_OK;
		if (res == UNWRAP_BAD)
			return err->code;
	}
	if (keys->n_ids == 0 && keys->n_passphrases > 0 && r->nst == 1 &&
	    type_is(r, &r->st[0], "scrypt"))
		return age_fail(r, AIRLOCK_AGE_FAIL_NO_MATCH, err, "wrong passphrase");
	return age_fail(r, AIRLOCK_AGE_FAIL_NO_MATCH, err,
	    "no identity matches this age file (it was encrypted to other recipients)");
}

static enum airlock_code check_mac(struct airlock_age_reader *r, const uint8_t mac[32],
    size_t mac_end, struct airlock_err *err)
{
	uint8_t *key = r->sec->scratch, *got = r->sec->scratch + 32;
	hkdf32(key, NULL, 0, r->sec->file_key, FILE_KEY_BYTES, "header");
	hmac_sha256(got, key, 32, (const uint8_t *)r->hdr, mac_end, NULL, 0);
	int bad = crypto_verify_32(got, mac) != 0;
	sodium_memzero(r->sec->scratch, sizeof r->sec->scratch);
	if (bad)
		return age_fail(r, AIRLOCK_AGE_FAIL_HMAC, err,
		    "age header MAC does not match: the header was altered");
	return AIRLOCK_OK;
}

/* parse -> unwrap -> MAC -> payload nonce, in age's order. */
static enum airlock_code reader_open(struct airlock_age_reader *r,
    const struct airlock_age_keys *keys, struct airlock_err *err)
{
	uint8_t mac[32], nonce[NONCE_BYTES];
	size_t mac_end = 0, got = 0;
	if (parse_header(r, mac, &mac_end, err) != AIRLOCK_OK ||
	    unwrap_file_key(r, keys, err) != AIRLOCK_OK ||
	    check_mac(r, mac, mac_end, err) != AIRLOCK_OK ||
	    reader_fill(r, nonce, sizeof nonce, &got, err) != AIRLOCK_OK)
		return err->code;
	if (got != sizeof nonce)
		return header_bad(r, err, "payload nonce missing or short");
	hkdf32(r->sec->payload_key, nonce, sizeof nonce, r->sec->file_key, FILE_KEY_BYTES,
	    "payload");
	return AIRLOCK_OK;
}

static void reader_drop_header(struct airlock_age_reader *r)
{
	free(r->hdr);
	free(r->st);
	r->hdr = NULL;
	r->st = NULL;
	r->hdr_len = r->hdr_cap = r->nst = r->st_cap = 0;
}

enum airlock_code airlock_age_reader_new_keys(struct airlock_age_reader **r,
    struct airlock_source in, const struct airlock_age_keys *keys,
    enum airlock_age_failure *why, struct airlock_err *err)
{
	struct airlock_age_reader *nr = calloc(1, sizeof *nr);
	if (why != NULL)
		*why = AIRLOCK_AGE_FAIL_NONE;
	if (nr == NULL || (nr->sec = sodium_malloc(sizeof *nr->sec)) == NULL) {
		free(nr);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the age reader");
	}
	nr->in = in;
	enum airlock_code rc = reader_open(nr, keys, err);
	reader_drop_header(nr);
	if (rc != AIRLOCK_OK) {
		if (why != NULL)
			*why = rc == AIRLOCK_E_VERIFY ? nr->why : AIRLOCK_AGE_FAIL_NONE;
		airlock_age_reader_free(nr);
		return rc;
	}
	*r = nr;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_reader_new(struct airlock_age_reader **r, struct airlock_source in,
    const struct airlock_age_identity *id, struct airlock_err *err)
{
	const struct airlock_age_identity *ids[1] = { id };
	struct airlock_age_keys keys = { ids, 1, NULL, 0, 0 };
	return airlock_age_reader_new_keys(r, in, &keys, NULL, err);
}

enum airlock_age_failure airlock_age_reader_failure(const struct airlock_age_reader *r)
{
	return r->why;
}

static enum airlock_code chunk_open(struct airlock_age_reader *r, size_t len, int last)
{
	uint8_t nonce[12];
	stream_nonce(nonce, r->counter, last);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(r->plain, NULL, NULL, r->enc, len, NULL, 0,
	    nonce, r->sec->payload_key) != 0)
		return AIRLOCK_E_VERIFY;
	r->out_pos = 0;
	r->out_len = len - TAG;
	r->counter++;
	return AIRLOCK_OK;
}

/* Reads and authenticates the next chunk, as age-go does: a short chunk
 * must be the last; a full one is tried as not-last, then as last. */
static enum airlock_code next_chunk(struct airlock_age_reader *r, struct airlock_err *err)
{
	size_t got = 0;
	if (reader_fill(r, r->enc, ENC_CHUNK, &got, err) != AIRLOCK_OK)
		return err->code;
	if (got == 0)
		return age_fail(r, AIRLOCK_AGE_FAIL_PAYLOAD, err,
		    "age payload is truncated: no final chunk");
	if (got < ENC_CHUNK) {
		/* Only an empty file may end with an empty chunk. */
		if (got < TAG || (got == TAG && r->counter != 0) || chunk_open(r, got, 1) != 0)
			return age_fail(r, AIRLOCK_AGE_FAIL_PAYLOAD, err,
			    "age payload is damaged or truncated");
		r->state = 1;
		return AIRLOCK_OK;
	}
	if (r->counter >> 63)
		return age_fail(r, AIRLOCK_AGE_FAIL_PAYLOAD, err, "age payload too long");
	if (chunk_open(r, got, 0) == AIRLOCK_OK)
		return AIRLOCK_OK;
	if (chunk_open(r, got, 1) != AIRLOCK_OK)
		return age_fail(r, AIRLOCK_AGE_FAIL_PAYLOAD, err, "age payload is damaged");
	r->state = 1;
	return AIRLOCK_OK;
}

/* After the final chunk, any further byte is an error. */
static enum airlock_code check_eof(struct airlock_age_reader *r, struct airlock_err *err)
{
	uint8_t probe;
	size_t got = 0;
	if (reader_fill(r, &probe, 1, &got, err) != AIRLOCK_OK)
		return err->code;
	if (got != 0)
		return age_fail(r, AIRLOCK_AGE_FAIL_PAYLOAD, err,
		    "age payload has data after the end of the encrypted stream");
	r->state = 2;
	return AIRLOCK_OK;
}

ssize_t airlock_age_reader_read(struct airlock_age_reader *r, void *buf, size_t len,
    struct airlock_err *err)
{
	while (r->out_pos == r->out_len) {
		enum airlock_code rc = AIRLOCK_OK;
		if (r->state < 0) {
			airlock_fail(err, AIRLOCK_E_VERIFY, "age reader used after a failure");
			return -1;
		}
		if (r->state == 2)
			return 0;
		rc = r->state == 1 ? check_eof(r, err) : next_chunk(r, err);
		if (rc != AIRLOCK_OK) {
			r->state = -1;
			return -1;
		}
	}
	size_t n = r->out_len - r->out_pos < len ? r->out_len - r->out_pos : len;
	memcpy(buf, r->plain + r->out_pos, n);
	r->out_pos += n;
	return (ssize_t)n;
}

static ssize_t reader_source_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	return airlock_age_reader_read(ctx, buf, len, err);
}

struct airlock_source airlock_age_reader_source(struct airlock_age_reader *r)
{
	return (struct airlock_source){ reader_source_read, r };
}

void airlock_age_reader_free(struct airlock_age_reader *r)
{
	if (r == NULL)
		return;
	reader_drop_header(r);
	if (r->sec != NULL)
		sodium_free(r->sec);
	sodium_memzero(r->plain, sizeof r->plain);
	free(r);
}

/* ---- passphrase-encrypted buffers ---- */

struct mem_sink {
	uint8_t *buf;
	size_t len, cap;
};

static enum airlock_code mem_sink_write(void *ctx, const void *data, size_t len,
    struct airlock_err *err)
{
	struct mem_sink *m = ctx;
	if (len > m->cap - m->len)
		return airlock_fail(err, AIRLOCK_E_FAILED, "age output larger than expected");
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return AIRLOCK_OK;
}

struct mem_source {
	const uint8_t *buf;
	size_t len, pos;
};

static ssize_t mem_source_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	struct mem_source *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

/* "-> scrypt <salt> <logN>\n<body>\n" for the writer's file key. */
static enum airlock_code scrypt_stanza(char *hdr, size_t *len, const char *pass, int log_n,
    const uint8_t file_key[FILE_KEY_BYTES], struct airlock_err *err)
{
	uint8_t salt[sizeof SCRYPT_LABEL - 1 + 16], body[FILE_KEY_BYTES + TAG];
	static const uint8_t zero[12];
	uint8_t *key = sodium_malloc(32);
	if (key == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for age keys");
	memcpy(salt, SCRYPT_LABEL, sizeof SCRYPT_LABEL - 1);
	randombytes_buf(salt + sizeof SCRYPT_LABEL - 1, 16);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, strlen(pass), salt,
	    sizeof salt, (uint64_t)1 << log_n, 8, 1, key, 32) != 0) {
		sodium_free(key);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "cannot run scrypt with work factor %d",
		    log_n);
	}
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY_BYTES, NULL, 0,
	    NULL, zero, key);
	sodium_free(key);
	char s64[23], b64[44];
	airlock_b64_encode(s64, salt + sizeof SCRYPT_LABEL - 1, 16, AIRLOCK_B64_NOPAD);
	airlock_b64_encode(b64, body, sizeof body, AIRLOCK_B64_NOPAD);
	int n = snprintf(hdr + *len, SCRYPT_HEADER_MAX - *len, "-> scrypt %s %d\n%s\n", s64, log_n,
	    b64);
	*len += (size_t)n;
	return AIRLOCK_OK;
}

static size_t encrypted_size(size_t len)
{
	size_t chunks = len == 0 ? 1 : (len + CHUNK - 1) / CHUNK;
	return SCRYPT_HEADER_MAX + NONCE_BYTES + len + chunks * TAG;
}

enum airlock_code airlock_age_encrypt_passphrase(uint8_t **out, size_t *outlen,
    const uint8_t *in, size_t inlen, const char *passphrase, int log_n, struct airlock_err *err)
{
	if (log_n < 1 || log_n > AGE_MAX_LOG_N || passphrase[0] == '\0')
		return airlock_fail(err, AIRLOCK_E_USAGE,
		    "passphrase encryption needs a passphrase and a work factor of 1 to %d",
		    AGE_MAX_LOG_N);
	if (inlen > SIZE_MAX / 2)
		return airlock_fail(err, AIRLOCK_E_USAGE, "input too large");
	struct mem_sink m = { sodium_malloc(encrypted_size(inlen)), 0, encrypted_size(inlen) };
	struct airlock_age_writer *w = NULL;
	char hdr[SCRYPT_HEADER_MAX];
	size_t hlen = sizeof VERSION_LINE;
	memcpy(hdr, VERSION_LINE "\n", hlen);
	if (m.buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for age output");
	if (writer_alloc(&w, (struct airlock_sink){ mem_sink_write, &m }, err) != AIRLOCK_OK ||
	    scrypt_stanza(hdr, &hlen, passphrase, log_n, w->sec->file_key, err) != AIRLOCK_OK ||
	    writer_start(w, hdr, hlen, err) != AIRLOCK_OK ||
	    writer_write(w, in, inlen, err) != AIRLOCK_OK ||
	    airlock_age_writer_finish(w, err) != AIRLOCK_OK) {
		airlock_age_writer_free(w);
		sodium_free(m.buf);
		return err->code;
	}
	airlock_age_writer_free(w);
	*out = m.buf;
	*outlen = m.len;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_decrypt_passphrase(uint8_t **out, size_t *outlen,
    const uint8_t *in, size_t inlen, const char *passphrase, int max_log_n,
    struct airlock_err *err)
{
	struct mem_source src = { in, inlen, 0 };
	const char *pass[1] = { passphrase };
	struct airlock_age_keys keys = { NULL, 0, pass, 1, max_log_n };
	struct airlock_age_reader *r;
	/* The plaintext is never longer than the ciphertext; +1 for a NUL. */
	uint8_t *buf = sodium_malloc(inlen + 1);
	size_t len = 0;
	if (buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for age output");
	if (airlock_age_reader_new_keys(&r, (struct airlock_source){ mem_source_read, &src }, &keys,
	    NULL, err) != AIRLOCK_OK) {
		sodium_free(buf);
		return err->code;
	}
	for (;;) {
		ssize_t n = airlock_age_reader_read(r, buf + len, inlen - len, err);
		if (n <= 0) {
			airlock_age_reader_free(r);
			if (n < 0) {
				sodium_free(buf);
				return err->code;
			}
			break;
		}
		len += (size_t)n;
	}
	buf[len] = 0;
	*out = buf;
	*outlen = len;
	return AIRLOCK_OK;
}

/* ---- identity files ---- */

static enum airlock_code identity_text(char *out, size_t cap, const struct airlock_age_identity *id,
    size_t *len, struct airlock_err *err)
{
	char recip[AIRLOCK_AGE_RECIPIENT_LEN + 1], created[32];
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot format the current time");
	airlock_age_recipient_format(recip, id->pk);
	int n = snprintf(out, cap, "# created: %s\n# public key: %s\n", created, recip);
	if (n < 0 || (size_t)n + AIRLOCK_AGE_IDENTITY_LEN + 2 > cap ||
	    airlock_bech32_encode(out + n, cap - (size_t)n, IDENTITY_HRP, id->sk, 32, 1) != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "identity text too long");
	n += AIRLOCK_AGE_IDENTITY_LEN;
	out[n++] = '\n';
	out[n] = '\0';
	*len = (size_t)n;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_identity_write_file(const struct airlock_age_identity *id,
    const char *path, const char *passphrase, enum airlock_kdf_cost cost,
    struct airlock_err *err)
{
	const size_t cap = 256;
	char *text = sodium_malloc(cap);
	uint8_t *enc = NULL;
	size_t len = 0, enclen = 0;
	enum airlock_code rc;
	if (text == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for an age identity");
	rc = identity_text(text, cap, id, &len, err);
	if (rc == AIRLOCK_OK && passphrase == NULL)
		rc = airlock_secret_file_write(path, text, len, err);
	else if (rc == AIRLOCK_OK) {
		rc = airlock_age_encrypt_passphrase(&enc, &enclen, (const uint8_t *)text, len,
		    passphrase, cost == AIRLOCK_KDF_SENSITIVE ? SENSITIVE_LOG_N : INTERACTIVE_LOG_N,
		    err);
		if (rc == AIRLOCK_OK)
			rc = airlock_secret_file_write(path, enc, enclen, err);
	}
	if (enc != NULL)
		sodium_free(enc);
	sodium_free(text);
	return rc;
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t k = strlen(prefix);
	return len >= k && memcmp(s, prefix, k) == 0;
}

/* age-keygen format: skip empty and '#' lines, parse the first other one. */
static enum airlock_code identity_from_text(struct airlock_age_identity **id, char *text,
    size_t len, const char *path, struct airlock_err *err)
{
	size_t pos = 0;
	while (pos < len) {
		char *line = text + pos, *lf = memchr(line, '\n', len - pos);
		size_t n = lf != NULL ? (size_t)(lf - line) : len - pos;
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		char save = line[n];
		line[n] = '\0';   /* text is our own wiped copy */
		enum airlock_code rc = airlock_age_identity_parse(id, line, err);
		line[n] = save;
		if (rc != AIRLOCK_OK)
			airlock_hint(err, "'%s' should be an age identity file (age-keygen)", path);
		return rc;
	}
	return airlock_fail(err, AIRLOCK_E_FAILED, "no identity found in '%s'", path);
}

static int text_is_age_file(const char *text, size_t len)
{
	return starts_with(text, len, VERSION_LINE "\n");
}

static enum airlock_code identity_decrypt(char **text, size_t *len, const char *path,
    const char *passphrase, struct airlock_err *err)
{
	struct airlock_err inner;
	uint8_t *plain;
	size_t plen;
	if (passphrase == NULL) {
		airlock_fail(err, AIRLOCK_E_FAILED, "identity file '%s' needs a passphrase", path);
		airlock_hint(err, "give the passphrase the identity was encrypted with");
		return err->code;
	}
	airlock_err_init(&inner);
	if (airlock_age_decrypt_passphrase(&plain, &plen, (const uint8_t *)*text, *len, passphrase,
	    AGE_MAX_LOG_N, &inner) != AIRLOCK_OK) {
		if (strcmp(inner.msg, "wrong passphrase") == 0) {
			airlock_fail(err, AIRLOCK_E_FAILED, "wrong passphrase for identity file '%s'",
			    path);
			airlock_hint(err, "check the passphrase (it is case-sensitive) and try again");
			return err->code;
		}
		return airlock_fail(err, inner.code == AIRLOCK_E_VERIFY ? AIRLOCK_E_FAILED : inner.code,
		    "cannot decrypt identity file '%s': %s", path, inner.msg);
	}
	sodium_free(*text);
	*text = (char *)plain;
	*len = plen;
	return AIRLOCK_OK;
}

enum airlock_code airlock_age_identity_read_file(struct airlock_age_identity **id,
    const char *path, const char *passphrase, struct airlock_err *err)
{
	char *text;
	size_t len;
	if (airlock_secret_file_read(path, IDENTITY_FILE_MAX, &text, &len, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = AIRLOCK_OK;
	if (text_is_age_file(text, len))
		rc = identity_decrypt(&text, &len, path, passphrase, err);
	if (rc == AIRLOCK_OK)
		rc = identity_from_text(id, text, len, path, err);
	sodium_free(text);
	return rc;
}

int airlock_age_identity_file_is_encrypted(const char *path, struct airlock_err *err)
{
	char *text;
	size_t len;
	if (airlock_secret_file_read(path, IDENTITY_FILE_MAX, &text, &len, err) != AIRLOCK_OK)
		return -1;
	int enc = text_is_age_file(text, len);
	sodium_free(text);
	return enc;
}
