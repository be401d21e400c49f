/* delta.c - zstd patch-from frames the plain `zstd --patch-from` CLI reads
 * and writes (FORMATS-REFERENCE.md section 3). The base is always a raw
 * prefix (refPrefix on both sides): a base that happens to start with the
 * zstd dictionary magic must not be parsed as a trained dictionary. */
/* ZSTD_getFrameHeader, the CCtx_params and estimate functions: exported by libzstd.so.1 */
#define ZSTD_STATIC_LINKING_ONLY
#include "airlock/delta.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#define WLOG_MIN 10
#define WLOG_MAX 31
/* When the base is much larger than the target, a larger window gives the
 * long-distance matcher a bigger table over the base; the frame stays
 * single-segment (window = content size), so decoders need no more memory.
 * Capped so the encoder's tables stay small (2^27: 16 MiB of LDM table). */
#define WLOG_RAISE_MAX 27

static unsigned highbit64(uint64_t v)
{
	unsigned n = 0;
	while (v >>= 1)
		n++;
	return n;
}

int airlock_delta_window_log(uint64_t target_len)
{
	unsigned w = highbit64(target_len) + 1;
	return (int)(w < WLOG_MIN ? WLOG_MIN : w > WLOG_MAX ? WLOG_MAX : w);
}

/* The encoder's windowLog: the CLI's rule, raised towards the base size. */
static int encode_window_log(uint64_t base_len, uint64_t target_len)
{
	int w = airlock_delta_window_log(target_len);
	int b = airlock_delta_window_log(base_len);
	if (b > w)
		w = b > WLOG_RAISE_MAX ? (w > WLOG_RAISE_MAX ? w : WLOG_RAISE_MAX) : b;
	return w;
}

static enum airlock_code zfail(struct airlock_err *err, enum airlock_code code, size_t r,
    const char *what)
{
	if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
		code = AIRLOCK_E_NOMEM;
	return airlock_fail(err, code, "%s: %s", what, ZSTD_getErrorName(r));
}

/* ---- encoder settings within a memory budget ---- */

#define STREAM_WLOG_MIN 20     /* a plain frame's window never shrinks below 1 MiB */
/* The long-distance matcher finds what the binary tree cannot reach: a
 * base tens of MiB back, the XML and JSON of one record far apart. Its
 * table is the cheapest memory there is for that, so it is denser than
 * zstd's default (one entry per 16 bytes, not 128; 16 MiB at most) and
 * takes matches from 64 bytes. Measured on cwe's grouped v2->v3 frame with
 * a 23 MiB tree and hash table: 433 KB at zstd's default table, 366 KB with
 * this one (level 19 with 80 MiB of tables and the default: 358 KB). */
#define LDM_HASH_LOG_MAX 21
#define LDM_DENSITY_LOG 4
#define LDM_MIN_MATCH 64
#define LDM_BUCKET_LOG 3

/* Caps tried in turn until the tables fit: the binary tree (chain) first,
 * down to 2^18, keeping the 2^22 hash table and the long-distance table;
 * then hash and long-distance tables in turn; then the last floors. The
 * hash table over the whole base is what finds the matches in binary data
 * (signatures, GeoIP tables), where the tree finds little nearby: a 24 MiB
 * random file with one edit, within 40 MiB, gave 7,069 bytes of payload
 * when the tree and hash halved alternately (tree 2^22, hash 2^20) and 730
 * bytes with this order (tree 2^21, hash 2^22). Text pays a little for it:
 * cwe v2->v3's grouped frame 403 -> 416 KB; bcd v5->v6 +0.5 %, geoip
 * v1->v2 -1 %. A plain frame's window (its buffer) goes down to 2^25
 * first, then below that only after the tables: a whole cwe v3 at level 19
 * is 1.30 MB with a 2^25 window and small tables, 1.72 MB with 2^24 and
 * larger ones. */
