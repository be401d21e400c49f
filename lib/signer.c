/* signer.c - the signer's home: catalog schema, opening, catalog helpers
 * and the signing key. */
#include "signer_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Version 1 of the catalog. Versions keep their number and tree hash after
 * a prune (receipts and the log refer to them); only their file list goes. */
static const char schema[] =
	"PRAGMA user_version = 1;"
	"CREATE TABLE feeds(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE versions(feed_id INTEGER NOT NULL REFERENCES feeds(id),"
	" version INTEGER NOT NULL, tree BLOB NOT NULL, created INTEGER NOT NULL,"
	" files INTEGER NOT NULL, bytes INTEGER NOT NULL, retained INTEGER NOT NULL,"
	" PRIMARY KEY(feed_id, version));"
	"CREATE TABLE files(feed_id INTEGER NOT NULL, version INTEGER NOT NULL,"
	" path TEXT NOT NULL, type INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" size INTEGER NOT NULL, hash BLOB NOT NULL, link_target TEXT,"
	" PRIMARY KEY(feed_id, version, path),"
	" FOREIGN KEY(feed_id, version) REFERENCES versions(feed_id, version)) WITHOUT ROWID;"
	"CREATE TABLE sites(name TEXT PRIMARY KEY, recipient TEXT NOT NULL,"
	" added INTEGER NOT NULL);"
	"CREATE TABLE holdings(site TEXT NOT NULL REFERENCES sites(name) ON DELETE CASCADE,"
	" feed_id INTEGER NOT NULL REFERENCES feeds(id), version INTEGER NOT NULL,"
	" since INTEGER NOT NULL, PRIMARY KEY(site, feed_id));"
	"CREATE TABLE bundles(id TEXT PRIMARY KEY, feed_id INTEGER NOT NULL REFERENCES feeds(id),"
	" sequence INTEGER NOT NULL, base INTEGER, target INTEGER NOT NULL,"
	" sites TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" size INTEGER NOT NULL, path TEXT NOT NULL, UNIQUE(feed_id, sequence));";

enum airlock_code signer_db_fail(struct airlock_signer *s, const char *what,
    struct airlock_err *err)
{
	int code = sqlite3_errcode(s->db);
	airlock_fail(err, AIRLOCK_E_FAILED, "cannot %s: %s", what, sqlite3_errmsg(s->db));
	if (code == SQLITE_FULL)
		airlock_hint(err, "the disk holding '%s' is full: free some space and try again",
		    s->home);
	else if (code == SQLITE_BUSY)
		airlock_hint(err, "another airlock-signer is using this home; try again when it is done");
	return err->code;
}

enum airlock_code signer_exec(struct airlock_signer *s, const char *sql, struct airlock_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return signer_db_fail(s, "update the catalog", err);
	return AIRLOCK_OK;
}

enum airlock_code signer_prepare(struct airlock_signer *s, const char *sql, sqlite3_stmt **st,
    struct airlock_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return signer_db_fail(s, "read the catalog", err);
	return AIRLOCK_OK;
}

enum airlock_code signer_begin(struct airlock_signer *s, struct airlock_err *err)
{
	return signer_exec(s, "BEGIN IMMEDIATE", err);
}

enum airlock_code signer_commit(struct airlock_signer *s, struct airlock_err *err)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		signer_db_fail(s, "commit to the catalog", err);
		signer_rollback(s);
		return err->code;
	}
	return AIRLOCK_OK;
}

void signer_rollback(struct airlock_signer *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

enum airlock_code airlock_signer_default_home(char *out, size_t outlen, struct airlock_err *err)
{
	const char *env = getenv(AIRLOCK_SIGNER_HOME_ENV);
	if (env != NULL && env[0] != '\0')
		return airlock_path(out, outlen, err, "%s", env);
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		airlock_fail(err, AIRLOCK_E_USAGE, "no signer home: neither AIRLOCK_HOME nor HOME is set");
		airlock_hint(err, "give the home with --home DIR");
		return err->code;
	}
	return airlock_path(out, outlen, err, "%s/%s", home, AIRLOCK_SIGNER_HOME_DEFAULT);
}

static enum airlock_code db_configure(struct airlock_signer *s, struct airlock_err *err)
{
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 0);
	return signer_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", err);
}

/* The catalog is built under a temporary name and renamed into place, so
 * an interrupted init leaves no half-made home that open would accept. */
static enum airlock_code create_catalog(struct airlock_signer *s, const char *db,
    struct airlock_err *err)
{
	char tmp[AIRLOCK_SIGNER_PATH_MAX];
	if (airlock_path(tmp, sizeof tmp, err, "%s.tmp", db) != AIRLOCK_OK)
		return err->code;
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		signer_db_fail(s, "create the catalog", err);
	else if (db_configure(s, err) == AIRLOCK_OK && signer_begin(s, err) == AIRLOCK_OK &&
	    signer_exec(s, schema, err) == AIRLOCK_OK)
		signer_commit(s, err);
	sqlite3_close(s->db);
	s->db = NULL;
	if (err->code == AIRLOCK_OK && rename(tmp, db) != 0)
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", db);
	if (err->code != AIRLOCK_OK) {
		unlink(tmp);
		return err->code;
	}
	return airlock_fsync_dir(s->home, err);
}

