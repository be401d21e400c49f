/* airlock/delta.h - zstd "patch-from" frames, byte-compatible with the zstd
 * CLI: `zstd -d --patch-from=BASE FRAME -o NEW` rebuilds what
 * airlock_delta_encode wrote. Frames always carry the content size and a
 * checksum, so decoding against a wrong base cannot pass silently. */
#ifndef AIRLOCK_DELTA_H
#define AIRLOCK_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/io.h"

/* Largest target a delta frame may rebuild: 2 GiB (zstd's windowLog 31). */
#define AIRLOCK_DELTA_TARGET_MAX (UINT64_C(1) << 31)

/* Encodes target against base (base_len must be > 0: the zstd 1.5.4 CLI
 * aborts on an empty base, so such files travel whole) at the given level
 * (19 is what the signer uses) and writes one frame to out. The frame size
 * goes to *frame_len. Single-threaded, deterministic for one libzstd. The
 * encoder's tables stay within AIRLOCK_DELTA_BUDGET_DEFAULT. */
enum airlock_code airlock_delta_encode(const uint8_t *base, size_t base_len,
    const uint8_t *target, size_t target_len, int level, struct airlock_sink out,
    uint64_t *frame_len, struct airlock_err *err);

/* Encoder settings, chosen by airlock_delta_params for a memory budget.
 * Every zstd parameter that sizes the encoder's tables is set explicitly,
 * so the frame costs what table_bytes says and no more. */
struct airlock_delta_params {
	int level;
	int window_log, chain_log, hash_log, search_log, min_match, target_length, strategy;
	int ldm;                       /* long-distance matcher on (1) or off (0) */
	int ldm_hash_log, ldm_min_match, ldm_bucket_log, ldm_rate_log;
	int streamed;                  /* 1: input copied into a window buffer (counted) */
	uint64_t input_len;            /* streamed: bytes expected; the buffer is
	                                  counted only as far as they fill it */
	uint64_t table_bytes;          /* zstd's own estimate of the encoder's memory */
};

/* Memory the encoder may use when the caller names no budget (the planner's
 * trial coding, tests): small enough to sit beside a payload being written. */
#define AIRLOCK_DELTA_BUDGET_DEFAULT (UINT64_C(48) << 20)

/* Chooses level-`level` settings for coding target_len bytes against a
 * base_len-byte prefix (base_len > 0, the encoder's input stays put) or, with
 * base_len == 0, for streaming a plain frame of about target_len bytes (then
 * the window buffer is counted and the window may shrink, never below 2^20).
 * Starts from zstd's own choice for these sizes, which is kept whenever it
 * fits, then halves the binary tree, the hash table and the long-distance
 * table (in that order, down to fixed floors) until the estimate is within
 * budget. Returns out->table_bytes; it may exceed budget only at the floors
 * (about 8 MiB). Pure: same inputs, same settings. */
uint64_t airlock_delta_params(uint64_t base_len, uint64_t target_len, int level, uint64_t budget,
    struct airlock_delta_params *out);

/* zstd's estimate of the encoder memory prm needs (what airlock_delta_params
 * stores in table_bytes); for settings changed after the choice. */
uint64_t airlock_delta_estimate(const struct airlock_delta_params *prm);

/* airlock_delta_encode with settings from airlock_delta_params (same frame
 * format; the window covers base and target whatever the tables). */
enum airlock_code airlock_delta_encode_with(const struct airlock_delta_params *prm,
    const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len,
    struct airlock_sink out, uint64_t *frame_len, struct airlock_err *err);

/* Applies prm to an encoder (ZSTD_CCtx) with the frame flags airlock
 * always uses: checksum, content size, no worker threads; and, unless
 * prm->streamed, a stable input (zstd need not copy it). */
struct ZSTD_CCtx_s;
enum airlock_code airlock_delta_apply(const struct airlock_delta_params *prm,
    struct ZSTD_CCtx_s *c, struct airlock_err *err);

/* The windowLog a frame rebuilding target_len bytes declares at most, and
 * so what a decoder must allow: the CLI's clamp(highbit(size) + 1, 10, 31).
 * (Frames are single-segment: their window is their content size.) */
int airlock_delta_window_log(uint64_t target_len);

/* Decodes one frame read from in (untrusted, frame_len bytes exactly) against
 * base and writes the result to out. Refuses (AIRLOCK_E_VERIFY) a frame
 * without checksum or content size, a content size other than
 * expected_size, a window above 2^window_log_max, more than one frame,
 * trailing bytes, or a checksum mismatch. */
enum airlock_code airlock_delta_decode(const uint8_t *base, size_t base_len,
    struct airlock_source in, uint64_t frame_len, uint64_t expected_size,
    int window_log_max, struct airlock_sink out, struct airlock_err *err);

#endif
