/* importer_maint.c - rollback, prune and fsck of the importer's store. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

static enum airlock_code db_err(struct airlock_importer *im, struct airlock_err *err)
{
	return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s",
	    sqlite3_errmsg(airlock_store_db(im->store)));
}

/* The retained version to roll back to: the given one, or the newest one
 * below current. 0 if none. */
static uint64_t pick_rollback(struct airlock_importer *im, const char *feed, uint64_t want,
    uint64_t current)
{
	sqlite3_stmt *st = NULL;
	uint64_t v = 0;
	const char *sql = want ? "SELECT version FROM versions WHERE feed = ?1 AND version = ?2"
	    " AND retained = 1" : "SELECT max(version) FROM versions WHERE feed = ?1 AND"
	    " version < ?3 AND retained = 1";
	if (sqlite3_prepare_v2(airlock_store_db(im->store), sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)want);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)current);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static enum airlock_code set_current(struct airlock_importer *im, const char *feed, uint64_t v,
    uint64_t from, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	char fv[24], tv[24];
	if (airlock_store_begin(im->store, err) != AIRLOCK_OK)
		return err->code;
	if (sqlite3_prepare_v2(airlock_store_db(im->store), "UPDATE feeds SET current = ? WHERE"
	    " name = ?", -1, &st, NULL) != SQLITE_OK) {
		airlock_store_rollback(im->store);
		return db_err(im, err);
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
	sqlite3_bind_text(st, 2, feed, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	snprintf(fv, sizeof fv, "%llu", (unsigned long long)from);
	snprintf(tv, sizeof tv, "%llu", (unsigned long long)v);
	struct airlock_audit_event ev = { .event = "rollback", .feed = feed, .from_version = fv,
	    .to_version = tv, .result = "ok" };
	if (rc != SQLITE_DONE) {
		db_err(im, err);
	} else if (airlock_audit_append(airlock_store_db(im->store), &ev, err) == AIRLOCK_OK &&
	    airlock_store_commit(im->store, err) == AIRLOCK_OK) {
		return airlock_store_publish(im->store, feed, v, err);
	}
	airlock_store_rollback(im->store);
	return err->code;
}

static enum airlock_code rollback_locked(struct airlock_importer *im, const char *feed,
    uint64_t version, uint64_t *published, struct airlock_err *err)
{
	struct airlock_store_feed f;
	if (airlock_feed_name_check(feed) != 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "bad feed name");
	if (airlock_store_feed_get(im->store, feed, &f, err) != AIRLOCK_OK)
		return err->code;
	if (!f.exists)
		return airlock_fail(err, AIRLOCK_E_FAILED, "the store holds no version of feed '%s'", feed);
	if (version != 0 && version == f.current)
		return airlock_fail(err, AIRLOCK_E_FAILED, "version %llu of '%s' is already published",
		    (unsigned long long)version, feed);
	uint64_t v = pick_rollback(im, feed, version, f.current);
	if (v == 0) {
		if (version)
			airlock_fail(err, AIRLOCK_E_FAILED, "version %llu of '%s' is not retained",
			    (unsigned long long)version, feed);
		else
			airlock_fail(err, AIRLOCK_E_FAILED, "no retained version of '%s' older than %llu",
			    feed, (unsigned long long)f.current);
		airlock_hint(err, "see 'airlock-importer history %s'", feed);
		return err->code;
	}
	if (set_current(im, feed, v, f.current, err) != AIRLOCK_OK)
		return err->code;
	if (published != NULL)
		*published = v;
	return AIRLOCK_OK;
}

/* ---- prune ---- */

struct vref {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t version;
};

/* Retained versions beyond the keep newest non-published ones, per feed. */
static enum airlock_code prune_candidates(struct airlock_importer *im, unsigned keep,
    struct vref **out, size_t *n, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(airlock_store_db(im->store), "SELECT v.feed, v.version FROM versions v"
	    " JOIN feeds f ON f.name = v.feed WHERE v.retained = 1 AND v.version <> f.current AND"
	    " (SELECT count(*) FROM versions w WHERE w.feed = v.feed AND w.retained = 1 AND"
	    " w.version <> f.current AND w.version > v.version) >= ?", -1, &st, NULL) != SQLITE_OK)
		return db_err(im, err);
	sqlite3_bind_int64(st, 1, keep);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			struct vref *p = realloc(*out, cap * sizeof *p);
			if (p == NULL) {
				sqlite3_finalize(st);
				return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			}
			*out = p;
		}
		importer_col_text(st, 0, (*out)[*n].feed, sizeof (*out)[*n].feed);
		(*out)[(*n)++].version = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return AIRLOCK_OK;
}