static const struct { int chain, hash, ldm, window; } rungs[] = {
	{ 23, 22, 21, 25 }, { 22, 22, 21, 25 }, { 21, 22, 21, 25 }, { 20, 22, 21, 25 },
	{ 19, 22, 21, 25 }, { 18, 22, 21, 25 }, { 18, 21, 21, 25 }, { 18, 21, 20, 25 },
	{ 18, 20, 20, 25 }, { 18, 19, 20, 25 }, { 18, 19, 19, 25 }, { 18, 18, 19, 25 },
	{ 18, 17, 18, 25 },
	{ 18, 16, 17, 24 }, { 18, 16, 17, 23 }, { 18, 16, 16, 22 }, { 17, 16, 16, 21 },
	{ 16, 16, 16, 20 },
};

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

static ZSTD_CCtx_params *params_of(const struct airlock_delta_params *p)
{
	const struct { ZSTD_cParameter k; int v; } kv[] = {
		{ ZSTD_c_compressionLevel, p->level },
		{ ZSTD_c_windowLog, p->window_log }, { ZSTD_c_chainLog, p->chain_log },
		{ ZSTD_c_hashLog, p->hash_log }, { ZSTD_c_searchLog, p->search_log },
		{ ZSTD_c_minMatch, p->min_match }, { ZSTD_c_targetLength, p->target_length },
		{ ZSTD_c_strategy, p->strategy },
		{ ZSTD_c_enableLongDistanceMatching, p->ldm ? 1 : 2 },   /* 2: off, never automatic */
		{ ZSTD_c_ldmHashLog, p->ldm ? p->ldm_hash_log : 0 },
		{ ZSTD_c_ldmMinMatch, p->ldm ? p->ldm_min_match : 0 },
		{ ZSTD_c_ldmBucketSizeLog, p->ldm ? p->ldm_bucket_log : 0 },
		{ ZSTD_c_ldmHashRateLog, p->ldm ? p->ldm_rate_log : 0 },
		{ ZSTD_c_checksumFlag, 1 }, { ZSTD_c_contentSizeFlag, 1 },
		{ ZSTD_c_nbWorkers, 0 },    /* deterministic and better for patches */
		/* a delta's whole target is in memory and stays put: zstd need not
		 * copy it into a window buffer (saves up to 2^windowLog bytes) */
		{ ZSTD_c_stableInBuffer, !p->streamed },
	};
	ZSTD_CCtx_params *cp = ZSTD_createCCtxParams();
	if (cp == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		if (ZSTD_isError(ZSTD_CCtxParams_setParameter(cp, kv[i].k, kv[i].v))) {
			ZSTD_freeCCtxParams(cp);
			return NULL;
		}
	return cp;
}

uint64_t airlock_delta_estimate(const struct airlock_delta_params *p)
{
	ZSTD_CCtx_params *cp = params_of(p);
	size_t r;
	if (cp == NULL)
		return UINT64_MAX;
	r = p->streamed ? ZSTD_estimateCStreamSize_usingCCtxParams(cp) :
	    ZSTD_estimateCCtxSize_usingCCtxParams(cp);
	ZSTD_freeCCtxParams(cp);
	if (ZSTD_isError(r))
		return UINT64_MAX;
	/* the window buffer fills in order: pages past the input are never
	 * touched (a 20 MB feed in a 2^25 window uses 20 MB of it) */
	uint64_t window = UINT64_C(1) << p->window_log;
	if (p->streamed && p->input_len < window && window - p->input_len < r)
		r -= (size_t)(window - p->input_len);
	return (uint64_t)r;
}

/* zstd's own choice for these sizes (what the level alone would give). */
static void natural_params(uint64_t base_len, uint64_t target_len, int level,
    struct airlock_delta_params *p)
{
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, target_len,
	    base_len > SIZE_MAX ? SIZE_MAX : (size_t)base_len);
	int w = base_len > 0 ? encode_window_log(base_len, target_len) :
	    airlock_delta_window_log(target_len);
	memset(p, 0, sizeof *p);
	p->level = level;
	p->streamed = base_len == 0;
	p->input_len = p->streamed ? target_len : 0;
	if (p->streamed && w > WLOG_RAISE_MAX)
		w = WLOG_RAISE_MAX;
	p->window_log = w;
	p->chain_log = (int)cp.chainLog;
	p->hash_log = (int)cp.hashLog;
	p->search_log = (int)cp.searchLog;
	p->min_match = (int)cp.minMatch;
	p->target_length = (int)cp.targetLength;
	p->strategy = (int)cp.strategy;
	/* deltas always look far back; a plain frame once its window is large
	 * (a whole feed's repeated files: cwe's XML and JSON of one record) */
	p->ldm = base_len > 0 || w >= 24;
	p->ldm_hash_log = min_int(w - LDM_DENSITY_LOG < 6 ? 6 : w - LDM_DENSITY_LOG,
	    LDM_HASH_LOG_MAX);
	p->ldm_min_match = LDM_MIN_MATCH;
	p->ldm_bucket_log = min_int(LDM_BUCKET_LOG, p->ldm_hash_log);
	p->ldm_rate_log = w > p->ldm_hash_log ? w - p->ldm_hash_log : 0;
}

