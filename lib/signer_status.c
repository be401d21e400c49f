/* signer_status.c - what the signer holds, and pruning old versions. */
#include "signer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- object walks ---- */

struct hashset {
	uint8_t (*h)[AIRLOCK_HASH_BYTES];
	size_t n, cap;
};

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, AIRLOCK_HASH_BYTES);
}

static enum airlock_code hashset_add(struct hashset *hs, const uint8_t h[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 256;
		void *grown = realloc(hs->h, cap * sizeof *hs->h);
		if (grown == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
		hs->h = grown;
		hs->cap = cap;
	}
	memcpy(hs->h[hs->n++], h, AIRLOCK_HASH_BYTES);
	return AIRLOCK_OK;
}

static enum airlock_code collect_object(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	return hashset_add(ctx, hash, err);
}

static uint64_t object_size(const struct airlock_signer *s, const uint8_t h[AIRLOCK_HASH_BYTES])
{
	char path[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_err ignored;
	struct stat st;
	airlock_err_init(&ignored);
	if (airlock_objstore_path(s->os, h, path, sizeof path, &ignored) != AIRLOCK_OK ||
	    stat(path, &st) != 0)
		return 0;
	return (uint64_t)st.st_size;
}

/* Every content hash some retained version references, sorted. */
static enum airlock_code referenced(struct airlock_signer *s, struct hashset *hs,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	int rc;
	if (signer_prepare(s, "SELECT DISTINCT hash FROM files WHERE type = 0", &st, err) != AIRLOCK_OK)
		return err->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == AIRLOCK_HASH_BYTES &&
		    hashset_add(hs, sqlite3_column_blob(st, 0), err) != AIRLOCK_OK)
			break;
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the file lists", err);
	sqlite3_finalize(st);
	qsort(hs->h, hs->n, sizeof *hs->h, hash_cmp);
	return err->code;
}

/* ---- status ---- */

static enum airlock_code key_status(struct airlock_signer *s, struct airlock_signer_status *out,
    struct airlock_err *err)
{
	struct airlock_minisign_pub pub;
	int state = airlock_signer_key_state(s, &out->key_encrypted, err);
	if (state < 0)
		return err->code;
	out->has_key = state;
	if (state == 1 && airlock_signer_public_key(s, &pub, err) == AIRLOCK_OK)
		airlock_minisign_key_id_format(out->key_id, pub.key_id);
	return err->code;
}

static enum airlock_code feed_status(struct airlock_signer *s, int64_t feed_id,
    struct airlock_signer_feed_status *f, struct airlock_err *err)
{
	sqlite3_stmt *st;
	int found;
	if (signer_version_latest(s, feed_id, &f->latest, &found, err) != AIRLOCK_OK ||
	    signer_oldest_retained(s, feed_id, &f->oldest_retained, err) != AIRLOCK_OK ||
	    signer_prepare(s, "SELECT (SELECT count(*) FROM versions WHERE feed_id = ?1),"
	    " (SELECT count(*) FROM versions WHERE feed_id = ?1 AND retained = 1),"
	    " (SELECT coalesce(max(sequence), 0) FROM bundles WHERE feed_id = ?1)", &st, err)
	    != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, feed_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		f->versions = (uint64_t)sqlite3_column_int64(st, 0);
		f->retained = (uint64_t)sqlite3_column_int64(st, 1);
		f->last_sequence = (uint64_t)sqlite3_column_int64(st, 2);
	} else {
		signer_db_fail(s, "read the catalog", err);
	}
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code feeds_status(struct airlock_signer *s, struct airlock_signer_status *out,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	int rc;
	if (signer_prepare(s, "SELECT id, name FROM feeds ORDER BY name", &st, err) != AIRLOCK_OK)
		return err->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct airlock_signer_feed_status *grown =
		    realloc(out->feeds, (out->nfeeds + 1) * sizeof *grown);
		if (grown == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
		out->feeds = grown;
		struct airlock_signer_feed_status *f = &grown[out->nfeeds++];
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", sqlite3_column_text(st, 1));
		if (feed_status(s, sqlite3_column_int64(st, 0), f, err) != AIRLOCK_OK)
			break;
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code store_status(struct airlock_signer *s, struct airlock_signer_status *out,
    struct airlock_err *err)
{
	struct hashset all = { NULL, 0, 0 };
	sqlite3_stmt *st;
	if (airlock_objstore_each(s->os, collect_object, &all, err) == AIRLOCK_OK) {
		out->objects = all.n;
		for (size_t i = 0; i < all.n; i++)
			out->object_bytes += object_size(s, all.h[i]);
	}
	free(all.h);
	if (err->code != AIRLOCK_OK ||
	    signer_prepare(s, "SELECT count(*) FROM bundles", &st, err) != AIRLOCK_OK)
		return err->code;
	if (sqlite3_step(st) == SQLITE_ROW)
		out->bundles = (uint64_t)sqlite3_column_int64(st, 0);
	else
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

enum airlock_code airlock_signer_status(struct airlock_signer *s,
    struct airlock_signer_status *out, struct airlock_err *err)
{
	memset(out, 0, sizeof *out);
	if (key_status(s, out, err) == AIRLOCK_OK && feeds_status(s, out, err) == AIRLOCK_OK &&
	    airlock_signer_site_list(s, &out->sites, err) == AIRLOCK_OK)
		store_status(s, out, err);
	if (err->code != AIRLOCK_OK)
		airlock_signer_status_release(out);
	return err->code;
}

void airlock_signer_status_release(struct airlock_signer_status *st)
{
	if (st == NULL)
		return;
	free(st->feeds);
	st->feeds = NULL;
	st->nfeeds = 0;
	airlock_signer_site_list_release(&st->sites);
}

/* ---- prune ---- */

/* Retained versions ranked newest first within each feed. */
#define RANKED "(SELECT feed_id, version, row_number() OVER" \
	" (PARTITION BY feed_id ORDER BY version DESC) AS rk FROM versions WHERE retained = 1)"
#define HELD "EXISTS (SELECT 1 FROM holdings h WHERE h.feed_id = r.feed_id" \
	" AND h.version = r.version)"

static enum airlock_code count_query(struct airlock_signer *s, const char *sql, uint64_t keep,
    uint64_t *out, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, sql, &st, err) != AIRLOCK_OK)
		return err->code;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)keep);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	else
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code prune_catalog(struct airlock_signer *s, uint64_t keep,
    struct airlock_signer_prune_result *out, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_begin(s, err) != AIRLOCK_OK)
		return err->code;
	if (count_query(s, "SELECT count(*) FROM " RANKED " r WHERE r.rk > ?1 AND " HELD,
	    keep, &out->held_kept, err) == AIRLOCK_OK &&
	    signer_prepare(s, "UPDATE versions SET retained = 0 WHERE (feed_id, version) IN"
	    " (SELECT r.feed_id, r.version FROM " RANKED " r WHERE r.rk > ?1 AND NOT " HELD ")",
	    &st, err) == AIRLOCK_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)keep);
		if (sqlite3_step(st) != SQLITE_DONE)
			signer_db_fail(s, "prune the catalog", err);
		else
			out->versions_pruned = (uint64_t)sqlite3_changes(s->db);
		sqlite3_finalize(st);
	}
	if (err->code == AIRLOCK_OK &&
	    signer_exec(s, "DELETE FROM files WHERE (feed_id, version) IN"
	    " (SELECT feed_id, version FROM versions WHERE retained = 0)", err) == AIRLOCK_OK &&
	    count_query(s, "SELECT count(*) FROM versions WHERE retained = 1", 0,
	    &out->versions_kept, err) == AIRLOCK_OK)
		signer_commit(s, err);
	signer_rollback(s);
	return err->code;
}

