/* test_delta.c - patch-from frames: round trips, compatibility with the
 * zstd CLI in both directions, and every refusal of the decoder (wrong
 * base, truncation, trailing bytes, no checksum, wrong size, window). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "airlock/delta.h"
#include "airlock/io.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/airlock-delta.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

struct mem {
	uint8_t *p;
	size_t len, cap, pos, chunk, maxwrite;
};

static enum airlock_code mem_write(void *ctx, const void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	(void)err;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		assert_non_null(m->p);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	if (len > m->maxwrite)
		m->maxwrite = len;
	return AIRLOCK_OK;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	(void)err;
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->chunk != 0 && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static struct airlock_sink sink_of(struct mem *m)
{
	return (struct airlock_sink){ mem_write, m };
}

static struct airlock_source source_of(struct mem *m)
{
	return (struct airlock_source){ mem_read, m };
}

/* Text-like data: words from a small vocabulary, deterministic. */
static uint8_t *make_text(size_t len, uint32_t seed)
{
	static const char *words[] = { "alpha", "beta", "gamma", "{\"id\":", "\"name\":", "42,",
		"true", "null", "\n", "version", "browser", "support", "[1,2,3]", "  " };
	uint8_t *p = malloc(len + 16);
	size_t i = 0;
	while (i < len) {
		seed = seed * 1103515245u + 12345u;
		const char *w = words[(seed >> 16) % (sizeof words / sizeof *words)];
		size_t n = strlen(w);
		memcpy(p + i, w, n);
		i += n;
	}
	return p;
}

static uint8_t *make_random(size_t len)
{
	uint8_t *p = malloc(len);
	uint64_t x = 88172645463325252u;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	return p;
}

/* target = base with a few edits */
static uint8_t *edit(const uint8_t *base, size_t len, size_t *out_len)
{
	uint8_t *t = malloc(len + 64);
	memcpy(t, base, len / 2);
	memcpy(t + len / 2, "INSERTED TEXT", 13);
	memcpy(t + len / 2 + 13, base + len / 2, len - len / 2);
	for (size_t i = 97; i < len; i += len / 7 + 1)
		t[i] ^= 0x20;
	*out_len = len + 13;
	return t;
}

static struct mem encode(const uint8_t *base, size_t blen, const uint8_t *t, size_t tlen)
{
	struct mem f = { 0 };
	struct airlock_err err;
	uint64_t flen = 0;
	airlock_err_init(&err);
	assert_int_equal(airlock_delta_encode(base, blen, t, tlen, 19, sink_of(&f), &flen, &err),
	    AIRLOCK_OK);
	assert_int_equal(flen, f.len);
	return f;
}

static enum airlock_code decode(const uint8_t *base, size_t blen, struct mem *frame,
    uint64_t frame_len, uint64_t expected, int wmax, struct mem *out, struct airlock_err *err)
{
	frame->pos = 0;
	airlock_err_init(err);
	return airlock_delta_decode(base, blen, source_of(frame), frame_len, expected, wmax,
	    sink_of(out), err);
}

static void round_trips(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 100, 5000, 300000, 1 << 20 };
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t blen = sizes[k], tlen;
		uint8_t *base = make_text(blen, (uint32_t)k), *t = edit(base, blen, &tlen);
		struct mem f = encode(base, blen, t, tlen), out = { 0 };
		struct airlock_err err;
		if (blen >= 5000)
			assert_true(f.len < tlen / 20);  /* it is a delta, not a copy */
		f.chunk = 777;                        /* odd short reads */
		assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_OK);
		assert_int_equal(out.len, tlen);
		assert_memory_equal(out.p, t, tlen);
		assert_true(out.maxwrite <= 128 * 1024 + 3);   /* streamed, not in one piece */
		free(base), free(t), free(f.p), free(out.p);
	}
}

static void empty_target_and_empty_base(void **state)
{
	(void)state;
	struct mem f = encode((const uint8_t *)"base", 4, (const uint8_t *)"", 0), out = { 0 };
	struct airlock_err err;
	assert_int_equal(decode((const uint8_t *)"base", 4, &f, f.len, 0, 10, &out, &err), AIRLOCK_OK);
	assert_int_equal(out.len, 0);
	struct mem g = { 0 };
	airlock_err_init(&err);
	assert_int_equal(airlock_delta_encode((const uint8_t *)"", 0, (const uint8_t *)"x", 1, 19,
	    sink_of(&g), NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "empty base"));
	assert_int_equal(decode((const uint8_t *)"", 0, &f, f.len, 0, 10, &out, &err),
	    AIRLOCK_E_VERIFY);
	free(f.p);
	free(out.p);
}

