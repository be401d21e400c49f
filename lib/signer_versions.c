/* signer_versions.c - snapshots: a scanned tree becomes a feed's next
 * version; file lists in the catalog, contents in the object store. */
#include "signer_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The scan copies into a private staging store first, and only a scan
 * that succeeded moves its objects into the home's store: a refused
 * source (a socket, a file over 4 GiB, a file changing while read) then
 * leaves the home exactly as it was. */
struct staging {
	char dir[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_objstore *os;
};

static enum airlock_code staging_open(struct airlock_signer *s, struct staging *sg,
    struct airlock_err *err)
{
	char tmp[AIRLOCK_SIGNER_PATH_MAX];
	sg->os = NULL;
	sg->dir[0] = '\0';
	if (airlock_path(tmp, sizeof tmp, err, "%s/tmp", s->home) != AIRLOCK_OK ||
	    airlock_mkdir_p(tmp, 0700, err) != AIRLOCK_OK ||
	    airlock_path(sg->dir, sizeof sg->dir, err, "%s/snapshot-XXXXXX", tmp) != AIRLOCK_OK)
		return err->code;
	if (mkdtemp(sg->dir) == NULL) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", sg->dir);
		sg->dir[0] = '\0';
		return err->code;
	}
	if (airlock_objstore_open(&sg->os, sg->dir, err) != AIRLOCK_OK)
		return err->code;
	/* only contents the home lacks are copied; none needs to be durable
	 * here: staging_publish makes the home's copies durable */
	airlock_objstore_set_known(sg->os, s->os);
	airlock_objstore_set_deferred(sg->os, 1);
	return AIRLOCK_OK;
}

static void staging_close(struct staging *sg)
{
	struct airlock_err ignored;
	airlock_err_init(&ignored);
	airlock_objstore_free(sg->os);
	sg->os = NULL;
	if (sg->dir[0] != '\0') {
		airlock_remove_tree(sg->dir, &ignored);
		char *slash = strrchr(sg->dir, '/');
		*slash = '\0';
		rmdir(sg->dir);   /* home/tmp, unless another snapshot uses it */
	}
	sg->dir[0] = '\0';
}

static enum airlock_code staging_publish(struct airlock_signer *s, struct staging *sg,
    const struct airlock_tree *t, const struct airlock_progress *progress,
    struct airlock_err *err)
{
	char path[AIRLOCK_SIGNER_PATH_MAX];
	size_t n = airlock_tree_count(t), moved = 0;
	/* one sync for all new objects, before the catalog records them */
	airlock_objstore_set_deferred(s->os, 1);
	for (size_t i = 0; i < n; i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(t, i);
		if (airlock_progress_step(progress, "store", i, n, err) != AIRLOCK_OK)
			break;
		if (e->type != AIRLOCK_ENTRY_FILE || airlock_objstore_has(s->os, e->hash))
			continue;
		if (!airlock_objstore_has(sg->os, e->hash)) {
			airlock_fail(err, AIRLOCK_E_FAILED, "the contents of '%s' are missing "
			    "from the scan", e->path);
			break;
		}
		if (airlock_objstore_path(sg->os, e->hash, path, sizeof path, err) != AIRLOCK_OK ||
		    airlock_objstore_adopt(s->os, path, e->hash, err) != AIRLOCK_OK)
			break;
		moved++;
	}
	airlock_objstore_set_deferred(s->os, 0);
	if (moved > 0 && err->code == AIRLOCK_OK)
		airlock_objstore_sync(s->os, err);
	return err->code;
}

static enum airlock_code feed_get_or_create(struct airlock_signer *s, const char *feed,
    int64_t *id, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_feed_lookup(s, feed, id, err) != AIRLOCK_OK || *id != 0)
		return err->code;
	if (signer_prepare(s, "INSERT INTO feeds(name, created) VALUES(?, ?)", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		signer_db_fail(s, "record the feed", err);
	else
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code insert_version(struct airlock_signer *s, int64_t feed_id,
    const struct airlock_signer_version *v, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "INSERT INTO versions(feed_id, version, tree, created, files, bytes,"
	    " retained) VALUES(?, ?, ?, ?, ?, ?, 1)", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, feed_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v->version);
	sqlite3_bind_blob(st, 3, v->tree, AIRLOCK_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, v->created);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)v->files);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)v->bytes);
	if (sqlite3_step(st) != SQLITE_DONE)
		signer_db_fail(s, "record the version", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code insert_files(struct airlock_signer *s, int64_t feed_id, uint64_t version,
    const struct airlock_tree *t, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "INSERT INTO files(feed_id, version, path, type, mode, size, hash,"
	    " link_target) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", &st, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < airlock_tree_count(t); i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(t, i);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, feed_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
		sqlite3_bind_text(st, 3, e->path, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, e->type == AIRLOCK_ENTRY_SYMLINK);
		sqlite3_bind_int(st, 5, (int)e->mode);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)e->size);
		sqlite3_bind_blob(st, 7, e->hash, AIRLOCK_HASH_BYTES, SQLITE_STATIC);
		if (e->link_target != NULL)
			sqlite3_bind_text(st, 8, e->link_target, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 8);
		if (sqlite3_step(st) != SQLITE_DONE) {
			signer_db_fail(s, "record the file list", err);
			break;
		}
	}
	sqlite3_finalize(st);
	return err->code;
}

/* In one transaction: move the objects into the store, compare with the
 * latest version, then record. The objects move under the catalog's write
 * lock so a prune running at the same time cannot remove them before the
 * version that references them is recorded. */
