/* airlock/io.h - byte streams, file helpers and progress reporting shared by
 * every module. Streams are a function plus a context, so a tar writer can
 * feed zstd, zstd can feed age, and age can feed a file or a hasher. */
#ifndef AIRLOCK_IO_H
#define AIRLOCK_IO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "airlock/error.h"

/* A consumer of bytes. write() takes all len bytes or fails. */
struct airlock_sink {
	enum airlock_code (*write)(void *ctx, const void *buf, size_t len, struct airlock_err *err);
	void *ctx;
};

/* A producer of bytes. read() returns the number of bytes placed in buf
 * (0 only at end of stream) or -1 with err set. */
struct airlock_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct airlock_err *err);
	void *ctx;
};

/* Progress and cancellation for long operations. fn may be NULL. The core
 * calls fn between units of work with the stage name ("hash", "compress",
 * "apply", ...) and counters; fn returning non-zero, or *cancel becoming
 * non-zero, makes the operation stop at a safe point with AIRLOCK_E_CANCELLED. */
struct airlock_progress {
	int (*fn)(void *ctx, const char *stage, uint64_t done, uint64_t total);
	void *ctx;
	volatile sig_atomic_t *cancel;
};

/* Reports progress; returns AIRLOCK_E_CANCELLED (recorded in err) when the
 * caller asked to stop. p may be NULL. */
enum airlock_code airlock_progress_step(const struct airlock_progress *p, const char *stage,
    uint64_t done, uint64_t total, struct airlock_err *err);

/* A sink writing to a file descriptor; ctx points at the int fd. */
struct airlock_sink airlock_sink_fd(int *fd);
/* A source reading from a file descriptor; ctx points at the int fd. */
struct airlock_source airlock_source_fd(int *fd);

/* write(2)/read(2) loops that retry on EINTR and short counts. `what` names
 * the file in messages. read_full stops early only at end of file and
 * reports how many bytes it got in *got. */
enum airlock_code airlock_write_all(int fd, const void *buf, size_t len, const char *what,
    struct airlock_err *err);
enum airlock_code airlock_read_full(int fd, void *buf, size_t len, size_t *got,
    const char *what, struct airlock_err *err);

/* Reads a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer (*len excludes the NUL). Larger files fail with AIRLOCK_E_FAILED. */
enum airlock_code airlock_read_file(const char *path, size_t max, char **out, size_t *len,
    struct airlock_err *err);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. mode applies to the new file. */
enum airlock_code airlock_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct airlock_err *err);

/* mkdir -p with the given mode for the directories it creates. */
enum airlock_code airlock_mkdir_p(const char *path, mode_t mode, struct airlock_err *err);

/* fsync of a directory, so a rename or create in it is durable. */
enum airlock_code airlock_fsync_dir(const char *path, struct airlock_err *err);

/* rm -rf that never follows symlinks; a missing path is not an error. */
enum airlock_code airlock_remove_tree(const char *path, struct airlock_err *err);

/* snprintf into a fixed buffer that fails (AIRLOCK_E_FAILED, "path too
 * long") instead of truncating. */
enum airlock_code airlock_path(char *out, size_t outlen, struct airlock_err *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
