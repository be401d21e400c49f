/* test_header.c - bundle.json: canonical round trip and a table of
 * malformed headers, each refused with its own message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/header.h"
#include "../helpers/mutate.h"

static void fill(struct airlock_bundle_header *h)
{
	uint8_t r[2][32];
	uint8_t seg[2][AIRLOCK_HASH_BYTES];
	struct airlock_err err;
	airlock_err_init(&err);
	airlock_header_init(h);
	for (int i = 0; i < 16; i++)
		h->bundle_id[i] = (uint8_t)(0xa0 + i);
	strcpy(h->feed, "iocs");
	h->sequence = 7;
	h->created = 1795460400;        /* 2026-11-23T19:00:00Z */
	h->expires = 1795460400 + 86400 * 30;
	for (int i = 0; i < 8; i++)
		h->signer_key_id[i] = (uint8_t)(0x71 + i);
	h->has_base = 1;
	h->base_version = 41;
	memset(h->base_tree, 0x11, sizeof(h->base_tree));
	h->target_version = 42;
	memset(h->target_tree, 0x22, sizeof(h->target_tree));
	h->target_files = 3;
	h->target_bytes = 12345;
	memset(r[0], 1, 32);
	memset(r[1], 2, 32);
	assert_int_equal(airlock_header_set_recipients(h, (const uint8_t (*)[32])r, 2, &err), 0);
	h->payload_size = AIRLOCK_SEGMENT_SIZE + 5;
	memset(h->payload_hash, 0x33, sizeof(h->payload_hash));
	h->segment_size = AIRLOCK_SEGMENT_SIZE;
	memset(seg[0], 0x44, sizeof(seg[0]));
	memset(seg[1], 0x55, sizeof(seg[1]));
	assert_int_equal(airlock_header_set_segments(h,
	    (const uint8_t (*)[AIRLOCK_HASH_BYTES])seg, 2, &err), 0);
	h->window_log = 23;
	h->unpacked_bytes = 99999;
	h->entries = 4;
}

static char *canonical(size_t *len)
{
	struct airlock_bundle_header h;
	struct airlock_err err;
	char *json = NULL;
	airlock_err_init(&err);
	fill(&h);
	assert_int_equal(airlock_header_to_json(&h, &json, len, &err), AIRLOCK_OK);
	airlock_header_release(&h);
	return json;
}

static void test_roundtrip(void **state)
{
	struct airlock_bundle_header h, back;
	struct airlock_err err;
	char *json, *again;
	size_t len, len2;
	airlock_err_init(&err);
	fill(&h);
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_OK);
	assert_int_equal(json[len - 1], '\n');
	assert_non_null(strstr(json, "{\"format\":\"airlock-bundle\",\"format_version\":1,"));
	assert_non_null(strstr(json, "\"created\":\"2026-11-23T19:00:00Z\""));
	assert_non_null(strstr(json, "\"signer_key_id\":\"7877767574737271\""));
	assert_non_null(strstr(json, "\"age1"));
	assert_int_equal(airlock_header_parse(json, len, &back, &err), AIRLOCK_OK);
	assert_memory_equal(back.bundle_id, h.bundle_id, 16);
	assert_string_equal(back.feed, "iocs");
	assert_int_equal(back.sequence, 7);
	assert_int_equal(back.created, h.created);
	assert_int_equal(back.expires, h.expires);
	assert_memory_equal(back.signer_key_id, h.signer_key_id, 8);
	assert_int_equal(back.has_base, 1);
	assert_int_equal(back.base_version, 41);
	assert_memory_equal(back.target_tree, h.target_tree, 64);
	assert_int_equal(back.nrecipients, 2);
	assert_memory_equal(back.recipients, h.recipients, 64);
	assert_int_equal(back.nsegments, 2);
	assert_memory_equal(back.segments, h.segments, 128);
	assert_int_equal(back.window_log, 23);
	assert_int_equal(back.entries, 4);
	assert_int_equal(airlock_header_to_json(&back, &again, &len2, &err), AIRLOCK_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(json, again, len);
	free(json);
	free(again);
	airlock_header_release(&h);
	airlock_header_release(&back);
}