static enum airlock_code record_snapshot(struct airlock_signer *s, struct staging *sg,
    const char *feed, const struct airlock_tree *t, const struct airlock_progress *progress,
    struct airlock_signer_version *out, int *created, struct airlock_err *err)
{
	struct airlock_signer_version v = { .created = (int64_t)time(NULL), .retained = 1 };
	struct airlock_signer_version latest;
	int64_t feed_id;
	int found = 0;
	snprintf(v.feed, sizeof v.feed, "%s", feed);
	airlock_tree_hash(t, v.tree);
	v.files = airlock_tree_count(t);
	v.bytes = airlock_tree_total_bytes(t);
	if (signer_begin(s, err) != AIRLOCK_OK)
		return err->code;
	if (staging_publish(s, sg, t, progress, err) == AIRLOCK_OK &&
	    feed_get_or_create(s, feed, &feed_id, err) == AIRLOCK_OK &&
	    signer_version_latest(s, feed_id, &latest, &found, err) == AIRLOCK_OK) {
		if (found && memcmp(latest.tree, v.tree, AIRLOCK_HASH_BYTES) == 0) {
			signer_rollback(s);
			*out = latest;
			*created = 0;
			return AIRLOCK_OK;
		}
		v.version = found ? latest.version + 1 : 1;
		if (insert_version(s, feed_id, &v, err) == AIRLOCK_OK &&
		    insert_files(s, feed_id, v.version, t, err) == AIRLOCK_OK)
			signer_commit(s, err);
	}
	if (err->code != AIRLOCK_OK) {
		signer_rollback(s);
		return err->code;
	}
	*out = v;
	*created = 1;
	return AIRLOCK_OK;
}

static enum airlock_code check_feed_name(const char *feed, struct airlock_err *err)
{
	char shown[AIRLOCK_FEED_NAME_MAX * 4 + 1];
	if (airlock_feed_name_check(feed) == 0)
		return AIRLOCK_OK;
	airlock_escape(shown, sizeof shown, feed, strlen(feed));
	airlock_fail(err, AIRLOCK_E_USAGE, "invalid feed name '%s'", shown);
	airlock_hint(err, "feed names are 1 to 63 characters: lowercase letters, digits, '.', "
	    "'_' and '-', starting with a letter or digit");
	return err->code;
}

enum airlock_code airlock_signer_snapshot(struct airlock_signer *s, const char *feed,
    const char *dir, const struct airlock_progress *progress,
    struct airlock_signer_version *out, int *created, struct airlock_err *err)
{
	struct staging sg = { .os = NULL };
	struct airlock_tree *t = NULL;
	if (check_feed_name(feed, err) != AIRLOCK_OK || staging_open(s, &sg, err) != AIRLOCK_OK) {
		staging_close(&sg);
		return err->code;
	}
	if (airlock_tree_scan(&t, dir, sg.os, progress, err) == AIRLOCK_OK)
		record_snapshot(s, &sg, feed, t, progress, out, created, err);
	staging_close(&sg);
	airlock_tree_free(t);
	return err->code;
}

enum airlock_code airlock_signer_versions(struct airlock_signer *s, const char *feed,
    struct airlock_signer_version **out, size_t *n, struct airlock_err *err)
{
	sqlite3_stmt *st;
	int64_t feed_id;
	int rc;
	*out = NULL;
	*n = 0;
	if (signer_feed_require(s, feed, &feed_id, err) != AIRLOCK_OK ||
	    signer_prepare(s, "SELECT version, tree, created, files, bytes, retained FROM versions"
	    " WHERE feed_id = ? ORDER BY version", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, feed_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct airlock_signer_version *grown = realloc(*out, (*n + 1) * sizeof *grown);
		if (grown == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
		*out = grown;
		signer_version_from_row(st, 0, feed, &grown[(*n)++]);
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	if (err->code != AIRLOCK_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err->code;
}

static void entry_from_row(sqlite3_stmt *st, struct airlock_tree_entry *e)
{
	memset(e, 0, sizeof *e);
	e->path = (char *)sqlite3_column_text(st, 0);
	e->type = sqlite3_column_int(st, 1) ? AIRLOCK_ENTRY_SYMLINK : AIRLOCK_ENTRY_FILE;
	e->mode = (uint32_t)sqlite3_column_int(st, 2);
	e->size = (uint64_t)sqlite3_column_int64(st, 3);
	if (sqlite3_column_bytes(st, 4) == AIRLOCK_HASH_BYTES)
		memcpy(e->hash, sqlite3_column_blob(st, 4), AIRLOCK_HASH_BYTES);
	e->link_target = (char *)sqlite3_column_text(st, 5);
}

enum airlock_code signer_tree_load(struct airlock_signer *s, int64_t feed_id, uint64_t version,
    struct airlock_tree **out, struct airlock_err *err)
{
	sqlite3_stmt *st;
	struct airlock_tree_entry e;
	int rc;
	struct airlock_tree *t = airlock_tree_new();
	if (t == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (signer_prepare(s, "SELECT path, type, mode, size, hash, link_target FROM files"
	    " WHERE feed_id = ? AND version = ? ORDER BY path", &st, err) != AIRLOCK_OK) {
		airlock_tree_free(t);
		return err->code;
	}
	sqlite3_bind_int64(st, 1, feed_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		entry_from_row(st, &e);
		if (airlock_tree_add(t, &e, err) != AIRLOCK_OK)
			break;
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the file list", err);
	sqlite3_finalize(st);
	if (err->code == AIRLOCK_OK)
		airlock_tree_finish(t, err);
	if (err->code != AIRLOCK_OK) {
		airlock_tree_free(t);
		return err->code;
	}
	*out = t;
	return AIRLOCK_OK;
}