/* Removes every object no retained version references, under the write
 * lock so no snapshot adds a reference meanwhile. */
static enum airlock_code prune_objects(struct airlock_signer *s,
    const struct airlock_progress *progress, struct airlock_signer_prune_result *out,
    struct airlock_err *err)
{
	struct hashset keep = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	if (signer_begin(s, err) != AIRLOCK_OK)
		return err->code;
	if (referenced(s, &keep, err) == AIRLOCK_OK &&
	    airlock_objstore_each(s->os, collect_object, &all, err) == AIRLOCK_OK) {
		for (size_t i = 0; i < all.n; i++) {
			if (airlock_progress_step(progress, "prune", i, all.n, err) != AIRLOCK_OK)
				break;
			if (keep.n > 0 && bsearch(all.h[i], keep.h, keep.n, sizeof *keep.h, hash_cmp))
				continue;
			uint64_t size = object_size(s, all.h[i]);
			if (airlock_objstore_remove(s->os, all.h[i], err) != AIRLOCK_OK)
				break;
			out->objects_removed++;
			out->bytes_freed += size;
		}
	}
	signer_rollback(s);   /* nothing was written: only the lock is released */
	free(keep.h);
	free(all.h);
	return err->code;
}

enum airlock_code airlock_signer_prune(struct airlock_signer *s, uint64_t keep,
    const struct airlock_progress *progress, struct airlock_signer_prune_result *out,
    struct airlock_err *err)
{
	memset(out, 0, sizeof *out);
	if (keep < 1 || keep > INT64_MAX) {
		airlock_fail(err, AIRLOCK_E_USAGE, "--keep must be at least 1");
		airlock_hint(err, "the latest version of each feed is always kept");
		return err->code;
	}
	if (prune_catalog(s, keep, out, err) != AIRLOCK_OK)
		return err->code;
	return prune_objects(s, progress, out, err);
}
