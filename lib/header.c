/* header.c - bundle.json: canonical writer and strict parser.
 * The parser reads untrusted (though signed) bytes and accepts exactly the
 * canonical form the writer produces, so no byte of the header can carry
 * anything the struct does not say. */
#include "airlock/header.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/encoding.h"
#include "airlock/json.h"

#define FORMAT_NAME "airlock-bundle"
#define FORMAT_VERSION 1
#define RECIPIENT_BUF 64   /* "age1" + 58 + NUL, with room to spare */

void airlock_header_init(struct airlock_bundle_header *h)
{
	memset(h, 0, sizeof(*h));
}

void airlock_header_release(struct airlock_bundle_header *h)
{
	free(h->recipients);
	free(h->segments);
	memset(h, 0, sizeof(*h));
}

static enum airlock_code dup_array(void **dst, const void *src, size_t n, size_t each,
    struct airlock_err *err)
{
	void *p = NULL;
	if (n > 0) {
		p = calloc(n, each);
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
		memcpy(p, src, n * each);
	}
	free(*dst);
	*dst = p;
	return AIRLOCK_OK;
}

enum airlock_code airlock_header_set_recipients(struct airlock_bundle_header *h,
    const uint8_t (*recipients)[32], size_t n, struct airlock_err *err)
{
	void *p = h->recipients;
	enum airlock_code rc = dup_array(&p, recipients, n, 32, err);
	h->recipients = p;
	h->nrecipients = rc == AIRLOCK_OK ? n : 0;
	return rc;
}

enum airlock_code airlock_header_set_segments(struct airlock_bundle_header *h,
    const uint8_t (*segments)[AIRLOCK_HASH_BYTES], size_t n, struct airlock_err *err)
{
	void *p = h->segments;
	enum airlock_code rc = dup_array(&p, segments, n, AIRLOCK_HASH_BYTES, err);
	h->segments = p;
	h->nsegments = rc == AIRLOCK_OK ? n : 0;
	return rc;
}

uint64_t airlock_header_segment_count(uint64_t payload_size)
{
	uint64_t n = payload_size / AIRLOCK_SEGMENT_SIZE + (payload_size % AIRLOCK_SEGMENT_SIZE != 0);
	/* one segment's hash would repeat payload.blake2b */
	return n > 1 ? n : 0;
}

/* minisign prints the key id as a little-endian u64 with "%" PRIX64, that
 * is without zero padding; we follow it exactly. */