enum airlock_code airlock_signer_init(const char *home, struct airlock_err *err)
{
	struct airlock_signer s = { .db = NULL, .os = NULL };
	char db[AIRLOCK_SIGNER_PATH_MAX], objects[AIRLOCK_SIGNER_PATH_MAX];
	struct stat st;
	if (airlock_path(s.home, sizeof s.home, err, "%s", home) != AIRLOCK_OK ||
	    airlock_path(db, sizeof db, err, "%s/%s", home, AIRLOCK_SIGNER_DB) != AIRLOCK_OK ||
	    airlock_path(objects, sizeof objects, err, "%s/%s", home, AIRLOCK_SIGNER_OBJECTS) != AIRLOCK_OK)
		return err->code;
	if (lstat(db, &st) == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is already a signer home", home);
		airlock_hint(err, "use it as it is, or choose another directory with --home");
		return err->code;
	}
	if (airlock_mkdir_p(home, 0700, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_objstore_open(&s.os, objects, err) != AIRLOCK_OK)
		return err->code;
	airlock_objstore_free(s.os);
	return create_catalog(&s, db, err);
}

static enum airlock_code open_catalog(struct airlock_signer *s, struct airlock_err *err)
{
	char db[AIRLOCK_SIGNER_PATH_MAX];
	struct stat st;
	if (airlock_path(db, sizeof db, err, "%s/%s", s->home, AIRLOCK_SIGNER_DB) != AIRLOCK_OK)
		return err->code;
	if (stat(db, &st) != 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "'%s' is not a signer home", s->home);
		airlock_hint(err, "run 'airlock-signer init' (with --home %s) first", s->home);
		return err->code;
	}
	if (sqlite3_open_v2(db, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return signer_db_fail(s, "open the catalog", err);
	return db_configure(s, err);
}

enum airlock_code airlock_signer_open(struct airlock_signer **out, const char *home,
    struct airlock_err *err)
{
	char objects[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_signer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (airlock_path(s->home, sizeof s->home, err, "%s", home) == AIRLOCK_OK &&
	    open_catalog(s, err) == AIRLOCK_OK &&
	    airlock_path(objects, sizeof objects, err, "%s/%s", home, AIRLOCK_SIGNER_OBJECTS) == AIRLOCK_OK)
		airlock_objstore_open(&s->os, objects, err);
	if (err->code != AIRLOCK_OK) {
		airlock_signer_close(s);
		return err->code;
	}
	*out = s;
	return AIRLOCK_OK;
}

void airlock_signer_close(struct airlock_signer *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL) {
		signer_rollback(s);
		sqlite3_close(s->db);
	}
	airlock_objstore_free(s->os);
	free(s);
}

const char *airlock_signer_home(const struct airlock_signer *s)
{
	return s->home;
}

/* ---- catalog lookups shared by the other signer files ---- */

enum airlock_code signer_feed_lookup(struct airlock_signer *s, const char *feed, int64_t *id,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	*id = 0;
	if (signer_prepare(s, "SELECT id FROM feeds WHERE name = ?", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

enum airlock_code signer_feed_require(struct airlock_signer *s, const char *feed, int64_t *id,
    struct airlock_err *err)
{
	char shown[AIRLOCK_FEED_NAME_MAX * 4 + 1];
	if (signer_feed_lookup(s, feed, id, err) != AIRLOCK_OK)
		return err->code;
	if (*id != 0)
		return AIRLOCK_OK;
	airlock_escape(shown, sizeof shown, feed, strlen(feed));
	airlock_fail(err, AIRLOCK_E_FAILED, "unknown feed '%s'", shown);
	airlock_hint(err, "make its first version with 'airlock-signer snapshot %s DIR' "
	    "(see 'airlock-signer status' for the feeds)", shown);
	return err->code;
}

void signer_version_from_row(sqlite3_stmt *st, int col, const char *feed,
    struct airlock_signer_version *v)
{
	memset(v, 0, sizeof *v);
	snprintf(v->feed, sizeof v->feed, "%s", feed);
	v->version = (uint64_t)sqlite3_column_int64(st, col);
	if (sqlite3_column_bytes(st, col + 1) == AIRLOCK_HASH_BYTES)
		memcpy(v->tree, sqlite3_column_blob(st, col + 1), AIRLOCK_HASH_BYTES);
	v->created = sqlite3_column_int64(st, col + 2);
	v->files = (uint64_t)sqlite3_column_int64(st, col + 3);
	v->bytes = (uint64_t)sqlite3_column_int64(st, col + 4);
	v->retained = sqlite3_column_int(st, col + 5);
}

static enum airlock_code version_query(struct airlock_signer *s, const char *sql, int64_t feed_id,
    uint64_t version, struct airlock_signer_version *v, int *found, struct airlock_err *err)
{
	sqlite3_stmt *st;
	*found = 0;
	if (signer_prepare(s, sql, &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, feed_id);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		signer_version_from_row(st, 1, (const char *)sqlite3_column_text(st, 0), v);
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		signer_db_fail(s, "read the catalog", err);
	}
	sqlite3_finalize(st);
	return err->code;
}

#define VERSION_COLS "f.name, v.version, v.tree, v.created, v.files, v.bytes, v.retained"

enum airlock_code signer_version_get(struct airlock_signer *s, int64_t feed_id, uint64_t version,
    struct airlock_signer_version *v, int *found, struct airlock_err *err)
{
	return version_query(s, "SELECT " VERSION_COLS " FROM versions v JOIN feeds f ON f.id = v.feed_id"
	    " WHERE v.feed_id = ? AND v.version = ?", feed_id, version, v, found, err);
}

enum airlock_code signer_version_latest(struct airlock_signer *s, int64_t feed_id,
    struct airlock_signer_version *v, int *found, struct airlock_err *err)
{
	return version_query(s, "SELECT " VERSION_COLS " FROM versions v JOIN feeds f ON f.id = v.feed_id"
	    " WHERE v.feed_id = ? ORDER BY v.version DESC LIMIT 1", feed_id, 0, v, found, err);
}

enum airlock_code signer_oldest_retained(struct airlock_signer *s, int64_t feed_id,
    uint64_t *version, struct airlock_err *err)
{
	sqlite3_stmt *st;
	*version = 0;
	if (signer_prepare(s, "SELECT min(version) FROM versions WHERE feed_id = ? AND retained = 1",
	    &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_int64(st, 1, feed_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = (uint64_t)sqlite3_column_int64(st, 0);
	else
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

/* ---- the signing key ---- */

enum airlock_code signer_key_paths(const struct airlock_signer *s, char *sec, char *pub,
    size_t len, struct airlock_err *err)
{
	if (airlock_path(sec, len, err, "%s/%s", s->home, AIRLOCK_SIGNER_KEY) != AIRLOCK_OK)
		return err->code;
	return airlock_path(pub, len, err, "%s/%s", s->home, AIRLOCK_SIGNER_PUB);
}

static enum airlock_code keygen_refuse_existing(const char *sec, const char *pub,
    struct airlock_err *err)
{
	struct stat st;
	const char *found = lstat(sec, &st) == 0 ? sec : lstat(pub, &st) == 0 ? pub : NULL;
	if (found == NULL)
		return AIRLOCK_OK;
	airlock_fail(err, AIRLOCK_E_FAILED, "a signing key exists already: '%s'", found);
	airlock_hint(err, "a key is never overwritten; to replace it, move signer.key and "
	    "signer.pub away first (importers must then trust the new public key)");
	return err->code;
}

enum airlock_code airlock_signer_keygen(struct airlock_signer *s, const char *passphrase,
    enum airlock_kdf_cost cost, struct airlock_minisign_pub *pub, struct airlock_err *err)
{
	char sec_path[AIRLOCK_SIGNER_PATH_MAX], pub_path[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_minisign_secret *sec = NULL;
	struct airlock_minisign_pub p;
	if (signer_key_paths(s, sec_path, pub_path, sizeof sec_path, err) != AIRLOCK_OK ||
	    keygen_refuse_existing(sec_path, pub_path, err) != AIRLOCK_OK ||
	    airlock_minisign_keygen(&sec, &p, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_minisign_secret_write_file(sec, sec_path, passphrase, cost, err) == AIRLOCK_OK &&
	    airlock_minisign_pub_write_file(&p, pub_path, err) != AIRLOCK_OK)
		unlink(sec_path);   /* a secret key without its public half is useless */
	airlock_minisign_secret_free(sec);
	if (err->code == AIRLOCK_OK && airlock_fsync_dir(s->home, err) == AIRLOCK_OK && pub != NULL)
		*pub = p;
	return err->code;
}

int airlock_signer_key_state(const struct airlock_signer *s, int *encrypted,
    struct airlock_err *err)
{
	char sec[AIRLOCK_SIGNER_PATH_MAX], pub[AIRLOCK_SIGNER_PATH_MAX];
	struct stat st;
	if (encrypted != NULL)
		*encrypted = 0;
	if (signer_key_paths(s, sec, pub, sizeof sec, err) != AIRLOCK_OK)
		return -1;
	if (lstat(sec, &st) != 0 && errno == ENOENT)
		return 0;
	int enc = airlock_minisign_secret_file_is_encrypted(sec, err);
	if (enc < 0)
		return -1;
	if (encrypted != NULL)
		*encrypted = enc;
	return 1;
}

enum airlock_code airlock_signer_public_key(const struct airlock_signer *s,
    struct airlock_minisign_pub *pub, struct airlock_err *err)
{
	char sec[AIRLOCK_SIGNER_PATH_MAX], path[AIRLOCK_SIGNER_PATH_MAX];
	struct stat st;
	if (signer_key_paths(s, sec, path, sizeof sec, err) != AIRLOCK_OK)
		return err->code;
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		airlock_fail(err, AIRLOCK_E_FAILED, "this signer has no key yet");
		airlock_hint(err, "make one with 'airlock-signer keygen'");
		return err->code;
	}
	return airlock_minisign_pub_read_file(pub, path, err);
}