uint64_t airlock_delta_params(uint64_t base_len, uint64_t target_len, int level, uint64_t budget,
    struct airlock_delta_params *out)
{
	natural_params(base_len, target_len, level, out);
	out->table_bytes = airlock_delta_estimate(out);
	for (size_t i = 0; i < sizeof rungs / sizeof *rungs && out->table_bytes > budget; i++) {
		out->chain_log = min_int(out->chain_log, rungs[i].chain);
		out->hash_log = min_int(out->hash_log, rungs[i].hash);
		if (out->streamed)
			out->window_log = min_int(out->window_log,
			    rungs[i].window < STREAM_WLOG_MIN ? STREAM_WLOG_MIN : rungs[i].window);
		out->ldm_hash_log = min_int(out->ldm_hash_log, rungs[i].ldm);
		out->ldm_bucket_log = min_int(out->ldm_bucket_log, out->ldm_hash_log);
		out->ldm_rate_log = out->window_log > out->ldm_hash_log ?
		    out->window_log - out->ldm_hash_log : 0;
		out->table_bytes = airlock_delta_estimate(out);
	}
	return out->table_bytes;
}

enum airlock_code airlock_delta_apply(const struct airlock_delta_params *prm, ZSTD_CCtx *c,
    struct airlock_err *err)
{
	ZSTD_CCtx_params *cp = params_of(prm);
	size_t r;
	if (cp == NULL)
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot set up the zstd encoder");
	r = ZSTD_CCtx_setParametersUsingCCtxParams(c, cp);
	ZSTD_freeCCtxParams(cp);
	if (ZSTD_isError(r))
		return zfail(err, AIRLOCK_E_FAILED, r, "cannot set up the zstd encoder");
	return AIRLOCK_OK;
}

static enum airlock_code setup_cctx(ZSTD_CCtx *c, const struct airlock_delta_params *prm,
    const uint8_t *base, size_t base_len, size_t target_len, struct airlock_err *err)
{
	size_t r;
	if (airlock_delta_apply(prm, c, err) != AIRLOCK_OK)
		return err->code;
	if (ZSTD_isError(r = ZSTD_CCtx_setPledgedSrcSize(c, target_len)) ||
	    ZSTD_isError(r = ZSTD_CCtx_refPrefix(c, base, base_len)))
		return zfail(err, AIRLOCK_E_FAILED, r, "cannot set up the delta encoder");
	return AIRLOCK_OK;
}

