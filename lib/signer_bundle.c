/* signer_bundle.c - choosing a bundle's base, making the bundle, and the
 * log of bundles issued. */
#include "signer_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/bundle.h"

static enum airlock_code check_sites(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, struct airlock_err *err)
{
	uint8_t pk[32];
	if (req->nsites == 0 || req->nsites > AIRLOCK_SIGNER_SITES_MAX) {
		airlock_fail(err, AIRLOCK_E_USAGE, "a bundle needs 1 to %d sites, not %zu",
		    AIRLOCK_SIGNER_SITES_MAX, req->nsites);
		airlock_hint(err, "name the receiving sites with --to SITE[,SITE...]");
		return err->code;
	}
	for (size_t i = 0; i < req->nsites; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(req->sites[i], req->sites[j]) == 0) {
				airlock_fail(err, AIRLOCK_E_USAGE, "site '%s' is named twice", req->sites[i]);
				airlock_hint(err, "name each site once in --to");
				return err->code;
			}
		if (signer_site_recipient(s, req->sites[i], pk, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

/* The version a site holds of a feed: 0 when none. */
static enum airlock_code site_holds(struct airlock_signer *s, const char *site, int64_t feed_id,
    uint64_t *version, struct airlock_err *err)
{
	sqlite3_stmt *st;
	*version = 0;
	if (signer_prepare(s, "SELECT version FROM holdings WHERE site = ? AND feed_id = ?", &st, err)
	    != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, feed_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

static void describe_holding(char *out, size_t len, const char *site, uint64_t v)
{
	if (v == 0)
		snprintf(out, len, "'%s' holds none", site);
	else
		snprintf(out, len, "'%s' holds version %llu", site, (unsigned long long)v);
}

/* The base every named site agrees on; refuses when they differ. */
static enum airlock_code common_base(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, int64_t feed_id, uint64_t *base,
    struct airlock_err *err)
{
	char a[160], b[160];
	uint64_t first = 0, v = 0;
	for (size_t i = 0; i < req->nsites; i++) {
		if (site_holds(s, req->sites[i], feed_id, &v, err) != AIRLOCK_OK)
			return err->code;
		if (i == 0) {
			first = v;
			continue;
		}
		if (v == first)
			continue;
		describe_holding(a, sizeof a, req->sites[0], first);
		describe_holding(b, sizeof b, req->sites[i], v);
		airlock_fail(err, AIRLOCK_E_FAILED, "the sites hold different versions of feed '%s': "
		    "%s, %s", req->feed, a, b);
		airlock_hint(err, "bundle for them separately, or choose a base all of them hold "
		    "with --from N (or --full)");
		return err->code;
	}
	*base = first;
	return AIRLOCK_OK;
}

static enum airlock_code check_base(struct airlock_signer *s, const char *feed, int64_t feed_id,
    uint64_t base, uint64_t target, struct airlock_err *err)
{
	struct airlock_signer_version v;
	uint64_t oldest;
	int found;
	if (signer_version_get(s, feed_id, base, &v, &found, err) != AIRLOCK_OK)
		return err->code;
	if (!found || base > target) {
		airlock_fail(err, AIRLOCK_E_USAGE, "feed '%s' has no version %llu (the latest is %llu)",
		    feed, (unsigned long long)base, (unsigned long long)target);
		airlock_hint(err, "choose an existing version with --from, or use --full");
		return err->code;
	}
	if (base == target) {
		airlock_fail(err, AIRLOCK_E_FAILED, "the base is version %llu of feed '%s', the latest: "
		    "nothing to send", (unsigned long long)base, feed);
		airlock_hint(err, "snapshot a new version first, or send everything again with --full");
		return err->code;
	}
	if (v.retained)
		return AIRLOCK_OK;
	if (signer_oldest_retained(s, feed_id, &oldest, err) != AIRLOCK_OK)
		return err->code;
	airlock_fail(err, AIRLOCK_E_FAILED, "base version %llu of feed '%s' is no longer retained "
	    "(the oldest retained version is %llu)", (unsigned long long)base, feed,
	    (unsigned long long)oldest);
	airlock_hint(err, "send a full bundle with --full, or use --from %llu if the sites hold "
	    "that version", (unsigned long long)oldest);
	return err->code;
}

enum airlock_code airlock_signer_bundle_resolve(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, int *has_base, uint64_t *base,
    uint64_t *target, struct airlock_err *err)
{
	struct airlock_signer_version latest;
	int64_t feed_id;
	int found;
	uint64_t b = 0;
	if (req->full && req->has_from)
		return airlock_fail(err, AIRLOCK_E_USAGE, "--full and --from exclude each other");
	if (signer_feed_require(s, req->feed, &feed_id, err) != AIRLOCK_OK ||
	    check_sites(s, req, err) != AIRLOCK_OK ||
	    signer_version_latest(s, feed_id, &latest, &found, err) != AIRLOCK_OK)
		return err->code;
	if (!found)
		return airlock_fail(err, AIRLOCK_E_FAILED, "feed '%s' has no version", req->feed);
	if (req->has_from)
		b = req->from;
	else if (!req->full && common_base(s, req, feed_id, &b, err) != AIRLOCK_OK)
		return err->code;
	if (b != 0 && check_base(s, req->feed, feed_id, b, latest.version, err) != AIRLOCK_OK)
		return err->code;
	*has_base = b != 0;
	*base = b;
	*target = latest.version;
	return AIRLOCK_OK;
}

/* ---- making the bundle ---- */

struct job {
	const struct airlock_signer_bundle_req *req;
	int64_t feed_id;
	int has_base;
	uint64_t base, target;
	struct airlock_minisign_secret *key;
	uint8_t (*recipients)[32];
	struct airlock_tree *base_tree, *target_tree;
	uint64_t sequence;
	int64_t created, expires;
	struct airlock_bundle_result res;
};

static enum airlock_code check_output(const char *output, struct airlock_err *err)
{
	struct stat st;
	if (output == NULL || output[0] == '\0') {
		airlock_fail(err, AIRLOCK_E_USAGE, "no output file");
		airlock_hint(err, "name the bundle file with -o FILE");
		return err->code;
	}
	if (lstat(output, &st) == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "'%s' exists already", output);
		airlock_hint(err, "a bundle is never overwritten: choose another name or remove the file");
		return err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code load_key(struct airlock_signer *s, const char *passphrase,
    struct airlock_minisign_secret **key, struct airlock_err *err)
{
	char sec[AIRLOCK_SIGNER_PATH_MAX], pub[AIRLOCK_SIGNER_PATH_MAX];
	struct stat st;
	if (signer_key_paths(s, sec, pub, sizeof sec, err) != AIRLOCK_OK)
		return err->code;
	if (lstat(sec, &st) != 0 && errno == ENOENT) {
		airlock_fail(err, AIRLOCK_E_FAILED, "this signer has no signing key");
		airlock_hint(err, "make one with 'airlock-signer keygen'");
		return err->code;
	}
	return airlock_minisign_secret_read_file(key, sec, passphrase, err);
}

static enum airlock_code load_inputs(struct airlock_signer *s, struct job *j,
    struct airlock_err *err)
{
	j->recipients = calloc(j->req->nsites, sizeof *j->recipients);
	if (j->recipients == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < j->req->nsites; i++)
		if (signer_site_recipient(s, j->req->sites[i], j->recipients[i], err) != AIRLOCK_OK)
			return err->code;
	if (j->has_base && signer_tree_load(s, j->feed_id, j->base, &j->base_tree, err) != AIRLOCK_OK)
		return err->code;
	return signer_tree_load(s, j->feed_id, j->target, &j->target_tree, err);
}

static enum airlock_code next_sequence(struct airlock_signer *s, struct job *j,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "SELECT coalesce(max(sequence), 0) FROM bundles WHERE feed_id = ?",
	    &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, j->feed_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j->sequence = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	else
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code make_bundle(struct airlock_signer *s, struct job *j,
    const struct airlock_progress *progress, struct airlock_err *err)
{
	struct airlock_bundle_params p = {
		.feed = j->req->feed, .sequence = j->sequence,
		.created = j->created, .expires = j->expires,
		.base = j->base_tree, .base_version = j->base,
		.target = j->target_tree, .target_version = j->target,
		.os = s->os, .key = j->key,
		.recipients = (const uint8_t (*)[32])j->recipients, .nrecipients = j->req->nsites,
		.output = j->req->output, .plan = NULL, .progress = progress,
	};
	return airlock_bundle_create(&p, &j->res, err);
}

static char *join_sites(const struct airlock_signer_bundle_req *req)
{
	size_t len = 1, at = 0;
	for (size_t i = 0; i < req->nsites; i++)
		len += strlen(req->sites[i]) + 1;
	char *out = malloc(len);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < req->nsites; i++) {
		size_t n = strlen(req->sites[i]);
		if (i > 0)
			out[at++] = ',';
		memcpy(out + at, req->sites[i], n);
		at += n;
	}
	out[at] = '\0';
	return out;
}

/* Fills info from the job (the caller releases it). */
static enum airlock_code fill_info(const struct job *j, struct airlock_signer_bundle_info *info,
    struct airlock_err *err)
{
	char *abs = realpath(j->req->output, NULL);
	memset(info, 0, sizeof *info);
	sodium_bin2hex(info->id, sizeof info->id, j->res.bundle_id, sizeof j->res.bundle_id);
	snprintf(info->feed, sizeof info->feed, "%s", j->req->feed);
	info->sequence = j->sequence;
	info->has_base = j->has_base;
	info->base = j->base;
	info->target = j->target;
	airlock_tree_hash(j->target_tree, info->target_tree);
	info->created = j->created;
	info->expires = j->expires;
	info->size = j->res.total_bytes;
	info->sites = join_sites(j->req);
	info->path = abs != NULL ? abs : strdup(j->req->output);
	if (info->sites == NULL || info->path == NULL) {
		airlock_signer_bundle_info_release(info);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	return AIRLOCK_OK;
}

static enum airlock_code insert_bundle(struct airlock_signer *s, const struct job *j,
    const struct airlock_signer_bundle_info *info, struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "INSERT INTO bundles(id, feed_id, sequence, base, target, sites,"
	    " created, expires, size, path) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, err)
	    != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->feed_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)j->sequence);
	if (j->has_base)
		sqlite3_bind_int64(st, 4, (sqlite3_int64)j->base);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)j->target);
	sqlite3_bind_text(st, 6, info->sites, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, j->created);
	sqlite3_bind_int64(st, 8, j->expires);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)info->size);
	sqlite3_bind_text(st, 10, info->path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		signer_db_fail(s, "record the bundle", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code mark_sites(struct airlock_signer *s, const struct job *j,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "INSERT OR REPLACE INTO holdings(site, feed_id, version, since)"
	    " VALUES(?, ?, ?, ?)", &st, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < j->req->nsites; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, j->req->sites[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, j->feed_id);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)j->target);
		sqlite3_bind_int64(st, 4, j->created);
		if (sqlite3_step(st) != SQLITE_DONE) {
			signer_db_fail(s, "record what the sites hold", err);
			break;
		}
	}
	sqlite3_finalize(st);
	return err->code;
}

/* Holds the write lock from choosing the sequence number to recording the
 * bundle, so two signers on one home never issue the same sequence; the
 * output is removed again if the record cannot be committed. */
static enum airlock_code issue(struct airlock_signer *s, struct job *j,
    const struct airlock_progress *progress, struct airlock_signer_bundle_info *info,
    struct airlock_err *err)
{
	if (signer_begin(s, err) != AIRLOCK_OK)
		return err->code;
	if (next_sequence(s, j, err) == AIRLOCK_OK && make_bundle(s, j, progress, err) == AIRLOCK_OK) {
		if (fill_info(j, info, err) == AIRLOCK_OK &&
		    insert_bundle(s, j, info, err) == AIRLOCK_OK &&
		    mark_sites(s, j, err) == AIRLOCK_OK)
			signer_commit(s, err);
		if (err->code != AIRLOCK_OK) {
			unlink(j->req->output);
			airlock_signer_bundle_info_release(info);
		}
	}
	signer_rollback(s);
	return err->code;
}

static void job_release(struct job *j)
{
	airlock_minisign_secret_free(j->key);
	free(j->recipients);
	airlock_tree_free(j->base_tree);
	airlock_tree_free(j->target_tree);
}

enum airlock_code airlock_signer_bundle(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, const struct airlock_progress *progress,
    struct airlock_signer_bundle_info *info, struct airlock_err *err)
{
	struct job j = { .req = req };
	struct airlock_signer_bundle_info local;
	int64_t expires_in = req->expires_in > 0 ? req->expires_in : AIRLOCK_SIGNER_EXPIRES_DEFAULT;
	if (info != NULL)
		memset(info, 0, sizeof *info);   /* safe to release even after a failure */
	if (airlock_signer_bundle_resolve(s, req, &j.has_base, &j.base, &j.target, err) != AIRLOCK_OK ||
	    check_output(req->output, err) != AIRLOCK_OK ||
	    signer_feed_require(s, req->feed, &j.feed_id, err) != AIRLOCK_OK ||
	    load_key(s, req->passphrase, &j.key, err) != AIRLOCK_OK)
		return err->code;
	j.created = (int64_t)time(NULL);
	j.expires = j.created + expires_in;
	if (load_inputs(s, &j, err) == AIRLOCK_OK &&
	    issue(s, &j, progress, info != NULL ? info : &local, err) == AIRLOCK_OK && info == NULL)
		airlock_signer_bundle_info_release(&local);
	job_release(&j);
	return err->code;
}

/* ---- the log ---- */

void airlock_signer_bundle_info_release(struct airlock_signer_bundle_info *b)
{
	if (b == NULL)
		return;
	free(b->sites);
	free(b->path);
	b->sites = NULL;
	b->path = NULL;
}

void airlock_signer_log_free(struct airlock_signer_bundle_info *list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		airlock_signer_bundle_info_release(&list[i]);
	free(list);
}

static int info_from_row(sqlite3_stmt *st, struct airlock_signer_bundle_info *b)
{
	memset(b, 0, sizeof *b);
	snprintf(b->id, sizeof b->id, "%s", sqlite3_column_text(st, 0));
	snprintf(b->feed, sizeof b->feed, "%s", sqlite3_column_text(st, 1));
	b->sequence = (uint64_t)sqlite3_column_int64(st, 2);
	b->has_base = sqlite3_column_type(st, 3) != SQLITE_NULL;
	b->base = (uint64_t)sqlite3_column_int64(st, 3);
	b->target = (uint64_t)sqlite3_column_int64(st, 4);
	if (sqlite3_column_bytes(st, 5) == AIRLOCK_HASH_BYTES)
		memcpy(b->target_tree, sqlite3_column_blob(st, 5), AIRLOCK_HASH_BYTES);
	b->sites = strdup((const char *)sqlite3_column_text(st, 6));
	b->created = sqlite3_column_int64(st, 7);
	b->expires = sqlite3_column_int64(st, 8);
	b->size = (uint64_t)sqlite3_column_int64(st, 9);
	b->path = strdup((const char *)sqlite3_column_text(st, 10));
	return b->sites != NULL && b->path != NULL ? 0 : -1;
}

enum airlock_code airlock_signer_log(struct airlock_signer *s, const char *feed,
    struct airlock_signer_bundle_info **out, size_t *n, struct airlock_err *err)
{
	sqlite3_stmt *st;
	int rc;
	*out = NULL;
	*n = 0;
	if (signer_prepare(s, "SELECT b.id, f.name, b.sequence, b.base, b.target, v.tree, b.sites,"
	    " b.created, b.expires, b.size, b.path FROM bundles b JOIN feeds f ON f.id = b.feed_id"
	    " LEFT JOIN versions v ON v.feed_id = b.feed_id AND v.version = b.target"
	    " WHERE ?1 IS NULL OR f.name = ?1 ORDER BY b.rowid", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct airlock_signer_bundle_info *grown = realloc(*out, (*n + 1) * sizeof *grown);
		if (grown == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
		*out = grown;
		if (info_from_row(st, &grown[(*n)++]) != 0) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the log", err);
	sqlite3_finalize(st);
	if (err->code != AIRLOCK_OK) {
		airlock_signer_log_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err->code;
}