void airlock_header_key_id_format(char out[17], const uint8_t id[AIRLOCK_KEY_ID_BYTES])
{
	static const char digits[] = "0123456789ABCDEF";
	uint64_t v = 0;
	char tmp[17];
	size_t n = 0;
	for (int i = AIRLOCK_KEY_ID_BYTES - 1; i >= 0; i--)
		v = (v << 8) | id[i];
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

int airlock_header_key_id_parse(uint8_t id[AIRLOCK_KEY_ID_BYTES], const char *s)
{
	size_t len = strlen(s);
	uint64_t v = 0;
	char back[17];
	if (len == 0 || len > 16)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = (v << 4) | (uint64_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = (v << 4) | (uint64_t)(c - 'A' + 10);
		else
			return -1;
	}
	for (int i = 0; i < AIRLOCK_KEY_ID_BYTES; i++)
		id[i] = (uint8_t)(v >> (8 * i));
	airlock_header_key_id_format(back, id);
	return strcmp(back, s) == 0 ? 0 : -1;   /* no leading zeros */
}

/* ---- rules shared by the writer and the parser ---- */

static int has_duplicate_recipient(const struct airlock_bundle_header *h)
{
	for (size_t i = 0; i < h->nrecipients; i++)
		for (size_t j = i + 1; j < h->nrecipients; j++)
			if (memcmp(h->recipients[i], h->recipients[j], 32) == 0)
				return 1;
	return 0;
}

static enum airlock_code check_versions(const struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	if (h->has_base && h->base_version > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: base.version is out of range");
	if (h->target_version < 1 || h->target_version > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: target.version is out of range");
	if (h->has_base && h->target_version <= h->base_version)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "bundle header: target.version is not above base.version");
	if (h->target_files < 1 || h->target_files > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: target.files is out of range");
	if (h->target_bytes > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: target.bytes is out of range");
	return AIRLOCK_OK;
}

static enum airlock_code check_payload(const struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	if (h->payload_size < 1 || h->payload_size > AIRLOCK_PAYLOAD_SIZE_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: payload.size is out of range");
	if (h->segment_size != AIRLOCK_SEGMENT_SIZE)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "bundle header: payload.segment_size is not %llu",
		    (unsigned long long)AIRLOCK_SEGMENT_SIZE);
	if (h->nsegments != airlock_header_segment_count(h->payload_size))
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "bundle header: payload.segments does not match payload.size");
	if (h->window_log < AIRLOCK_WINDOW_LOG_MIN || h->window_log > AIRLOCK_WINDOW_LOG_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: limits.window_log is out of range");
	if (h->unpacked_bytes < 1 || h->unpacked_bytes > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "bundle header: limits.unpacked_bytes is out of range");
	if (h->entries < 1 || h->entries > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: limits.entries is out of range");
	return AIRLOCK_OK;
}

enum airlock_code airlock_header_check(const struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	char t[AIRLOCK_TIME_LEN + 1];
	int64_t back;
	if (memchr(h->feed, '\0', sizeof(h->feed)) == NULL || airlock_feed_name_check(h->feed) != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: feed is not a valid feed name");
	if (h->sequence < 1 || h->sequence > AIRLOCK_JSON_INT_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: sequence is out of range");
	airlock_time_format(t, h->created);
	if (airlock_time_parse(t, &back) != 0 || back != h->created)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: created is out of range");
	airlock_time_format(t, h->expires);
	if (airlock_time_parse(t, &back) != 0 || back != h->expires)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: expires is out of range");
	if (h->expires <= h->created)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: expires is not after created");
	if (h->nrecipients < 1 || h->nrecipients > AIRLOCK_RECIPIENTS_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "bundle header: recipients must list 1 to %d keys", AIRLOCK_RECIPIENTS_MAX);
	if (has_duplicate_recipient(h))
		return airlock_fail(err, AIRLOCK_E_VERIFY, "bundle header: a recipient is listed twice");
	if (check_versions(h, err) != AIRLOCK_OK)
		return err->code;
	return check_payload(h, err);
}

/* ---- writer ---- */

static json_t *hash_json(const uint8_t hash[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, hash);
	return json_string(hex);
}

static json_t *time_json(int64_t t)
{
	char s[AIRLOCK_TIME_LEN + 1];
	airlock_time_format(s, t);
	return json_string(s);
}

static json_t *base_json(const struct airlock_bundle_header *h)
{
	if (!h->has_base)
		return json_null();
	return json_pack("{s:I,s:o}", "version", (json_int_t)h->base_version,
	    "tree", hash_json(h->base_tree));
}

static json_t *target_json(const struct airlock_bundle_header *h)
{
	return json_pack("{s:I,s:o,s:I,s:I}", "version", (json_int_t)h->target_version,
	    "tree", hash_json(h->target_tree), "files", (json_int_t)h->target_files,
	    "bytes", (json_int_t)h->target_bytes);
}

static json_t *recipients_json(const struct airlock_bundle_header *h)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < h->nrecipients; i++) {
		char s[RECIPIENT_BUF];
		if (airlock_bech32_encode(s, sizeof(s), "age", h->recipients[i], 32, 0) != 0 ||
		    json_array_append_new(a, json_string(s)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *payload_json(const struct airlock_bundle_header *h)
{
	json_t *segs = json_array();
	for (size_t i = 0; segs != NULL && i < h->nsegments; i++) {
		if (json_array_append_new(segs, hash_json(h->segments[i])) != 0) {
			json_decref(segs);
			return NULL;
		}
	}
	return json_pack("{s:I,s:o,s:I,s:o}", "size", (json_int_t)h->payload_size,
	    "blake2b", hash_json(h->payload_hash), "segment_size", (json_int_t)h->segment_size,
	    "segments", segs);
}

/* json_pack with "o" steals each reference even on failure, and a NULL
 * member makes it fail: so one NULL anywhere gives a NULL document. */
static json_t *header_json(const struct airlock_bundle_header *h)
{
	char id[2 * AIRLOCK_BUNDLE_ID_BYTES + 1];
	char kid[17];
	airlock_hex_encode(id, h->bundle_id, AIRLOCK_BUNDLE_ID_BYTES);
	airlock_header_key_id_format(kid, h->signer_key_id);
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:{s:i,s:I,s:I}}",
	    "format", FORMAT_NAME, "format_version", FORMAT_VERSION, "bundle_id", id,
	    "feed", h->feed, "sequence", (json_int_t)h->sequence,
	    "created", time_json(h->created), "expires", time_json(h->expires),
	    "signer_key_id", kid, "base", base_json(h), "target", target_json(h),
	    "recipients", recipients_json(h), "payload", payload_json(h),
	    "limits", "window_log", h->window_log, "unpacked_bytes", (json_int_t)h->unpacked_bytes,
	    "entries", (json_int_t)h->entries);
}

static enum airlock_code dump_canonical(const struct airlock_bundle_header *h, char **json,
    size_t *len, struct airlock_err *err)
{
	json_t *doc = header_json(h);
	char *s;
	size_t n;
	if (doc == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	n = strlen(s);
	*json = malloc(n + 2);
	if (*json != NULL) {
		memcpy(*json, s, n);
		(*json)[n] = '\n';
		(*json)[n + 1] = '\0';
		*len = n + 1;
	}
	free(s);
	if (*json == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	return AIRLOCK_OK;
}

enum airlock_code airlock_header_to_json(const struct airlock_bundle_header *h, char **json,
    size_t *len, struct airlock_err *err)
{
	if (airlock_header_check(h, err) != AIRLOCK_OK)
		return err->code;
	return dump_canonical(h, json, len, err);
}

/* ---- parser ---- */

#define BAD(err, ...) airlock_fail((err), AIRLOCK_E_VERIFY, "bundle header: " __VA_ARGS__)

/* The object must have exactly these keys (the order is checked by the
 * final canonical comparison). */
static enum airlock_code want_keys(json_t *obj, const char *where, const char *const *keys,
    size_t n, struct airlock_err *err)
{
	return airlock_json_want_keys(obj, "bundle header", where, keys, n, n, err);
}

static enum airlock_code get_uint(json_t *obj, const char *key, uint64_t min, uint64_t max,
    uint64_t *out, struct airlock_err *err)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;
	if (!json_is_integer(v))
		return BAD(err, "%s is not an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return BAD(err, "%s is out of range", key);
	*out = (uint64_t)i;
	return AIRLOCK_OK;
}

static enum airlock_code get_str(json_t *obj, const char *key, const char **out,
    struct airlock_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return BAD(err, "%s is not a string", key);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return BAD(err, "%s contains a NUL byte", key);
	return AIRLOCK_OK;
}

static int lower_hex(const char *s, size_t nbytes, uint8_t *out)
{
	size_t len = strlen(s);
	if (len != 2 * nbytes)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return airlock_hex_decode(out, nbytes, s, len);
}

static enum airlock_code get_hex(json_t *obj, const char *key, uint8_t *out, size_t nbytes,
    struct airlock_err *err)
{
	const char *s;
	if (get_str(obj, key, &s, err) != AIRLOCK_OK)
		return err->code;
	if (lower_hex(s, nbytes, out) != 0)
		return BAD(err, "%s is not %zu lowercase hex digits", key, 2 * nbytes);
	return AIRLOCK_OK;
}

static enum airlock_code get_time(json_t *obj, const char *key, int64_t *out,
    struct airlock_err *err)
{
	const char *s;
	if (get_str(obj, key, &s, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_time_parse(s, out) != 0)
		return BAD(err, "%s is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)", key);
	return AIRLOCK_OK;
}

static enum airlock_code parse_base(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	static const char *const keys[] = { "version", "tree" };
	json_t *b = json_object_get(doc, "base");
	if (json_is_null(b))
		return AIRLOCK_OK;
	h->has_base = 1;
	if (want_keys(b, "base", keys, 2, err) != AIRLOCK_OK ||
	    get_uint(b, "version", 0, AIRLOCK_JSON_INT_MAX, &h->base_version, err) != AIRLOCK_OK)
		return err->code;
	return get_hex(b, "tree", h->base_tree, AIRLOCK_HASH_BYTES, err);
}

static enum airlock_code parse_target(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	static const char *const keys[] = { "version", "tree", "files", "bytes" };
	json_t *t = json_object_get(doc, "target");
	if (want_keys(t, "target", keys, 4, err) != AIRLOCK_OK ||
	    get_uint(t, "version", 1, AIRLOCK_JSON_INT_MAX, &h->target_version, err) != AIRLOCK_OK ||
	    get_hex(t, "tree", h->target_tree, AIRLOCK_HASH_BYTES, err) != AIRLOCK_OK ||
	    get_uint(t, "files", 1, AIRLOCK_JSON_INT_MAX, &h->target_files, err) != AIRLOCK_OK)
		return err->code;
	return get_uint(t, "bytes", 0, AIRLOCK_JSON_INT_MAX, &h->target_bytes, err);
}

static enum airlock_code parse_recipient(json_t *v, uint8_t pk[32], struct airlock_err *err)
{
	char hrp[8], back[RECIPIENT_BUF];
	size_t n = 0;
	const char *s = json_string_value(v);
	if (s == NULL)
		return BAD(err, "a recipient is not a string");
	if (strlen(s) >= sizeof(back) ||
	    airlock_bech32_decode(hrp, sizeof(hrp), pk, 32, &n, s) != 0 ||
	    strcmp(hrp, "age") != 0 || n != 32 ||
	    airlock_bech32_encode(back, sizeof(back), "age", pk, 32, 0) != 0 ||
	    strcmp(back, s) != 0)
		return BAD(err, "a recipient is not a lowercase age1... X25519 recipient");
	return AIRLOCK_OK;
}

static enum airlock_code parse_recipients(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	json_t *a = json_object_get(doc, "recipients");
	size_t n = json_array_size(a);
	if (!json_is_array(a))
		return BAD(err, "recipients is not an array");
	if (n < 1 || n > AIRLOCK_RECIPIENTS_MAX)
		return BAD(err, "recipients must list 1 to %d keys", AIRLOCK_RECIPIENTS_MAX);
	h->recipients = calloc(n, 32);
	if (h->recipients == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	h->nrecipients = n;
	for (size_t i = 0; i < n; i++)
		if (parse_recipient(json_array_get(a, i), h->recipients[i], err) != AIRLOCK_OK)
			return err->code;
	return AIRLOCK_OK;
}

static enum airlock_code parse_segments(json_t *p, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	json_t *a = json_object_get(p, "segments");
	size_t n = json_array_size(a);
	if (!json_is_array(a))
		return BAD(err, "segments is not an array");
	if (n != airlock_header_segment_count(h->payload_size))
		return BAD(err, "payload.segments does not match payload.size");
	if (n == 0)
		return AIRLOCK_OK;
	h->segments = calloc(n, AIRLOCK_HASH_BYTES);
	if (h->segments == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	h->nsegments = n;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s == NULL || lower_hex(s, AIRLOCK_HASH_BYTES, h->segments[i]) != 0)
			return BAD(err, "payload.segments[%zu] is not a lowercase hash", i);
	}
	return AIRLOCK_OK;
}

static enum airlock_code parse_payload(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	static const char *const keys[] = { "size", "blake2b", "segment_size", "segments" };
	json_t *p = json_object_get(doc, "payload");
	if (want_keys(p, "payload", keys, 4, err) != AIRLOCK_OK ||
	    get_uint(p, "size", 1, AIRLOCK_PAYLOAD_SIZE_MAX, &h->payload_size, err) != AIRLOCK_OK ||
	    get_hex(p, "blake2b", h->payload_hash, AIRLOCK_HASH_BYTES, err) != AIRLOCK_OK ||
	    get_uint(p, "segment_size", AIRLOCK_SEGMENT_SIZE, AIRLOCK_SEGMENT_SIZE, &h->segment_size,
	    err) != AIRLOCK_OK)
		return err->code;
	return parse_segments(p, h, err);
}

static enum airlock_code parse_limits(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	static const char *const keys[] = { "window_log", "unpacked_bytes", "entries" };
	json_t *l = json_object_get(doc, "limits");
	uint64_t wl;
	if (want_keys(l, "limits", keys, 3, err) != AIRLOCK_OK ||
	    get_uint(l, "window_log", AIRLOCK_WINDOW_LOG_MIN, AIRLOCK_WINDOW_LOG_MAX, &wl, err) ||
	    get_uint(l, "unpacked_bytes", 1, AIRLOCK_JSON_INT_MAX, &h->unpacked_bytes, err) ||
	    get_uint(l, "entries", 1, AIRLOCK_JSON_INT_MAX, &h->entries, err))
		return err->code;
	h->window_log = (int)wl;
	return AIRLOCK_OK;
}

static enum airlock_code parse_top(json_t *doc, struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	static const char *const keys[] = { "format", "format_version", "bundle_id", "feed",
		"sequence", "created", "expires", "signer_key_id", "base", "target", "recipients",
		"payload", "limits" };
	const char *s;
	uint64_t v;
	if (want_keys(doc, "the header", keys, sizeof(keys) / sizeof(keys[0]), err) != AIRLOCK_OK ||
	    get_str(doc, "format", &s, err) != AIRLOCK_OK)
		return err->code;
	if (strcmp(s, FORMAT_NAME) != 0)
		return BAD(err, "format is not \"" FORMAT_NAME "\"");
	if (get_uint(doc, "format_version", 0, AIRLOCK_JSON_INT_MAX, &v, err) != AIRLOCK_OK)
		return err->code;
	if (v != FORMAT_VERSION)
		return BAD(err, "format_version %llu is not supported (this reader knows 1)",
		    (unsigned long long)v);
	if (get_hex(doc, "bundle_id", h->bundle_id, AIRLOCK_BUNDLE_ID_BYTES, err) != AIRLOCK_OK ||
	    get_str(doc, "feed", &s, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_feed_name_check(s) != 0)
		return BAD(err, "feed is not a valid feed name");
	memcpy(h->feed, s, strlen(s) + 1);
	if (get_uint(doc, "sequence", 1, AIRLOCK_JSON_INT_MAX, &h->sequence, err) != AIRLOCK_OK ||
	    get_time(doc, "created", &h->created, err) != AIRLOCK_OK ||
	    get_time(doc, "expires", &h->expires, err) != AIRLOCK_OK ||
	    get_str(doc, "signer_key_id", &s, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_header_key_id_parse(h->signer_key_id, s) != 0)
		return BAD(err, "signer_key_id is not a minisign key id (uppercase hex, no leading zeros)");
	if (parse_base(doc, h, err) != AIRLOCK_OK || parse_target(doc, h, err) != AIRLOCK_OK ||
	    parse_recipients(doc, h, err) != AIRLOCK_OK || parse_payload(doc, h, err) != AIRLOCK_OK)
		return err->code;
	return parse_limits(doc, h, err);
}

/* After every value checks out, the bytes must be exactly what the writer
 * would produce: no extra whitespace, escapes or reordered keys. */
static enum airlock_code check_canonical(const struct airlock_bundle_header *h,
    const char *json, size_t len, struct airlock_err *err)
{
	char *canon = NULL;
	size_t clen = 0;
	int same;
	if (dump_canonical(h, &canon, &clen, err) != AIRLOCK_OK)
		return err->code;
	same = clen == len && memcmp(canon, json, len) == 0;
	free(canon);
	if (!same)
		return BAD(err, "not in canonical form (key order, spacing or escapes differ)");
	return AIRLOCK_OK;
}

enum airlock_code airlock_header_parse(const char *json, size_t len,
    struct airlock_bundle_header *h, struct airlock_err *err)
{
	json_error_t jerr;
	json_t *doc;
	enum airlock_code rc;
	airlock_header_init(h);
	if (len > AIRLOCK_HEADER_JSON_MAX)
		return BAD(err, "larger than %u bytes", AIRLOCK_HEADER_JSON_MAX);
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		char q[JSON_ERROR_TEXT_LENGTH];
		airlock_escape(q, sizeof(q), jerr.text, strlen(jerr.text));
		return BAD(err, "not valid JSON: %s (line %d)", q, jerr.line);
	}
	rc = parse_top(doc, h, err);
	if (rc == AIRLOCK_OK)
		rc = airlock_header_check(h, err);
	if (rc == AIRLOCK_OK)
		rc = check_canonical(h, json, len, err);
	json_decref(doc);
	if (rc != AIRLOCK_OK)
		airlock_header_release(h);
	return rc;
}
