/* names.c - feed names, receipts, times: small canonical text forms. */
#include "airlock/names.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "airlock/encoding.h"

static int is_name_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '.' || c == '_' || c == '-');
}

int airlock_feed_name_check(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > AIRLOCK_FEED_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(name[i], i == 0))
			return -1;
	return 0;
}

int airlock_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void airlock_receipt_format(char out[AIRLOCK_RECEIPT_MAX], const char *feed, uint64_t version,
    const uint8_t tree[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_RECEIPT_PREFIX_LEN + 1];
	airlock_hex_encode(hex, tree, AIRLOCK_RECEIPT_PREFIX_LEN / 2);
	snprintf(out, AIRLOCK_RECEIPT_MAX, "%s@%llu:%s", feed, (unsigned long long)version, hex);
}

static const char receipt_hint[] =
    "a receipt looks like 'iocs@42:3f9a1c2e': feed, '@', version, ':', 8 hex digits";

enum airlock_code airlock_receipt_parse(struct airlock_receipt *r, const char *s,
    struct airlock_err *err)
{
	char buf[AIRLOCK_RECEIPT_MAX];
	size_t len;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
	    s[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= sizeof buf) {
		airlock_fail(err, AIRLOCK_E_USAGE, "receipt is empty or too long");
		goto bad;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *at = strchr(buf, '@');
	char *colon = at ? strchr(at, ':') : NULL;
	if (at == NULL || colon == NULL) {
		airlock_fail(err, AIRLOCK_E_USAGE, "receipt '%s' lacks '@' or ':'", buf);
		goto bad;
	}
	*at = '\0';
	*colon = '\0';
	if (airlock_feed_name_check(buf) != 0) {
		airlock_fail(err, AIRLOCK_E_USAGE, "receipt names an invalid feed '%s'", buf);
		goto bad;
	}
	if (airlock_parse_u64(at + 1, UINT64_MAX, &r->version) != 0 || r->version == 0) {
		airlock_fail(err, AIRLOCK_E_USAGE, "receipt version '%s' is not a positive number", at + 1);
		goto bad;
	}
	uint8_t raw[AIRLOCK_RECEIPT_PREFIX_LEN / 2];
	if (strlen(colon + 1) != AIRLOCK_RECEIPT_PREFIX_LEN ||
	    airlock_hex_decode(raw, sizeof raw, colon + 1, AIRLOCK_RECEIPT_PREFIX_LEN) != 0) {
		airlock_fail(err, AIRLOCK_E_USAGE, "receipt tree prefix '%s' is not %d hex digits",
		    colon + 1, AIRLOCK_RECEIPT_PREFIX_LEN);
		goto bad;
	}
	memcpy(r->feed, buf, strlen(buf) + 1);   /* fits: the name check bounds it */
	airlock_hex_encode(r->prefix, raw, sizeof raw);
	return AIRLOCK_OK;
bad:
	airlock_hint(err, "%s", receipt_hint);
	return err->code;
}

int airlock_receipt_matches(const struct airlock_receipt *r, const uint8_t tree[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_RECEIPT_PREFIX_LEN + 1];
	airlock_hex_encode(hex, tree, AIRLOCK_RECEIPT_PREFIX_LEN / 2);
	return strcmp(hex, r->prefix) == 0;
}

void airlock_time_format(char out[AIRLOCK_TIME_LEN + 1], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(out, AIRLOCK_TIME_LEN + 1, "0000-00-00T00:00:00Z");
		return;
	}
	strftime(out, AIRLOCK_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : days[m - 1];
}

int airlock_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	if (strlen(s) != AIRLOCK_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi, .tm_sec = se };
	*out = (int64_t)timegm(&tm);
	return 0;
}

int airlock_duration_parse(const char *s, int64_t *seconds)
{
	char num[24];
	size_t len = strlen(s);
	int64_t unit = 86400;
	if (len == 0 || len >= sizeof num)
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'd': unit = 86400; num[--len] = '\0'; break;
	case 'h': unit = 3600; num[--len] = '\0'; break;
	case 'm': unit = 60; num[--len] = '\0'; break;
	case 's': unit = 1; num[--len] = '\0'; break;
	default: break;
	}
	uint64_t v;
	if (airlock_parse_u64(num, (uint64_t)INT64_MAX / (uint64_t)unit, &v) != 0 || v == 0)
		return -1;
	*seconds = (int64_t)v * unit;
	return 0;
}
