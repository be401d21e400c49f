/* test_hash.c - BLAKE2b-512 equals b2sum: known answers, incremental, fd, sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>

#include "airlock/hash.h"

#define VEC "tests/vectors/minisign/"
static const char empty_hex[] =
    "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
    "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce";
static const char msg_hex[] =
    "0fe080b43301d6bd52131a2c892a9c94ed7e420107e0682a3477e2f7b89435d4"
    "bb91e9c597380bcb7732bd725ab4245a7ff17c43f80d8308514fe426c1f53d59";
/* RFC 7693 appendix A: BLAKE2b-512("abc"). */
static const char abc_hex[] =
    "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";

static int setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void test_known_answers(void **state)
{
	uint8_t h[AIRLOCK_HASH_BYTES];
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_buffer(h, "", 0);
	airlock_hash_to_hex(hex, h);
	assert_string_equal(hex, empty_hex);
	airlock_hash_buffer(h, "abc", 3);
	airlock_hash_to_hex(hex, h);
	assert_string_equal(hex, abc_hex);
}

static void test_incremental_equals_oneshot(void **state)
{
	uint8_t buf[100000], a[64], b[64];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	airlock_hash_buffer(a, buf, sizeof buf);
	struct airlock_hasher h;
	airlock_hasher_init(&h);
	airlock_hasher_update(&h, buf, 1);
	airlock_hasher_update(&h, buf + 1, 0);
	airlock_hasher_update(&h, buf + 1, 65535);
	airlock_hasher_update(&h, buf + 65536, sizeof buf - 65536);
	airlock_hasher_final(&h, b);
	assert_memory_equal(a, b, 64);
	buf[500] ^= 1;
	airlock_hash_buffer(b, buf, sizeof buf);
	assert_memory_not_equal(a, b, 64);
}

static void test_fd_matches_b2sum(void **state)
{
	uint8_t h[64];
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	uint64_t size = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	int fd = open(VEC "msg.txt", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(airlock_hash_fd(fd, h, &size, "msg.txt", &err), AIRLOCK_OK);
	close(fd);
	assert_int_equal(size, 77);
	airlock_hash_to_hex(hex, h);
	assert_string_equal(hex, msg_hex);

	/* And agrees with the real b2sum on a bigger file of our own. */
	char path[] = "/tmp/airlock-hash-XXXXXX";
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (int i = 0; i < 300; i++) {
		char line[64];
		int n = snprintf(line, sizeof line, "line %d of a file bigger than one read\n", i * 977);
		assert_int_equal(write(fd, line, (size_t)n), n);
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(airlock_hash_fd(fd, h, NULL, path, &err), AIRLOCK_OK);
	close(fd);
	airlock_hash_to_hex(hex, h);
	char cmd[128], out[200] = { 0 };
	snprintf(cmd, sizeof cmd, "b2sum %s", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof out, p));
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_memory_equal(out, hex, AIRLOCK_HASH_HEX_LEN);
}

static void test_fd_error(void **state)
{
	uint8_t h[64];
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_hash_fd(-1, h, NULL, "nothing", &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "cannot read 'nothing'"));
}

static void test_hex_roundtrip_and_rejects(void **state)
{
	uint8_t h[64], back[64];
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_buffer(h, "x", 1);
	airlock_hash_to_hex(hex, h);
	assert_int_equal(airlock_hash_from_hex(back, hex), 0);
	assert_memory_equal(h, back, 64);
	assert_int_equal(airlock_hash_from_hex(back, msg_hex), 0);
	char bad[AIRLOCK_HASH_HEX_LEN + 2];
	memcpy(bad, hex, sizeof hex);
	bad[127] = '\0';
	assert_int_equal(airlock_hash_from_hex(back, bad), -1);
	memcpy(bad, hex, sizeof hex);
	bad[128] = '0';
	bad[129] = '\0';
	assert_int_equal(airlock_hash_from_hex(back, bad), -1);
	memcpy(bad, hex, sizeof hex);
	bad[5] = 'z';
	assert_int_equal(airlock_hash_from_hex(back, bad), -1);
	assert_int_equal(airlock_hash_from_hex(back, ""), -1);
}

struct collect {
	size_t total;
	int fail;
};

static enum airlock_code collect_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct collect *c = ctx;
	if (c->fail)
		return airlock_fail(err, AIRLOCK_E_FAILED, "sink refused");
	c->total += len;
	return AIRLOCK_OK;
}

static void test_hashing_sink(void **state)
{
	struct airlock_err err;
	struct collect c = { 0, 0 };
	struct airlock_hashing_sink hs;
	uint8_t h[64], want[64];
	airlock_err_init(&err);
	airlock_hashing_sink_init(&hs, (struct airlock_sink){ collect_write, &c });
	struct airlock_sink s = airlock_hashing_sink(&hs);
	assert_int_equal(s.write(s.ctx, "ab", 2, &err), AIRLOCK_OK);
	assert_int_equal(s.write(s.ctx, "c", 1, &err), AIRLOCK_OK);
	airlock_hasher_final(&hs.hasher, h);
	airlock_hash_buffer(want, "abc", 3);
	assert_memory_equal(h, want, 64);
	assert_int_equal(hs.bytes, 3);
	assert_int_equal(c.total, 3);

	/* Hash-only sink. */
	airlock_hashing_sink_init(&hs, (struct airlock_sink){ NULL, NULL });
	s = airlock_hashing_sink(&hs);
	assert_int_equal(s.write(s.ctx, "abc", 3, &err), AIRLOCK_OK);
	airlock_hasher_final(&hs.hasher, h);
	assert_memory_equal(h, want, 64);

	/* Errors of the next sink come back unchanged. */
	c.fail = 1;
	airlock_hashing_sink_init(&hs, (struct airlock_sink){ collect_write, &c });
	s = airlock_hashing_sink(&hs);
	assert_int_equal(s.write(s.ctx, "abc", 3, &err), AIRLOCK_E_FAILED);
	assert_string_equal(err.msg, "sink refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_incremental_equals_oneshot),
		cmocka_unit_test(test_fd_matches_b2sum),
		cmocka_unit_test(test_fd_error),
		cmocka_unit_test(test_hex_roundtrip_and_rejects),
		cmocka_unit_test(test_hashing_sink),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