static void save(const char *name, const void *p, size_t len)
{
	char path[128];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/%s", root, name);
	assert_int_equal(airlock_write_file_atomic(path, p, len, 0644, &err), AIRLOCK_OK);
}

static struct mem load(const char *name)
{
	char path[128];
	struct mem m = { 0 };
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/%s", root, name);
	assert_int_equal(airlock_read_file(path, 1 << 26, (char **)&m.p, &m.len, &err), AIRLOCK_OK);
	m.cap = m.len;
	return m;
}

static int sh(const char *line)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cd %s && %s 2>/dev/null", root, line);
	return system(cmd);
}

static void our_frames_open_with_the_cli(void **state)
{
	(void)state;
	size_t blen = 400000, tlen;
	uint8_t *base = make_text(blen, 7), *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen);
	save("base", base, blen);
	save("new", t, tlen);
	save("frame", f.p, f.len);
	assert_int_equal(sh("zstd -q -d --patch-from=base frame -o out && cmp out new"), 0);
	/* A base far larger than the target: the raised window lets even a
	 * fast level find the far match (the CLI's window alone gives ~50 KB
	 * here), and the plain CLI still opens the frame. */
	uint8_t *big = make_random(6 << 20), *slice = malloc(50000);
	memcpy(slice, big + (3 << 20), 50000);   /* zstd drops a prefix the input overlaps */
	struct mem g = { 0 };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_delta_encode(big, 6 << 20, slice, 50000, 3, sink_of(&g),
	    NULL, &err), AIRLOCK_OK);
	assert_true(g.len < 200);
	save("bigbase", big, 6 << 20);
	save("slice", slice, 50000);
	save("frame2", g.p, g.len);
	assert_int_equal(sh("zstd -q -d --patch-from=bigbase frame2 -o out2 && cmp out2 slice"), 0);
	free(base), free(t), free(f.p), free(big), free(slice), free(g.p);
}

static void cli_frames_open_with_us(void **state)
{
	(void)state;
	size_t blen = 300000, tlen;
	uint8_t *base = make_text(blen, 11), *t = edit(base, blen, &tlen);
	save("base", base, blen);
	save("new", t, tlen);
	assert_int_equal(sh("zstd -q -19 --patch-from=base new -o frame"), 0);
	struct mem f = load("frame"), out = { 0 };
	struct airlock_err err;
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_OK);
	assert_int_equal(out.len, tlen);
	assert_memory_equal(out.p, t, tlen);
	free(base), free(t), free(f.p), free(out.p);
}

static void wrong_base_is_a_verify_failure(void **state)
{
	(void)state;
	size_t blen = 200000, tlen;
	uint8_t *base = make_text(blen, 5), *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen), out = { 0 };
	struct airlock_err err;
	for (size_t i = 1000; i < blen; i += 9973)
		base[i] ^= 1;
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "does not apply"));
	free(base), free(t), free(f.p), free(out.p);
}

static void truncated_and_short_frames(void **state)
{
	(void)state;
	size_t blen = 100000, tlen;
	uint8_t *base = make_text(blen, 9), *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen), out = { 0 };
	struct airlock_err err;
	size_t full = f.len;
	f.len = full - 1;     /* the last checksum byte is missing */
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "truncated"));
	f.len = full / 2;
	out.len = 0;
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	f.len = 3;
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "no valid zstd frame header"));
	/* the source ends before the declared frame length */
	f.len = full;
	assert_int_equal(decode(base, blen, &f, full + 10, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "shorter than declared"));
	free(base), free(t), free(f.p), free(out.p);
}

static void trailing_bytes_are_refused(void **state)
{
	(void)state;
	size_t blen = 100000, tlen;
	uint8_t *base = make_text(blen, 4), *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen), out = { 0 };
	struct airlock_err err;
	size_t full = f.len;
	mem_write(&f, "\0", 1, &err);
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "trailing bytes"));
	/* a second whole frame after the first */
	f.len = full;
	mem_write(&f, f.p, full, &err);
	out.len = 0;
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "trailing bytes"));
	free(base), free(t), free(f.p), free(out.p);
}

static void frame_without_checksum_is_refused(void **state)
{
	(void)state;
	size_t blen = 100000, tlen;
	uint8_t *base = make_text(blen, 8), *t = edit(base, blen, &tlen);
	save("base", base, blen);
	save("new", t, tlen);
	assert_int_equal(sh("zstd -q -19 --no-check --patch-from=base new -o frame"), 0);
	struct mem f = load("frame"), out = { 0 };
	struct airlock_err err;
	assert_int_equal(f.p[4] & 0x04, 0);    /* the CLI really left it out */
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_string_equal(err.msg, "delta frame has no content checksum");
	assert_int_equal(out.len, 0);
	free(base), free(t), free(f.p), free(out.p);
}