static void test_full_bundle(void **state)
{
	struct airlock_bundle_header h, back;
	struct airlock_err err;
	char *json;
	size_t len;
	airlock_err_init(&err);
	fill(&h);
	h.has_base = 0;
	h.target_version = 1;
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_OK);
	assert_non_null(strstr(json, "\"base\":null,"));
	assert_int_equal(airlock_header_parse(json, len, &back, &err), AIRLOCK_OK);
	assert_int_equal(back.has_base, 0);
	free(json);
	airlock_header_release(&h);
	airlock_header_release(&back);
}

static void test_key_id(void **state)
{
	uint8_t id[8] = { 0x71, 0xba, 0x5f, 0x6c, 0x57, 0x6a, 0xe5, 0x25 }, back[8];
	uint8_t small[8] = { 0x0f, 0, 0, 0, 0, 0, 0, 0 };
	char s[17];
	airlock_header_key_id_format(s, id);
	assert_string_equal(s, "25E56A576C5FBA71");
	assert_int_equal(airlock_header_key_id_parse(back, s), 0);
	assert_memory_equal(back, id, 8);
	airlock_header_key_id_format(s, small);
	assert_string_equal(s, "F");
	assert_int_equal(airlock_header_key_id_parse(back, "0F"), -1);
	assert_int_equal(airlock_header_key_id_parse(back, "25e56a576c5fba71"), -1);
	assert_int_equal(airlock_header_key_id_parse(back, ""), -1);
	assert_int_equal(airlock_header_key_id_parse(back, "125E56A576C5FBA71"), -1);
}

struct bad {
	const char *from, *to, *msg;
};