static enum airlock_code unretain(struct airlock_importer *im, const struct vref *v,
    struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	const char *sql[] = { "UPDATE versions SET retained = 0 WHERE feed = ? AND version = ?",
	    "DELETE FROM files WHERE feed = ? AND version = ?" };
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return db_err(im, err);
		sqlite3_bind_text(st, 1, v->feed, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)v->version);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(im, err);
	}
	return AIRLOCK_OK;
}

struct orphan_walk {
	struct airlock_importer *im;
	sqlite3_stmt *st;
	uint64_t removed;
};

static enum airlock_code drop_orphan(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	struct orphan_walk *w = ctx;
	sqlite3_reset(w->st);
	sqlite3_bind_blob(w->st, 1, hash, AIRLOCK_HASH_BYTES, SQLITE_STATIC);
	int rc = sqlite3_step(w->st);
	if (rc == SQLITE_ROW)
		return AIRLOCK_OK;
	if (rc != SQLITE_DONE)
		return db_err(w->im, err);
	w->removed++;
	return airlock_objstore_remove(airlock_store_objects(w->im->store), hash, err);
}

static enum airlock_code drop_orphans(struct airlock_importer *im, uint64_t *removed,
    struct airlock_err *err)
{
	struct orphan_walk w = { .im = im };
	if (sqlite3_prepare_v2(airlock_store_db(im->store), "SELECT 1 FROM files WHERE hash = ?"
	    " AND type = 0 LIMIT 1", -1, &w.st, NULL) != SQLITE_OK)
		return db_err(im, err);
	enum airlock_code rc = airlock_objstore_each(airlock_store_objects(im->store), drop_orphan,
	    &w, err);
	sqlite3_finalize(w.st);
	*removed = w.removed;
	return rc;
}

static enum airlock_code prune_versions(struct airlock_importer *im, struct vref *v, size_t n,
    struct airlock_err *err)
{
	char dir[PATH_MAX];
	if (n == 0)
		return AIRLOCK_OK;
	if (airlock_store_begin(im->store, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < n; i++) {
		if (unretain(im, &v[i], err) != AIRLOCK_OK) {
			airlock_store_rollback(im->store);
			return err->code;
		}
	}
	if (airlock_store_commit(im->store, err) != AIRLOCK_OK)
		return err->code;
	/* After the commit: a crash here leaves directories the next open removes. */
	for (size_t i = 0; i < n; i++) {
		if (airlock_store_version_dir(im->store, v[i].feed, v[i].version, dir, sizeof dir,
		    err) != AIRLOCK_OK || airlock_remove_tree(dir, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

enum airlock_code importer_prune_trees(struct airlock_importer *im, unsigned keep, uint64_t *nv,
    struct airlock_err *err)
{
	struct vref *v = NULL;
	size_t n = 0;
	enum airlock_code rc = prune_candidates(im, keep, &v, &n, err);
	if (rc == AIRLOCK_OK)
		rc = prune_versions(im, v, n, err);
	free(v);
	*nv = rc == AIRLOCK_OK ? n : 0;
	return rc;
}

static enum airlock_code prune_locked(struct airlock_importer *im, unsigned keep,
    uint64_t *versions_removed, uint64_t *objects_removed, struct airlock_err *err)
{
	uint64_t nv = 0, no = 0;
	char detail[96];
	if (importer_prune_trees(im, keep, &nv, err) != AIRLOCK_OK ||
	    drop_orphans(im, &no, err) != AIRLOCK_OK)
		return err->code;
	snprintf(detail, sizeof detail, "keep %u: %llu versions, %llu objects removed", keep,
	    (unsigned long long)nv, (unsigned long long)no);
	struct airlock_audit_event ev = { .event = "prune", .result = "ok", .detail = detail };
	if (airlock_audit_append(airlock_store_db(im->store), &ev, err) != AIRLOCK_OK)
		return err->code;
	if (versions_removed)
		*versions_removed = nv;
	if (objects_removed)
		*objects_removed = no;
	return AIRLOCK_OK;
}

enum airlock_code airlock_importer_rollback(struct airlock_importer *im, const char *feed,
    uint64_t version, uint64_t *published, struct airlock_err *err)
{
	int lock = importer_lock(im, 0, err);
	if (lock < 0)
		return err->code;
	rollback_locked(im, feed, version, published, err);
	importer_unlock(lock);
	return err->code;
}

enum airlock_code airlock_importer_prune(struct airlock_importer *im, unsigned keep,
    uint64_t *versions_removed, uint64_t *objects_removed, struct airlock_err *err)
{
	int lock = importer_lock(im, 0, err);
	if (lock < 0)
		return err->code;
	prune_locked(im, keep, versions_removed, objects_removed, err);
	importer_unlock(lock);
	return err->code;
}
