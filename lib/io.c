/* io.c - byte streams and careful file helpers. */
#include "airlock/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum airlock_code airlock_progress_step(const struct airlock_progress *p, const char *stage,
    uint64_t done, uint64_t total, struct airlock_err *err)
{
	if (p == NULL)
		return AIRLOCK_OK;
	if ((p->cancel != NULL && *p->cancel) ||
	    (p->fn != NULL && p->fn(p->ctx, stage, done, total) != 0))
		return airlock_fail(err, AIRLOCK_E_CANCELLED, "cancelled during %s", stage);
	return AIRLOCK_OK;
}

enum airlock_code airlock_write_all(int fd, const void *buf, size_t len, const char *what,
    struct airlock_err *err)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot write '%s'", what);
			if (err->sys_errno == ENOSPC)
				airlock_hint(err, "the disk is full: free some space and try again");
			return err->code;
		}
		p += n;
		len -= (size_t)n;
	}
	return AIRLOCK_OK;
}

enum airlock_code airlock_read_full(int fd, void *buf, size_t len, size_t *got,
    const char *what, struct airlock_err *err)
{
	unsigned char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read '%s'", what);
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return AIRLOCK_OK;
}

static enum airlock_code fd_sink_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	return airlock_write_all(*(int *)ctx, buf, len, "output", err);
}

static ssize_t fd_source_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	for (;;) {
		ssize_t n = read(*(int *)ctx, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR) {
			airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read input");
			return -1;
		}
	}
}

struct airlock_sink airlock_sink_fd(int *fd)
{
	return (struct airlock_sink){ fd_sink_write, fd };
}

struct airlock_source airlock_source_fd(int *fd)
{
	return (struct airlock_source){ fd_source_read, fd };
}

enum airlock_code airlock_read_file(const char *path, size_t max, char **out, size_t *len,
    struct airlock_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", path);
	char *buf = malloc(max + 1);
	size_t got = 0;
	char probe;
	size_t extra = 0;
	if (buf == NULL) {
		close(fd);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory reading '%s'", path);
	}
	if (airlock_read_full(fd, buf, max, &got, path, err) != AIRLOCK_OK ||
	    airlock_read_full(fd, &probe, 1, &extra, path, err) != AIRLOCK_OK) {
		close(fd);
		free(buf);
		return err->code;
	}
	close(fd);
	if (extra != 0) {
		free(buf);
		return airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is larger than %zu bytes", path, max);
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return AIRLOCK_OK;
}

static void split_dir(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
}

enum airlock_code airlock_fsync_dir(const char *path, struct airlock_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open directory '%s'", path);
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, e, "cannot sync directory '%s'", path);
	}
	close(fd);
	return AIRLOCK_OK;
}

enum airlock_code airlock_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct airlock_err *err)
{
	char tmp[4096], dir[4096];
	if (airlock_path(tmp, sizeof tmp, err, "%s.tmp.%ld", path, (long)getpid()) != AIRLOCK_OK)
		return err->code;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", tmp);
	if (airlock_write_all(fd, data, len, path, err) != AIRLOCK_OK)
		goto fail;
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot close '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	split_dir(path, dir, sizeof dir);
	return airlock_fsync_dir(dir, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err->code;
}

enum airlock_code airlock_mkdir_p(const char *path, mode_t mode, struct airlock_err *err)
{
	char buf[4096];
	if (airlock_path(buf, sizeof buf, err, "%s", path) != AIRLOCK_OK)
		return err->code;
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
			    "cannot create directory '%s'", buf);
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
		return airlock_fail(err, AIRLOCK_E_FAILED, "'%s' exists and is not a directory", path);
	return AIRLOCK_OK;
}

static enum airlock_code remove_at(int dirfd, const char *name, struct airlock_err *err);

static enum airlock_code remove_children(int fd, struct airlock_err *err)
{
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot list directory");
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), de->d_name, err) != AIRLOCK_OK)
			break;
	}
	closedir(d);
	return err->code;
}

static enum airlock_code remove_at(int dirfd, const char *name, struct airlock_err *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? AIRLOCK_OK :
		    airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot stat '%s'", name);
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", name);
		if (remove_children(fd, err) != AIRLOCK_OK)
			return err->code;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot remove '%s'", name);
		return AIRLOCK_OK;
	}
	if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot remove '%s'", name);
	return AIRLOCK_OK;
}

enum airlock_code airlock_remove_tree(const char *path, struct airlock_err *err)
{
	return remove_at(AT_FDCWD, path, err);
}

enum airlock_code airlock_path(char *out, size_t outlen, struct airlock_err *err,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen)
		return airlock_fail(err, AIRLOCK_E_FAILED, "path too long: '%.64s...'", out);
	return AIRLOCK_OK;
}