static const struct bad bads[] = {
	{ "\"format\":\"airlock-bundle\"", "\"format\":\"airlock-bundlf\"", "format is not" },
	{ "\"format_version\":1", "\"format_version\":2", "format_version 2 is not supported" },
	{ "\"format_version\":1", "\"format_version\":\"1\"", "format_version is not an integer" },
	{ "\"bundle_id\":\"a0", "\"bundle_id\":\"A0", "bundle_id is not 32 lowercase hex" },
	{ "\"bundle_id\":\"a0", "\"bundle_id\":\"", "bundle_id is not 32 lowercase hex" },
	{ "\"feed\":\"iocs\"", "\"feed\":\"IOCS\"", "feed is not a valid feed name" },
	{ "\"feed\":\"iocs\"", "\"feed\":\"io\\u0000cs\"", "not valid JSON" },
	{ "\"feed\":\"iocs\"", "\"feed\":5", "feed is not a string" },
	{ "\"sequence\":7", "\"sequence\":0", "sequence is out of range" },
	{ "\"sequence\":7", "\"sequence\":-7", "sequence is out of range" },
	{ "\"sequence\":7", "\"sequence\":9007199254740992", "sequence is out of range" },
	{ "\"sequence\":7", "\"sequence\":7.0", "sequence is not an integer" },
	{ "\"sequence\":7", "\"sequence\":99999999999999999999999", "not valid JSON" },
	{ "2026-11-23T19:00:00Z", "2026-11-23T19:00:00+00:00", "created is not an RFC 3339" },
	{ "2026-11-23T19:00:00Z", "2026-11-23 19:00:00Z", "created is not an RFC 3339" },
	{ "2026-12-23T19:00:00Z", "2026-11-23T19:00:00Z", "expires is not after created" },
	{ "2026-12-23T19:00:00Z", "2026-11-23T18:00:00Z", "expires is not after created" },
	{ "\"7877767574737271\"", "\"07877767574737271\"", "signer_key_id is not" },
	{ "\"7877767574737271\"", "\"7877767574737g71\"", "signer_key_id is not" },
	{ "\"version\":41", "\"version\":42", "target.version is not above base.version" },
	{ "\"version\":41", "\"version\":43", "target.version is not above base.version" },
	{ "\"version\":41,", "\"version\":41,\"extra\":1,", "unknown key 'extra' in base" },
	{ "\"base\":{", "\"base\":[", "not valid JSON" },
	{ "\"base\":{", "\"base\":5,\"x\":{", "unknown key 'x' in the header" },
	{ "\"files\":3", "\"files\":0", "files is out of range" },
	{ "\"files\":3,", "", "missing key 'files' in target" },
	{ "\"recipients\":[\"age1", "\"recipients\":[\"agf1", "a recipient is not" },
	{ "\"recipients\":[\"age1", "\"recipients\":[\"AGE1", "a recipient is not" },
	{ "\"recipients\":[\"age1", "\"recipients\":[5,\"age1", "a recipient is not a string" },
	{ "\"size\":16777221", "\"size\":16777216", "payload.segments does not match" },
	{ "\"size\":16777221", "\"size\":33554433", "payload.segments does not match" },
	{ "\"size\":16777221", "\"size\":8589934592", "size is out of range" },
	{ "\"segment_size\":16777216", "\"segment_size\":1048576", "segment_size is out of range" },
	{ "\"blake2b\":\"3333", "\"blake2b\":\"333", "blake2b is not 128 lowercase hex" },
	{ "\"window_log\":23", "\"window_log\":32", "window_log is out of range" },
	{ "\"window_log\":23", "\"window_log\":9", "window_log is out of range" },
	{ "\"entries\":4", "\"entries\":0", "entries is out of range" },
	{ "\"entries\":4", "\"entries\":4,\"entries\":5", "duplicate" },
	{ "\"limits\":{", "\"limits\":null,\"l\":{", "unknown key 'l'" },
	{ "\"format\":\"airlock-bundle\",", "\"format\":\"airlock-bundle\", ", "not in canonical form" },
	{ "\"feed\":\"iocs\"", "\"feed\":\"io\\u0063s\"", "not in canonical form" },
	{ "}\n", "}", "not in canonical form" },
	{ "}\n", "}\n\n", "not in canonical form" },
	{ "{\"format\"", "{\n  \"format\"", "not in canonical form" },
	{ "{", "[", "not valid JSON" },
};

/* A payload of one segment lists no segment hashes (payload.blake2b is
 * that hash); listing it anyway is refused like any other extra byte. */
static void test_single_segment(void **state)
{
	struct airlock_bundle_header h, back;
	struct airlock_err err;
	char *json;
	size_t len, blen;
	uint8_t one[1][AIRLOCK_HASH_BYTES];
	(void)state;
	airlock_err_init(&err);
	fill(&h);
	h.payload_size = 4096;
	assert_int_equal(airlock_header_set_segments(&h, NULL, 0, &err), AIRLOCK_OK);
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_OK);
	assert_non_null(strstr(json, "\"segments\":[]"));
	assert_int_equal(airlock_header_parse(json, len, &back, &err), AIRLOCK_OK);
	assert_int_equal(back.nsegments, 0);
	airlock_header_release(&back);
	char *bad = test_mutate(json, "\"segments\":[]", "\"segments\":[\"3333333333333333333333333333"
	    "33333333333333333333333333333333333333333333333333333333333333333333333333333333"
	    "33333333333333333333\"]", &blen);
	assert_int_equal(airlock_header_parse(bad, blen, &back, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "payload.segments does not match"));
	free(json);
	json = NULL;
	memset(one, 0x33, sizeof one);
	airlock_err_init(&err);
	assert_int_equal(airlock_header_set_segments(&h, (const uint8_t (*)[AIRLOCK_HASH_BYTES])one,
	    1, &err), AIRLOCK_OK);
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err) == AIRLOCK_OK, 0);
	free(bad);
	airlock_header_release(&h);
}