static void size_and_window_limits(void **state)
{
	(void)state;
	size_t blen = 100000, tlen;
	uint8_t *base = make_text(blen, 2), *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen), out = { 0 };
	struct airlock_err err;
	assert_int_equal(decode(base, blen, &f, f.len, tlen + 1, 27, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "the manifest says"));
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 16, &out, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "above the limit 2^16"));
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 32, &out, &err), AIRLOCK_E_VERIFY);
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 9, &out, &err), AIRLOCK_E_VERIFY);
	assert_int_equal(out.len, 0);
	assert_int_equal(airlock_delta_window_log(0), 10);
	assert_int_equal(airlock_delta_window_log(320532), 19);
	assert_int_equal(airlock_delta_window_log(UINT64_C(1) << 31), 31);
	free(base), free(t), free(f.p), free(out.p);
}

/* A base starting with the zstd dictionary magic is still raw content. */
static void base_with_dictionary_magic(void **state)
{
	(void)state;
	size_t blen = 100000, tlen;
	uint8_t *base = make_text(blen, 6);
	memcpy(base, "\x37\xa4\x30\xec" "\x01\x00\x00\x00", 8);
	uint8_t *t = edit(base, blen, &tlen);
	struct mem f = encode(base, blen, t, tlen), out = { 0 };
	struct airlock_err err;
	assert_true(f.len < 2000);
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_OK);
	assert_int_equal(out.len, tlen);
	assert_memory_equal(out.p, t, tlen);
	free(base), free(t), free(f.p), free(out.p);
}

/* The encoder's memory, as zstd itself estimates it, stays within the
 * budget the payload writer gives, for every size up to the 2 GiB limit:
 * a future change of the caps or of libzstd cannot blow the memory
 * target silently. */
static void params_stay_within_budget(void **state)
{
	(void)state;
	const uint64_t mib = UINT64_C(1) << 20;
	const uint64_t sizes[][2] = {     /* base, target */
		{ 1, 1 }, { 1000, 30000 }, { 300000, 300000 }, { 4 * mib, 4 * mib },
		{ 20 * mib, 20 * mib }, { 25 * mib, 32 * mib }, { 1024 * mib, 64 * mib },
		{ AIRLOCK_DELTA_TARGET_MAX, AIRLOCK_DELTA_TARGET_MAX },
	};
	const uint64_t budgets[] = { 8 * mib, 12 * mib, 19 * mib, 24 * mib, 41 * mib, 48 * mib,
		64 * mib };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (size_t k = 0; k < sizeof budgets / sizeof *budgets; k++) {
			struct airlock_delta_params p;
			uint64_t est = airlock_delta_params(sizes[i][0], sizes[i][1], 19, budgets[k], &p);
			assert_int_equal(est, p.table_bytes);
			assert_true(est <= budgets[k]);
			assert_true(est > 0);
			/* the window still covers base and target: the frame is a patch */
			assert_true(p.window_log >= airlock_delta_window_log(sizes[i][1]));
			assert_int_equal(p.streamed, 0);
			/* recomputing gives the same estimate */
			assert_int_equal(airlock_delta_estimate(&p), est);
		}
}

/* With room to spare, zstd's own level-19 choice is kept; a 20 MiB file
 * against its 20 MiB predecessor (bcd) within 46 MiB keeps the 2^22 hash
 * table and the 16 MiB long-distance table and gives up binary tree first,
 * not the 80 MiB of tables the level alone asks for. */
static void params_shrink_only_when_needed(void **state)
{
	(void)state;
	const uint64_t mib = UINT64_C(1) << 20;
	struct airlock_delta_params p, q;
	airlock_delta_params(300000, 300000, 19, UINT64_MAX, &p);
	airlock_delta_params(300000, 300000, 19, 48 * mib, &q);
	assert_true(p.table_bytes <= 48 * mib);
	assert_memory_equal(&p, &q, sizeof p);
	airlock_delta_params(20 * mib, 20 * mib, 19, UINT64_MAX, &p);
	assert_int_equal(p.chain_log, 24);
	assert_int_equal(p.hash_log, 22);
	assert_true(p.table_bytes > 80 * mib);
	airlock_delta_params(20 * mib, 20 * mib, 19, 46 * mib, &q);
	assert_int_equal(q.window_log, p.window_log);
	assert_int_equal(q.chain_log, 21);
	assert_int_equal(q.hash_log, 22);
	assert_int_equal(q.ldm_hash_log, 21);
	assert_true(q.table_bytes <= 46 * mib && q.table_bytes > 32 * mib);
}