static enum airlock_code encode_stream(ZSTD_CCtx *c, const uint8_t *target, size_t target_len,
    struct airlock_sink out, uint64_t *frame_len, struct airlock_err *err)
{
	size_t cap = ZSTD_CStreamOutSize(), rem;
	uint8_t *buf = malloc(cap);
	ZSTD_inBuffer in = { target, target_len, 0 };
	uint64_t total = 0;
	if (buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory encoding a delta");
	do {
		ZSTD_outBuffer o = { buf, cap, 0 };
		rem = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
		if (ZSTD_isError(rem)) {
			zfail(err, AIRLOCK_E_FAILED, rem, "cannot encode a delta");
			break;
		}
		total += o.pos;
		if (o.pos > 0 && out.write(out.ctx, buf, o.pos, err) != AIRLOCK_OK)
			break;
	} while (rem != 0);
	free(buf);
	if (frame_len != NULL)
		*frame_len = total;
	return err->code;
}

enum airlock_code airlock_delta_encode_with(const struct airlock_delta_params *prm,
    const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len,
    struct airlock_sink out, uint64_t *frame_len, struct airlock_err *err)
{
	if (base_len == 0)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "cannot delta-code against an empty base (such files travel whole)");
	if ((uint64_t)base_len > AIRLOCK_DELTA_TARGET_MAX || (uint64_t)target_len > AIRLOCK_DELTA_TARGET_MAX)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "cannot delta-code more than 2 GiB (base %zu, target %zu bytes)", base_len, target_len);
	if (prm->streamed || prm->window_log < encode_window_log(base_len, target_len))
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "delta encoder settings do not cover base and target");
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (c == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory creating a delta encoder");
	if (setup_cctx(c, prm, base, base_len, target_len, err) == AIRLOCK_OK)
		encode_stream(c, target, target_len, out, frame_len, err);
	ZSTD_freeCCtx(c);
	return err->code;
}

enum airlock_code airlock_delta_encode(const uint8_t *base, size_t base_len,
    const uint8_t *target, size_t target_len, int level, struct airlock_sink out,
    uint64_t *frame_len, struct airlock_err *err)
{
	struct airlock_delta_params prm;
	if (base_len == 0)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "cannot delta-code against an empty base (such files travel whole)");
	airlock_delta_params(base_len, target_len, level, AIRLOCK_DELTA_BUDGET_DEFAULT, &prm);
	return airlock_delta_encode_with(&prm, base, base_len, target, target_len, out, frame_len,
	    err);
}

/* ---- decoding untrusted frames ---- */

#define FHD_CHECKSUM 0x04    /* Frame_Header_Descriptor bit 2 */

/* Checks the frame header in hdr (the frame's first n bytes). */
static enum airlock_code check_header(const uint8_t *hdr, size_t n, uint64_t frame_len,
    uint64_t expected_size, int window_log_max, struct airlock_err *err)
{
	ZSTD_frameHeader fh;
	size_t r = ZSTD_getFrameHeader(&fh, hdr, n);
	if (ZSTD_isError(r) || r > 0 || fh.frameType != ZSTD_frame)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame has no valid zstd frame header");
	if (n < 5 || !(hdr[4] & FHD_CHECKSUM) || !fh.checksumFlag)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame has no content checksum");
	if (fh.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame does not declare its content size");
	if (fh.frameContentSize != expected_size)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "delta frame decodes to %llu bytes, the manifest says %llu",
		    (unsigned long long)fh.frameContentSize, (unsigned long long)expected_size);
	if (fh.dictID != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame names a dictionary");
	if (fh.windowSize > (UINT64_C(1) << window_log_max))
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "delta frame window (%llu bytes) is above the limit 2^%d",
		    (unsigned long long)fh.windowSize, window_log_max);
	if (frame_len < fh.headerSize)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame is truncated");
	return AIRLOCK_OK;
}

struct dstate {
	ZSTD_DCtx *d;
	struct airlock_source in;
	struct airlock_sink out;
	uint64_t left;        /* frame bytes not yet read from in */
	uint64_t produced;
	uint64_t expected;
	uint8_t *ibuf, *obuf;
	size_t icap, ocap;
};

static enum airlock_code refill(struct dstate *s, ZSTD_inBuffer *in, struct airlock_err *err)
{
	size_t want = s->left < s->icap ? (size_t)s->left : s->icap;
	size_t got = 0;
	while (got < want) {
		ssize_t n = s->in.read(s->in.ctx, s->ibuf + got, want - got, err);
		if (n < 0)
			return err->code;
		if (n == 0)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame is shorter than declared");
		got += (size_t)n;
	}
	s->left -= got;
	*in = (ZSTD_inBuffer){ s->ibuf, got, 0 };
	return AIRLOCK_OK;
}