static void test_malformed_table(void **state)
{
	size_t len;
	char *json = canonical(&len);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct airlock_bundle_header h;
		struct airlock_err err;
		size_t blen;
		char *bad = test_mutate(json, bads[i].from, bads[i].to, &blen);
		airlock_err_init(&err);
		if (airlock_header_parse(bad, blen, &h, &err) != AIRLOCK_E_VERIFY)
			fail_msg("case %zu (%s) was accepted", i, bads[i].to);
		if (strstr(err.msg, bads[i].msg) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bads[i].msg);
		assert_null(h.recipients);
		free(bad);
	}
	free(json);
}

/* Keys in another order are refused even though every value is fine. */
static void test_reordered(void **state)
{
	struct airlock_bundle_header h;
	struct airlock_err err;
	size_t len, l1, l2;
	char *json = canonical(&len);
	char *a = test_mutate(json, "\"format\":\"airlock-bundle\",\"format_version\":1,",
	    "\"format_version\":1,\"format\":\"airlock-bundle\",", &l1);
	airlock_err_init(&err);
	assert_int_equal(airlock_header_parse(a, l1, &h, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "canonical"));
	(void)l2;
	free(a);
	free(json);
}

static void test_truncations(void **state)
{
	size_t len;
	char *json = canonical(&len);
	for (size_t n = 0; n < len; n += 7) {
		struct airlock_bundle_header h;
		struct airlock_err err;
		airlock_err_init(&err);
		assert_int_equal(airlock_header_parse(json, n, &h, &err), AIRLOCK_E_VERIFY);
	}
	free(json);
}

static void test_writer_refuses_bad(void **state)
{
	struct airlock_bundle_header h;
	struct airlock_err err;
	char *json = NULL;
	size_t len;
	airlock_err_init(&err);
	fill(&h);
	h.expires = h.created;
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "expires is not after created"));
	assert_null(json);
	airlock_err_init(&err);
	h.expires = h.created + 1;
	memcpy(h.recipients[1], h.recipients[0], 32);
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "listed twice"));
	airlock_err_init(&err);
	memset(h.recipients[1], 9, 32);
	h.nsegments = 1;
	assert_int_equal(airlock_header_to_json(&h, &json, &len, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "segments"));
	airlock_header_release(&h);
}

static void test_too_large(void **state)
{
	struct airlock_bundle_header h;
	struct airlock_err err;
	size_t n = AIRLOCK_HEADER_JSON_MAX + 1;
	char *big = calloc(1, n);
	assert_non_null(big);
	airlock_err_init(&err);
	assert_int_equal(airlock_header_parse(big, n, &h, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "larger than"));
	free(big);
}

/* Random byte changes: never a crash, and anything accepted is canonical
 * (it re-serializes to exactly the bytes given). */
static void test_mutations(void **state)
{
	size_t len;
	char *json = canonical(&len);
	char *b = malloc(len);
	uint32_t x = 12345;
	for (int i = 0; i < 3000; i++) {
		struct airlock_bundle_header h;
		struct airlock_err err;
		size_t pos;
		airlock_err_init(&err);
		memcpy(b, json, len);
		x = x * 1103515245u + 12345u;
		pos = (x >> 8) % len;
		x = x * 1103515245u + 12345u;
		b[pos] = (char)(x >> 16);
		if (airlock_header_parse(b, len, &h, &err) == AIRLOCK_OK) {
			char *again;
			size_t l2;
			assert_int_equal(airlock_header_to_json(&h, &again, &l2, &err), AIRLOCK_OK);
			assert_int_equal(l2, len);
			assert_memory_equal(again, b, len);
			free(again);
			airlock_header_release(&h);
		} else {
			assert_int_equal(err.code, AIRLOCK_E_VERIFY);
		}
	}
	free(b);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_full_bundle),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_single_segment),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_writer_refuses_bad),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
