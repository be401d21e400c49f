/* importer_fsck.c - re-hash every object and check every retained tree and
 * every published link against the catalog. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/audit.h"
#include "airlock/importer.h"
#include "airlock/store.h"
#include "airlock/tree.h"
#include "importer_int.h"

struct fsck {
	struct airlock_importer *im;
	const struct airlock_progress *progress;
	struct airlock_fsck_problem *v;
	size_t n, cap;
	uint64_t objects;
	int nomem;
};

static void problem(struct fsck *f, const char *what, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(struct fsck *f, const char *what, const char *where, const char *fmt, ...)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 8;
		struct airlock_fsck_problem *p = realloc(f->v, cap * sizeof *p);
		if (p == NULL) {
			f->nomem = 1;
			return;
		}
		f->v = p;
		f->cap = cap;
	}
	struct airlock_fsck_problem *p = &f->v[f->n++];
	va_list ap;
	snprintf(p->what, sizeof p->what, "%s", what);
	airlock_escape(p->where, sizeof p->where, where, strlen(where));
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
}

static enum airlock_code check_object(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	struct fsck *f = ctx;
	struct airlock_err e;
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_err_init(&e);
	if (airlock_objstore_verify(airlock_store_objects(f->im->store), hash, &e) != AIRLOCK_OK) {
		airlock_hash_to_hex(hex, hash);
		problem(f, "object", hex, "%s", e.msg);
	}
	f->objects++;
	return airlock_progress_step(f->progress, "objects", f->objects, 0, err);
}

/* A file of a version directory: regular, read-only, and either the very
 * inode of its object (so the object's check covers its bytes) or, for a
 * 0755 copy, the right bytes. */
static void check_file(struct fsck *f, int dfd, const char *where,
    const struct airlock_tree_entry *e)
{
	struct stat st, os;
	char obj[PATH_MAX];
	struct airlock_err er;
	airlock_err_init(&er);
	if (fstatat(dfd, e->path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		problem(f, "file", where, "'%s' is missing", e->path);
		return;
	}
	if (e->type == AIRLOCK_ENTRY_SYMLINK) {
		char buf[AIRLOCK_PATH_MAX + 1];
		ssize_t n = S_ISLNK(st.st_mode) ? readlinkat(dfd, e->path, buf, sizeof buf - 1) : -1;
		if (n < 0 || (size_t)n != strlen(e->link_target) || memcmp(buf, e->link_target, (size_t)n))
			problem(f, "file", where, "'%s' is not the symlink the catalog records", e->path);
		return;
	}
	mode_t want = e->mode == 0755 ? 0555 : 0444;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != want || (uint64_t)st.st_size != e->size) {
		problem(f, "file", where, "'%s' has the wrong type, mode or size", e->path);
		return;
	}
	if (e->mode != 0755 && airlock_objstore_path(airlock_store_objects(f->im->store), e->hash,
	    obj, sizeof obj, &er) == AIRLOCK_OK && stat(obj, &os) == 0 &&
	    os.st_ino == st.st_ino && os.st_dev == st.st_dev)
		return;
	int fd = openat(dfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	uint8_t h[AIRLOCK_HASH_BYTES];
	if (fd < 0 || airlock_hash_fd(fd, h, NULL, e->path, &er) != AIRLOCK_OK ||
	    sodium_memcmp(h, e->hash, AIRLOCK_HASH_BYTES) != 0)
		problem(f, "file", where, "'%s' does not match its hash in the catalog", e->path);
	if (fd >= 0)
		close(fd);
}

/* Counts non-directory entries below fd, to catch files nobody recorded. */
static uint64_t count_entries(int fd)
{
	int d2 = dup(fd);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	uint64_t n = 0;
	struct dirent *de;
	if (d == NULL) {
		if (d2 >= 0)
			close(d2);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				n += count_entries(sub);
				close(sub);
			}
		} else {
			n++;
		}
	}
	closedir(d);
	return n;
}

