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
 * goes to *frame_len. Single-threaded, deterministic for one libzstd. */
enum airlock_code airlock_delta_encode(const uint8_t *base, size_t base_len,
    const uint8_t *target, size_t target_len, int level, struct airlock_sink out,
    uint64_t *frame_len, struct airlock_err *err);

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