/* The outer payload frame (no base): the window buffer is counted and
 * shrinks last; a whole feed of 1 GiB fits 50 MiB with a 2^25 window. */
static void streamed_params_count_the_window(void **state)
{
	(void)state;
	const uint64_t mib = UINT64_C(1) << 20;
	struct airlock_delta_params p;
	airlock_delta_params(0, 20000, 19, 8 * mib, &p);
	assert_int_equal(p.streamed, 1);
	assert_int_equal(p.window_log, airlock_delta_window_log(20000));
	assert_int_equal(p.ldm, 0);
	assert_true(p.table_bytes < 2 * mib);
	airlock_delta_params(0, 1024 * mib, 19, 50 * mib, &p);
	assert_int_equal(p.streamed, 1);
	assert_true(p.table_bytes <= 50 * mib);
	assert_int_equal(p.window_log, 25);
	assert_int_equal(p.ldm, 1);
	airlock_delta_params(0, 1024 * mib, 19, 8 * mib, &p);
	assert_true(p.table_bytes <= 8 * mib);
	assert_true(p.window_log >= 20 && p.window_log <= 22);
}

/* A frame coded with the smallest tables is still a valid patch-from
 * frame; settings that do not cover base and target are refused. */
static void capped_frames_round_trip(void **state)
{
	(void)state;
	size_t blen = 3000000, tlen;
	uint8_t *base = make_text(blen, 7), *t = edit(base, blen, &tlen);
	struct airlock_delta_params p;
	struct mem f = { 0 }, out = { 0 };
	struct airlock_err err;
	uint64_t flen = 0;
	airlock_err_init(&err);
	assert_true(airlock_delta_params(blen, tlen, 19, UINT64_C(8) << 20, &p) <= UINT64_C(8) << 20);
	assert_int_equal(airlock_delta_encode_with(&p, base, blen, t, tlen,
	    (struct airlock_sink){ mem_write, &f }, &flen, &err), AIRLOCK_OK);
	assert_int_equal(flen, f.len);
	assert_true(f.len < tlen / 20);
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_OK);
	assert_int_equal(out.len, tlen);
	assert_memory_equal(out.p, t, tlen);
	p.window_log = 10;
	assert_int_equal(airlock_delta_encode_with(&p, base, blen, t, tlen,
	    (struct airlock_sink){ mem_write, &f }, NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "do not cover"));
	free(base), free(t), free(f.p), free(out.p);
}

/* Binary data (signatures, GeoIP tables) has little for the binary tree
 * to find nearby: the matches come from the hash table over the whole
 * base. An 8 MiB random file with an insertion and a few flipped bytes,
 * coded within 24 MiB: 8,282 bytes when the ladder shrank the hash table
 * first (2^20, tree 2^21), 802 bytes now that it shrinks the tree first
 * (2^18, hash 2^21). (A 24 MiB file within 40 MiB, t1300: 7 to 25 KB
 * against 730 bytes.) */
static void binary_data_within_a_tight_budget(void **state)
{
	(void)state;
	size_t blen = 8u << 20, tlen;
	uint8_t *base = make_random(blen), *t = edit(base, blen, &tlen);
	struct airlock_delta_params p;
	struct mem f = { 0 }, out = { 0 };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_true(airlock_delta_params(blen, tlen, 19, UINT64_C(24) << 20, &p) <= UINT64_C(24) << 20);
	assert_int_equal(airlock_delta_encode_with(&p, base, blen, t, tlen,
	    (struct airlock_sink){ mem_write, &f }, NULL, &err), AIRLOCK_OK);
	assert_true(f.len < 2048);
	assert_int_equal(decode(base, blen, &f, f.len, tlen, 27, &out, &err), AIRLOCK_OK);
	assert_memory_equal(out.p, t, tlen);
	free(base), free(t), free(f.p), free(out.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),
		cmocka_unit_test(empty_target_and_empty_base),
		cmocka_unit_test_setup_teardown(our_frames_open_with_the_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(cli_frames_open_with_us, setup, teardown),
		cmocka_unit_test(wrong_base_is_a_verify_failure),
		cmocka_unit_test(truncated_and_short_frames),
		cmocka_unit_test(trailing_bytes_are_refused),
		cmocka_unit_test_setup_teardown(frame_without_checksum_is_refused, setup, teardown),
		cmocka_unit_test(size_and_window_limits),
		cmocka_unit_test(base_with_dictionary_magic),
		cmocka_unit_test(params_stay_within_budget),
		cmocka_unit_test(params_shrink_only_when_needed),
		cmocka_unit_test(streamed_params_count_the_window),
		cmocka_unit_test(capped_frames_round_trip),
		cmocka_unit_test(binary_data_within_a_tight_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
