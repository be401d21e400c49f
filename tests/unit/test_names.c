/* test_names.c - feed names, receipts, times and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/names.h"

static void feed_names(void **state)
{
	(void)state;
	assert_int_equal(airlock_feed_name_check("iocs"), 0);
	assert_int_equal(airlock_feed_name_check("a"), 0);
	assert_int_equal(airlock_feed_name_check("yara-rules_2.x"), 0);
	assert_int_equal(airlock_feed_name_check(""), -1);
	assert_int_equal(airlock_feed_name_check("-iocs"), -1);
	assert_int_equal(airlock_feed_name_check(".hidden"), -1);
	assert_int_equal(airlock_feed_name_check("IOCS"), -1);
	assert_int_equal(airlock_feed_name_check("a/b"), -1);
	assert_int_equal(airlock_feed_name_check("a b"), -1);
	char longest[65];
	memset(longest, 'a', 64);
	longest[64] = '\0';
	assert_int_equal(airlock_feed_name_check(longest), -1);
	longest[63] = '\0';
	assert_int_equal(airlock_feed_name_check(longest), 0);
}

static void receipt_round_trip(void **state)
{
	(void)state;
	uint8_t tree[AIRLOCK_HASH_BYTES] = { 0x3f, 0x9a, 0x1c, 0x2e, 0xff };
	char text[AIRLOCK_RECEIPT_MAX];
	struct airlock_receipt r;
	struct airlock_err err;

	airlock_receipt_format(text, "iocs", 42, tree);
	assert_string_equal(text, "iocs@42:3f9a1c2e");
	airlock_err_init(&err);
	assert_int_equal(airlock_receipt_parse(&r, "  iocs@42:3F9A1C2E\n", &err), AIRLOCK_OK);
	assert_string_equal(r.feed, "iocs");
	assert_true(r.version == 42);
	assert_string_equal(r.prefix, "3f9a1c2e");
	assert_true(airlock_receipt_matches(&r, tree));
	tree[0] = 0x3e;
	assert_false(airlock_receipt_matches(&r, tree));
}

static void receipt_rejects(void **state)
{
	(void)state;
	static const struct { const char *in, *why; } bad[] = {
		{ "", "empty" },
		{ "iocs42:3f9a1c2e", "lacks '@'" },
		{ "iocs@42", "lacks '@' or ':'" },
		{ "Iocs@42:3f9a1c2e", "invalid feed" },
		{ "iocs@0:3f9a1c2e", "not a positive number" },
		{ "iocs@042:3f9a1c2e", "not a positive number" },
		{ "iocs@-1:3f9a1c2e", "not a positive number" },
		{ "iocs@99999999999999999999:3f9a1c2e", "not a positive number" },
		{ "iocs@42:3f9a1c2", "not 8 hex digits" },
		{ "iocs@42:3f9a1c2g", "not 8 hex digits" },
		{ "iocs@42:3f9a1c2e0", "not 8 hex digits" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct airlock_receipt r;
		struct airlock_err err;
		airlock_err_init(&err);
		assert_int_equal(airlock_receipt_parse(&r, bad[i].in, &err), AIRLOCK_E_USAGE);
		assert_non_null(strstr(err.msg, bad[i].why));
		assert_non_null(strstr(err.hint, "iocs@42:3f9a1c2e"));
	}
}

static void times(void **state)
{
	(void)state;
	char text[AIRLOCK_TIME_LEN + 1];
	int64_t t;
	airlock_time_format(text, 0);
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	assert_int_equal(airlock_time_parse("2026-11-23T19:00:00Z", &t), 0);
	airlock_time_format(text, t);
	assert_string_equal(text, "2026-11-23T19:00:00Z");
	assert_int_equal(airlock_time_parse("2024-02-29T23:59:59Z", &t), 0);
	assert_int_equal(airlock_time_parse("2023-02-29T00:00:00Z", &t), -1);
	assert_int_equal(airlock_time_parse("2026-11-23T19:00:00", &t), -1);
	assert_int_equal(airlock_time_parse("2026-11-23 19:00:00Z", &t), -1);
	assert_int_equal(airlock_time_parse("2026-11-23T24:00:00Z", &t), -1);
	assert_int_equal(airlock_time_parse("2026-11-23T19:00:00+01:00", &t), -1);
}

static void durations(void **state)
{
	(void)state;
	int64_t s;
	assert_int_equal(airlock_duration_parse("30d", &s), 0);
	assert_true(s == 30 * 86400);
	assert_int_equal(airlock_duration_parse("12h", &s), 0);
	assert_true(s == 12 * 3600);
	assert_int_equal(airlock_duration_parse("7", &s), 0);
	assert_true(s == 7 * 86400);
	assert_int_equal(airlock_duration_parse("90s", &s), 0);
	assert_true(s == 90);
	assert_int_equal(airlock_duration_parse("0d", &s), -1);
	assert_int_equal(airlock_duration_parse("d", &s), -1);
	assert_int_equal(airlock_duration_parse("-1d", &s), -1);
	assert_int_equal(airlock_duration_parse("1w", &s), -1);
	assert_int_equal(airlock_duration_parse("99999999999999999999d", &s), -1);
}

static void u64(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(airlock_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(airlock_parse_u64("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(airlock_parse_u64("11", 10, &v), -1);
	assert_int_equal(airlock_parse_u64("+1", 10, &v), -1);
	assert_int_equal(airlock_parse_u64(" 1", 10, &v), -1);
	assert_int_equal(airlock_parse_u64("0", 10, &v), 0);
	assert_true(v == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(feed_names),
		cmocka_unit_test(receipt_round_trip),
		cmocka_unit_test(receipt_rejects),
		cmocka_unit_test(times),
		cmocka_unit_test(durations),
		cmocka_unit_test(u64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
