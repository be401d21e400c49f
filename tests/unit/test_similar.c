/* test_similar.c - content sketches and the similarity index: what they
 * promise the planner (same bytes, same sketch; shared text, shared values;
 * the edited copy found among many; boilerplate ignored). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "airlock/similar.h"

#define K AIRLOCK_SKETCH_K

/* Deterministic text-like bytes: words from a small alphabet. */
static void fill(uint8_t *b, size_t n, uint64_t seed)
{
	uint64_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (x % 9 == 0) ? ' ' : (uint8_t)('a' + x % 26);
	}
}

static void test_sketch_shape(void **state)
{
	(void)state;
	uint8_t b[4096];
	struct airlock_sketch s, t;
	fill(b, sizeof b, 1);
	airlock_sketch_make(&s, b, sizeof b);
	assert_int_equal(s.n, K);
	for (unsigned i = 1; i < s.n; i++)
		assert_true(s.v[i - 1] < s.v[i]);     /* ascending and distinct */
	airlock_sketch_make(&t, b, sizeof b);
	assert_memory_equal(&s, &t, sizeof s);    /* a pure function of the bytes */
	assert_int_equal(airlock_sketch_shared(&s, &t), K);
}

static void test_short_inputs(void **state)
{
	(void)state;
	uint8_t b[AIRLOCK_SKETCH_WINDOW + 2];
	struct airlock_sketch s;
	fill(b, sizeof b, 2);
	airlock_sketch_make(&s, b, AIRLOCK_SKETCH_WINDOW - 1);
	assert_int_equal(s.n, 0);
	airlock_sketch_make(&s, b, AIRLOCK_SKETCH_WINDOW);
	assert_int_equal(s.n, 1);
	airlock_sketch_make(&s, b, AIRLOCK_SKETCH_WINDOW + 2);
	assert_int_equal(s.n, 3);
	/* a run of one byte has a single distinct window */
	memset(b, 'x', sizeof b);
	airlock_sketch_make(&s, b, sizeof b);
	assert_int_equal(s.n, 1);
}

/* The rolling hash must depend on the window only, not on what came
 * before it: the same text after a different prefix gives the same values
 * (all but the few windows that straddle the prefix). */
static void test_windows_independent_of_position(void **state)
{
	(void)state;
	enum { N = 20000 };
	uint8_t *a = malloc(N), *b = malloc(N + 100);
	struct airlock_sketch sa, sb;
	fill(a, N, 3);
	fill(b, 100, 4);
	memcpy(b + 100, a, N);
	airlock_sketch_make(&sa, a, N);
	airlock_sketch_make(&sb, b, N + 100);
	assert_in_range(airlock_sketch_shared(&sa, &sb), K - 2, K);
	free(a);
	free(b);
}

/* Two files sharing half their text share about half their values;
 * unrelated files share none. */
static void test_shared_fraction(void **state)
{
	(void)state;
	enum { N = 64 * 1024 };
	uint8_t *a = malloc(N), *b = malloc(N), *c = malloc(N);
	struct airlock_sketch sa, sb, sc;
	fill(a, N, 5);
	memcpy(b, a, N / 2);
	fill(b + N / 2, N / 2, 6);
	fill(c, N, 7);
	airlock_sketch_make(&sa, a, N);
	airlock_sketch_make(&sb, b, N);
	airlock_sketch_make(&sc, c, N);
	/* expected K/2 (Jaccard 1/3 over K of each); generous bounds */
	assert_in_range(airlock_sketch_shared(&sa, &sb), K / 4, 3 * K / 4);
	assert_int_equal(airlock_sketch_shared(&sa, &sc), 0);
	free(a);
	free(b);
	free(c);
}

static void test_index_finds_edited_copy(void **state)
{
	(void)state;
	enum { FILES = 200, N = 8192 };
	uint8_t *b = malloc(N);
	struct airlock_similar *ix;
	struct airlock_sketch s;
	struct airlock_err err;
	size_t id;
	unsigned shared;
	airlock_err_init(&err);
	assert_int_equal(airlock_similar_new(&ix, &err), AIRLOCK_OK);
	for (size_t i = 0; i < FILES; i++) {
		fill(b, N, 100 + i);
		airlock_sketch_make(&s, b, N);
		assert_int_equal(airlock_similar_add(ix, i * 3, &s, &err), AIRLOCK_OK);
	}
	/* file 117 with a few edits and an insertion */
	fill(b, N, 100 + 117);
	memcpy(b + 1000, "an edit in the middle", 21);
	memmove(b + 5000, b + 4900, N - 5000);
	airlock_sketch_make(&s, b, N);
	assert_int_equal(airlock_similar_best(ix, &s, 4, &id, &shared, &err), 1);
	assert_int_equal(id, 117 * 3);
	assert_true(shared >= K / 2);
	/* unrelated content: nothing qualifies */
	fill(b, N, 99999);
	airlock_sketch_make(&s, b, N);
	assert_int_equal(airlock_similar_best(ix, &s, 4, &id, &shared, &err), 0);
	/* an empty index, an empty sketch */
	airlock_sketch_make(&s, b, 0);
	assert_int_equal(airlock_similar_best(ix, &s, 1, &id, &shared, &err), 0);
	airlock_similar_free(ix);
	assert_int_equal(airlock_similar_new(&ix, &err), AIRLOCK_OK);
	airlock_sketch_make(&s, b, N);
	assert_int_equal(airlock_similar_best(ix, &s, 1, &id, &shared, &err), 0);
	airlock_similar_free(ix);
	free(b);
}

/* Values every file has (a licence header, JSON boilerplate) say nothing
 * about which file is the right base: past AIRLOCK_SIMILAR_COMMON sketches
 * they are not counted. */
static void test_boilerplate_ignored(void **state)
{
	(void)state;
	enum { FILES = AIRLOCK_SIMILAR_COMMON + 8, N = 2048 };
	uint8_t *b = malloc(N), *t = malloc(N);
	struct airlock_similar *ix;
	struct airlock_sketch s;
	struct airlock_err err;
	size_t id;
	unsigned shared;
	airlock_err_init(&err);
	assert_int_equal(airlock_similar_new(&ix, &err), AIRLOCK_OK);
	for (size_t i = 0; i < FILES; i++) {
		memset(b, 'z', N);      /* one window value shared by every file */
		fill(b + N - 64, 64, 500 + i);
		airlock_sketch_make(&s, b, N);
		assert_int_equal(airlock_similar_add(ix, i, &s, &err), AIRLOCK_OK);
	}
	memset(t, 'z', N);
	airlock_sketch_make(&s, t, N);
	assert_int_equal(s.n, 1);
	assert_int_equal(airlock_similar_best(ix, &s, 1, &id, &shared, &err), 0);
	/* but a file's own tail still finds it, common value or not */
	memset(t, 'z', N);
	fill(t + N - 64, 64, 500 + 42);
	airlock_sketch_make(&s, t, N);
	assert_int_equal(airlock_similar_best(ix, &s, 4, &id, &shared, &err), 1);
	assert_int_equal(id, 42);
	airlock_similar_free(ix);
	free(b);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sketch_shape),
		cmocka_unit_test(test_short_inputs),
		cmocka_unit_test(test_windows_independent_of_position),
		cmocka_unit_test(test_shared_fraction),
		cmocka_unit_test(test_index_finds_edited_copy),
		cmocka_unit_test(test_boilerplate_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
