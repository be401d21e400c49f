/* delta.c - zstd patch-from frames the plain `zstd --patch-from` CLI reads
 * and writes (FORMATS-REFERENCE.md section 3). The base is always a raw
 * prefix (refPrefix on both sides): a base that happens to start with the
 * zstd dictionary magic must not be parsed as a trained dictionary. */
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_getFrameHeader; exported by libzstd.so.1 */
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

static enum airlock_code setup_cctx(ZSTD_CCtx *c, const uint8_t *base, size_t base_len,
    size_t target_len, int level, struct airlock_err *err)
{
	const struct { ZSTD_cParameter p; int v; } params[] = {
		{ ZSTD_c_compressionLevel, level },
		{ ZSTD_c_windowLog, encode_window_log(base_len, target_len) },
		{ ZSTD_c_enableLongDistanceMatching, 1 },
		{ ZSTD_c_checksumFlag, 1 },
		{ ZSTD_c_contentSizeFlag, 1 },
		{ ZSTD_c_nbWorkers, 0 },    /* deterministic and better for patches */
		/* the whole target is in memory and stays put: zstd need not copy
		 * it into a window buffer (saves up to 2^windowLog bytes) */
		{ ZSTD_c_stableInBuffer, 1 },
	};
	size_t r;
	for (size_t i = 0; i < sizeof params / sizeof *params; i++)
		if (ZSTD_isError(r = ZSTD_CCtx_setParameter(c, params[i].p, params[i].v)))
			return zfail(err, AIRLOCK_E_FAILED, r, "cannot set up the delta encoder");
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

enum airlock_code airlock_delta_encode(const uint8_t *base, size_t base_len,
    const uint8_t *target, size_t target_len, int level, struct airlock_sink out,
    uint64_t *frame_len, struct airlock_err *err)
{
	if (base_len == 0)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "cannot delta-code against an empty base (such files travel whole)");
	if ((uint64_t)base_len > AIRLOCK_DELTA_TARGET_MAX || (uint64_t)target_len > AIRLOCK_DELTA_TARGET_MAX)
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "cannot delta-code more than 2 GiB (base %zu, target %zu bytes)", base_len, target_len);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (c == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory creating a delta encoder");
	if (setup_cctx(c, base, base_len, target_len, level, err) == AIRLOCK_OK)
		encode_stream(c, target, target_len, out, frame_len, err);
	ZSTD_freeCCtx(c);
	return err->code;
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