static void check_version(struct fsck *f, const char *feed, uint64_t version,
    const uint8_t tree_hash[AIRLOCK_HASH_BYTES])
{
	char where[128], dir[PATH_MAX];
	struct airlock_tree *t = NULL;
	struct airlock_err e;
	uint8_t h[AIRLOCK_HASH_BYTES];
	airlock_err_init(&e);
	snprintf(where, sizeof where, "%s@%llu", feed, (unsigned long long)version);
	if (airlock_store_version_tree(f->im->store, feed, version, &t, &e) != AIRLOCK_OK) {
		problem(f, "catalog", where, "%s", e.msg);
		return;
	}
	airlock_tree_hash(t, h);
	if (sodium_memcmp(h, tree_hash, AIRLOCK_HASH_BYTES) != 0)
		problem(f, "tree", where, "the file list does not give the recorded tree hash");
	int dfd = airlock_store_version_dir(f->im->store, feed, version, dir, sizeof dir, &e) ==
	    AIRLOCK_OK ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (dfd < 0) {
		problem(f, "tree", where, "its directory is missing");
	} else {
		for (size_t i = 0; i < airlock_tree_count(t); i++)
			check_file(f, dfd, where, airlock_tree_at(t, i));
		if (count_entries(dfd) != airlock_tree_count(t))
			problem(f, "tree", where, "its directory holds files the catalog does not list");
		close(dfd);
	}
	airlock_tree_free(t);
}

static void check_current(struct fsck *f, const char *feed, uint64_t current)
{
	char p[PATH_MAX], buf[64], want[64];
	struct airlock_err e;
	airlock_err_init(&e);
	if (airlock_path(p, sizeof p, &e, "%s/feeds/%s/current", f->im->home, feed) != AIRLOCK_OK)
		return;
	ssize_t n = readlink(p, buf, sizeof buf - 1);
	snprintf(want, sizeof want, "versions/%llu", (unsigned long long)current);
	if (n < 0 || (size_t)n != strlen(want) || memcmp(buf, want, (size_t)n) != 0)
		problem(f, "current", feed, "current does not point at %s", want);
}

static enum airlock_code check_versions(struct fsck *f, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(f->im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT v.feed, v.version, v.tree, v.version = f.current"
	    " FROM versions v JOIN feeds f ON f.name = v.feed WHERE v.retained = 1"
	    " ORDER BY v.feed, v.version", -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	uint64_t done = 0;
	enum airlock_code rc = AIRLOCK_OK;
	while (rc == AIRLOCK_OK && sqlite3_step(st) == SQLITE_ROW) {
		char feed[AIRLOCK_FEED_NAME_MAX + 1];
		uint8_t th[AIRLOCK_HASH_BYTES] = { 0 };
		importer_col_text(st, 0, feed, sizeof feed);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) == AIRLOCK_HASH_BYTES)
			memcpy(th, sqlite3_column_blob(st, 2), sizeof th);
		check_version(f, feed, v, th);
		if (sqlite3_column_int(st, 3))
			check_current(f, feed, v);
		rc = airlock_progress_step(f->progress, "trees", ++done, 0, err);
	}
	sqlite3_finalize(st);
	return rc;
}

static enum airlock_code check_referenced(struct fsck *f, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(f->im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT hash FROM files WHERE type = 0", -1, &st,
	    NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		char hex[AIRLOCK_HASH_HEX_LEN + 1];
		if (sqlite3_column_bytes(st, 0) != AIRLOCK_HASH_BYTES)
			continue;
		const uint8_t *h = sqlite3_column_blob(st, 0);
		if (!airlock_objstore_has(airlock_store_objects(f->im->store), h)) {
			airlock_hash_to_hex(hex, h);
			problem(f, "object", hex, "an object a retained version needs is missing");
		}
	}
	sqlite3_finalize(st);
	return AIRLOCK_OK;
}

static void audit_fsck(struct fsck *f)
{
	char detail[128];
	struct airlock_err e;
	airlock_err_init(&e);
	snprintf(detail, sizeof detail, "%llu objects, %zu problems",
	    (unsigned long long)f->objects, f->n);
	struct airlock_audit_event ev = { .event = "fsck", .result = f->n ? "verify" : "ok",
	    .detail = detail };
	(void)airlock_audit_append(airlock_store_db(f->im->store), &ev, &e);
}

enum airlock_code airlock_importer_fsck(struct airlock_importer *im,
    const struct airlock_progress *progress, struct airlock_fsck_problem **out, size_t *n,
    struct airlock_err *err)
{
	struct fsck f = { .im = im, .progress = progress };
	*out = NULL;
	*n = 0;
	if (airlock_objstore_each(airlock_store_objects(im->store), check_object, &f, err) != AIRLOCK_OK ||
	    check_referenced(&f, err) != AIRLOCK_OK || check_versions(&f, err) != AIRLOCK_OK) {
		free(f.v);
		return err->code;
	}
	if (f.nomem) {
		free(f.v);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory listing fsck problems");
	}
	audit_fsck(&f);
	*out = f.v;
	*n = f.n;
	if (f.n > 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY, "fsck found %zu problem%s", f.n,
		    f.n == 1 ? "" : "s");
	return AIRLOCK_OK;
}
