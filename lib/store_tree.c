/* store_tree.c - building and publishing version directories. */
#include "airlock/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/fault.h"
#include "airlock/io.h"

#define COPY_CHUNK (256 * 1024)

/* Opens (creating) the directory for path's parent under root, one
 * component at a time, never following a symlink. Returns a dir fd or -1. */
static int open_parent(int root, const char *path, const char **base, struct airlock_err *err)
{
	char comp[256];
	int fd = dup(root);
	const char *p = path, *slash;
	while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof comp) {
			close(fd);
			airlock_fail(err, AIRLOCK_E_VERIFY, "bad path component in '%s'", path);
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
			airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create directory for '%s'", path);
			close(fd);
			return -1;
		}
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open directory for '%s'", path);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

static enum airlock_code copy_object(struct airlock_objstore *os, const uint8_t *hash, int dfd,
    const char *name, mode_t mode, struct airlock_err *err)
{
	int in = -1;
	if (airlock_objstore_open_object(os, hash, &in, err) != AIRLOCK_OK)
		return err->code;
	int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", name);
	}
	char *buf = malloc(COPY_CHUNK);
	enum airlock_code rc = buf ? AIRLOCK_OK : airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	ssize_t n;
	while (rc == AIRLOCK_OK && (n = read(in, buf, COPY_CHUNK)) != 0) {
		if (n < 0)
			rc = errno == EINTR ? AIRLOCK_OK
			    : airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read object");
		else
			rc = airlock_write_all(out, buf, (size_t)n, name, err);
	}
	free(buf);
	if (rc == AIRLOCK_OK && (fchmod(out, mode) != 0 || fsync(out) != 0))
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot finish '%s'", name);
	close(in);
	close(out);
	return rc;
}

/* The directory of the previous entry stays open: entries are sorted, so
 * neighbours share it, and a tree of 100,000 files costs 100,000 links,
 * not 100,000 walks from the root. */
struct parent_cache {
	char dir[AIRLOCK_PATH_MAX + 1];
	int fd;
};

static int cached_parent(struct parent_cache *pc, int root, const char *path, const char **base,
    struct airlock_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (pc->fd >= 0 && strlen(pc->dir) == n && memcmp(pc->dir, path, n) == 0) {
		*base = slash ? slash + 1 : path;
		return pc->fd;
	}
	if (pc->fd >= 0)
		close(pc->fd);
	pc->fd = open_parent(root, path, base, err);
	memcpy(pc->dir, path, n);
	pc->dir[n] = '\0';
	return pc->fd;
}

static enum airlock_code place_entry(struct airlock_objstore *os, int root,
    struct parent_cache *pc, const struct airlock_tree_entry *e, struct airlock_err *err)
{
	const char *base = NULL;
	char obj[PATH_MAX];
	int dfd = cached_parent(pc, root, e->path, &base, err);
	if (dfd < 0)
		return err->code;
	enum airlock_code rc = AIRLOCK_OK;
	if (e->type == AIRLOCK_ENTRY_SYMLINK) {
		if (symlinkat(e->link_target, dfd, base) != 0)
			rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create symlink '%s'", e->path);
	} else if (e->mode == 0755) {
		rc = copy_object(os, e->hash, dfd, base, 0555, err);
	} else if (airlock_objstore_path(os, e->hash, obj, sizeof obj, err) == AIRLOCK_OK) {
		if (linkat(AT_FDCWD, obj, dfd, base, 0) != 0)
			rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot link '%s'", e->path);
	} else {
		rc = err->code;
	}
	return rc;
}

/* fsyncs every directory under fd (depth first), so the links are durable
 * before the tree is published. */
static enum airlock_code fsync_tree(int fd, struct airlock_err *err)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (d == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read a staged directory");
	}
	struct dirent *de;
	enum airlock_code rc = AIRLOCK_OK;
	while (rc == AIRLOCK_OK && (de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open a staged directory");
			break;
		}
		rc = fsync_tree(sub, err);
		close(sub);
	}
	closedir(d);
	if (rc == AIRLOCK_OK && fsync(fd) != 0)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot fsync a staged directory");
	return rc;
}

static enum airlock_code build_tree(struct airlock_store *s, const char *dir,
    const struct airlock_tree *tree, struct airlock_err *err)
{
	if (mkdir(dir, 0755) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", dir);
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", dir);
	enum airlock_code rc = AIRLOCK_OK;
	size_t n = airlock_tree_count(tree);
	struct parent_cache *pc = malloc(sizeof *pc);
	if (pc == NULL)
		rc = airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	else
		pc->fd = -1;
	for (size_t i = 0; rc == AIRLOCK_OK && i < n; i++) {
		rc = place_entry(airlock_store_objects(s), root, pc, airlock_tree_at(tree, i), err);
		airlock_fault_point("materialize.entry");
	}
	if (pc != NULL && pc->fd >= 0)
		close(pc->fd);
	free(pc);
	if (rc == AIRLOCK_OK)
		rc = fsync_tree(root, err);
	close(root);
	return rc;
}

enum airlock_code airlock_store_materialize(struct airlock_store *s, const char *feed,
    uint64_t version, const struct airlock_tree *tree, struct airlock_err *err)
{
	char stage[PATH_MAX], vdir[PATH_MAX], vparent[PATH_MAX];
	const char *home = airlock_store_home(s);
	if (airlock_path(stage, sizeof stage, err, "%s/staging/tree-%s-%llu", home, feed,
	    (unsigned long long)version) != AIRLOCK_OK ||
	    airlock_path(vparent, sizeof vparent, err, "%s/feeds/%s/versions", home, feed) != AIRLOCK_OK ||
	    airlock_store_version_dir(s, feed, version, vdir, sizeof vdir, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_remove_tree(stage, err) != AIRLOCK_OK ||
	    airlock_remove_tree(vdir, err) != AIRLOCK_OK ||
	    airlock_mkdir_p(vparent, 0755, err) != AIRLOCK_OK)
		return err->code;
	airlock_fault_point("materialize.start");
	if (build_tree(s, stage, tree, err) != AIRLOCK_OK) {
		struct airlock_err ignore;
		airlock_err_init(&ignore);
		airlock_remove_tree(stage, &ignore);
		return err->code;
	}
	airlock_fault_point("materialize.built");
	if (rename(stage, vdir) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot move '%s' into place", stage);
	airlock_fault_point("materialize.renamed");
	return airlock_fsync_dir(vparent, err);
}

enum airlock_code airlock_store_publish(struct airlock_store *s, const char *feed,
    uint64_t version, struct airlock_err *err)
{
	char fdir[PATH_MAX], tmp[PATH_MAX], cur[PATH_MAX], target[64];
	const char *home = airlock_store_home(s);
	if (airlock_path(fdir, sizeof fdir, err, "%s/feeds/%s", home, feed) != AIRLOCK_OK ||
	    airlock_path(tmp, sizeof tmp, err, "%s/.current.tmp", fdir) != AIRLOCK_OK ||
	    airlock_path(cur, sizeof cur, err, "%s/current", fdir) != AIRLOCK_OK)
		return err->code;
	snprintf(target, sizeof target, "versions/%llu", (unsigned long long)version);
	if (unlink(tmp) != 0 && errno != ENOENT)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot remove '%s'", tmp);
	if (symlink(target, tmp) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", tmp);
	airlock_fault_point("publish.symlink");
	if (rename(tmp, cur) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot publish '%s'", cur);
	airlock_fault_point("publish.renamed");
	return airlock_fsync_dir(fdir, err);
}