/* Runs the decoder over the first chunk (already in ibuf, hlen bytes) and
 * the rest of the frame; the frame must end exactly at its last byte. */
static enum airlock_code decode_loop(struct dstate *s, size_t hlen, struct airlock_err *err)
{
	ZSTD_inBuffer in = { s->ibuf, hlen, 0 };
	size_t r = 1;
	for (;;) {
		if (in.pos == in.size) {
			if (r == 0)
				break;
			if (s->left == 0)
				return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame is truncated");
			if (refill(s, &in, err) != AIRLOCK_OK)
				return err->code;
		}
		if (r == 0)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "trailing bytes after the delta frame");
		ZSTD_outBuffer o = { s->obuf, s->ocap, 0 };
		r = ZSTD_decompressStream(s->d, &o, &in);
		if (ZSTD_isError(r))
			return zfail(err, AIRLOCK_E_VERIFY, r,
			    "delta frame does not apply (wrong base or damaged frame)");
		s->produced += o.pos;
		if (s->produced > s->expected)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame decodes to more than declared");
		if (o.pos > 0 && s->out.write(s->out.ctx, s->obuf, o.pos, err) != AIRLOCK_OK)
			return err->code;
	}
	if (s->left != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "trailing bytes after the delta frame");
	if (s->produced != s->expected)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame decodes to fewer bytes than declared");
	return AIRLOCK_OK;
}

static enum airlock_code decode_with(struct dstate *s, const uint8_t *base, size_t base_len,
    int window_log_max, struct airlock_err *err)
{
	size_t r;
	size_t hlen = s->left < ZSTD_FRAMEHEADERSIZE_MAX ? (size_t)s->left : ZSTD_FRAMEHEADERSIZE_MAX;
	uint64_t frame_len = s->left;
	s->icap = hlen;      /* read only the header first */
	ZSTD_inBuffer first;
	if (refill(s, &first, err) != AIRLOCK_OK)
		return err->code;
	if (check_header(s->ibuf, hlen, frame_len, s->expected, window_log_max, err) != AIRLOCK_OK)
		return err->code;
	s->icap = ZSTD_DStreamInSize();
	if (ZSTD_isError(r = ZSTD_DCtx_setParameter(s->d, ZSTD_d_windowLogMax, window_log_max)) ||
	    ZSTD_isError(r = ZSTD_DCtx_refPrefix(s->d, base, base_len)))
		return zfail(err, AIRLOCK_E_FAILED, r, "cannot set up the delta decoder");
	return decode_loop(s, hlen, err);
}

enum airlock_code airlock_delta_decode(const uint8_t *base, size_t base_len,
    struct airlock_source in, uint64_t frame_len, uint64_t expected_size,
    int window_log_max, struct airlock_sink out, struct airlock_err *err)
{
	if (window_log_max < WLOG_MIN || window_log_max > WLOG_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "window log limit %d is outside 10..31",
		    window_log_max);
	if (base_len == 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame has an empty base");
	if (expected_size > AIRLOCK_DELTA_TARGET_MAX)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "delta frame target is larger than 2 GiB");
	struct dstate s = { .in = in, .out = out, .left = frame_len, .expected = expected_size,
		.ocap = ZSTD_DStreamOutSize() };
	s.d = ZSTD_createDCtx();
	s.ibuf = malloc(ZSTD_DStreamInSize() > ZSTD_FRAMEHEADERSIZE_MAX ?
	    ZSTD_DStreamInSize() : ZSTD_FRAMEHEADERSIZE_MAX);
	s.obuf = malloc(s.ocap);
	if (s.d == NULL || s.ibuf == NULL || s.obuf == NULL)
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory decoding a delta");
	else
		decode_with(&s, base, base_len, window_log_max, err);
	ZSTD_freeDCtx(s.d);
	free(s.ibuf);
	free(s.obuf);
	return err->code;
}
