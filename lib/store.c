/* store.c - the importer's catalog and published trees (see store.h). */
#include "airlock/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/audit.h"
#include "airlock/importer.h"
#include "airlock/fault.h"
#include "airlock/io.h"
#include "airlock/names.h"

struct airlock_store {
	char home[PATH_MAX];
	sqlite3 *db;
	struct airlock_objstore *objects;
	int readonly;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS signers(name TEXT PRIMARY KEY, key_id TEXT NOT NULL UNIQUE,"
    " pubkey TEXT NOT NULL, feeds TEXT NOT NULL, added INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS feeds(name TEXT PRIMARY KEY, current INTEGER NOT NULL,"
    " highest INTEGER NOT NULL, last_sequence INTEGER NOT NULL, last_created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS versions(feed TEXT NOT NULL, version INTEGER NOT NULL,"
    " tree BLOB NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    " imported INTEGER NOT NULL, created INTEGER NOT NULL, sequence INTEGER NOT NULL,"
    " bundle_id TEXT NOT NULL, signer_name TEXT NOT NULL, key_id TEXT NOT NULL,"
    " retained INTEGER NOT NULL, PRIMARY KEY(feed, version));"
    "CREATE TABLE IF NOT EXISTS files(feed TEXT NOT NULL, version INTEGER NOT NULL,"
    " path BLOB NOT NULL, type INTEGER NOT NULL, mode INTEGER NOT NULL, size INTEGER NOT NULL,"
    " hash BLOB NOT NULL, target BLOB, PRIMARY KEY(feed, version, path)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS files_hash ON files(hash);"
    "CREATE TABLE IF NOT EXISTS bundles(bundle_id TEXT PRIMARY KEY, feed TEXT NOT NULL,"
    " sequence INTEGER NOT NULL, imported INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS quarantine(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " at INTEGER NOT NULL, source TEXT NOT NULL, file TEXT NOT NULL, code TEXT NOT NULL,"
    " reason TEXT NOT NULL, bundle_id TEXT NOT NULL, feed TEXT NOT NULL, key_id TEXT NOT NULL);";

static enum airlock_code db_fail(struct airlock_store *s, struct airlock_err *err, const char *what)
{
	int ec = sqlite3_errcode(s->db);
	enum airlock_code rc = airlock_fail(err, AIRLOCK_E_FAILED, "catalog: cannot %s: %s", what,
	    sqlite3_errmsg(s->db));
	if (ec == SQLITE_READONLY)
		airlock_hint(err, "the store is read-only; remount it read-write");
	else if (ec == SQLITE_FULL)
		airlock_hint(err, "the disk holding the store is full; free space and retry");
	return rc;
}

static const char *const home_dirs[] = { "objects", "feeds", "spool", "staging", "quarantine" };

static enum airlock_code make_layout(const char *home, struct airlock_err *err)
{
	char p[PATH_MAX];
	if (airlock_mkdir_p(home, 0700, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < sizeof home_dirs / sizeof home_dirs[0]; i++) {
		if (airlock_path(p, sizeof p, err, "%s/%s", home, home_dirs[i]) != AIRLOCK_OK ||
		    airlock_mkdir_p(p, 0755, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code open_db(struct airlock_store *s, struct airlock_err *err)
{
	char p[PATH_MAX];
	if (airlock_path(p, sizeof p, err, "%s/" AIRLOCK_IMPORTER_DB, s->home) != AIRLOCK_OK)
		return err->code;
	int flags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(p, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot open catalog '%s': %s", p,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	sqlite3_busy_timeout(s->db, 10000);
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;", NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_fail(s, err, "configure");
	if (s->readonly)
		return AIRLOCK_OK;
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=DELETE;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, err, "create the schema");
	return airlock_audit_schema(s->db, err);
}

/* Empties a scratch directory (spool, staging): whatever is there belongs
 * to an operation that did not finish. */
static enum airlock_code clear_dir(const char *home, const char *sub, struct airlock_err *err)
{
	char p[PATH_MAX];
	if (airlock_path(p, sizeof p, err, "%s/%s", home, sub) != AIRLOCK_OK ||
	    airlock_remove_tree(p, err) != AIRLOCK_OK)
		return err->code;
	return airlock_mkdir_p(p, 0755, err);
}

static int path_writable(const char *home)
{
	return access(home, W_OK) == 0;
}

static enum airlock_code repair_if_idle(struct airlock_store *s, struct airlock_err *err);
static int store_version_retained(struct airlock_store *s, const char *feed, uint64_t v);
static uint64_t store_current_target(struct airlock_store *s, const char *feed);
#define AIRLOCK_JSON_INT_MAX_STORE ((UINT64_C(1) << 53) - 1)

enum airlock_code airlock_store_open(struct airlock_store **out, const char *home,
    struct airlock_err *err)
{
	*out = NULL;
	struct airlock_store *s = calloc(1, sizeof *s);
	if (s == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory opening the store");
	if (airlock_path(s->home, sizeof s->home, err, "%s", home) != AIRLOCK_OK)
		goto fail;
	struct stat st;
	s->readonly = stat(home, &st) == 0 && !path_writable(home);
	if (!s->readonly && make_layout(home, err) != AIRLOCK_OK)
		goto fail;
	char objs[PATH_MAX];
	if (airlock_path(objs, sizeof objs, err, "%s/objects", home) != AIRLOCK_OK ||
	    open_db(s, err) != AIRLOCK_OK)
		goto fail;
	if (s->readonly) {
		if (stat(objs, &st) != 0) {
			airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is not an importer home", home);
			goto fail;
		}
	}
	if (airlock_objstore_open(&s->objects, objs, err) != AIRLOCK_OK)
		goto fail;
	if (!s->readonly && repair_if_idle(s, err) != AIRLOCK_OK)
		goto fail;
	*out = s;
	return AIRLOCK_OK;
fail:
	airlock_store_close(s);
	return err->code;
}

void airlock_store_close(struct airlock_store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close(s->db);
	airlock_objstore_free(s->objects);
	free(s);
}

sqlite3 *airlock_store_db(struct airlock_store *s)
{
	return s->db;
}

struct airlock_objstore *airlock_store_objects(struct airlock_store *s)
{
	return s->objects;
}

const char *airlock_store_home(const struct airlock_store *s)
{
	return s->home;
}

enum airlock_code airlock_store_begin(struct airlock_store *s, struct airlock_err *err)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, err, "begin a transaction");
	return AIRLOCK_OK;
}

enum airlock_code airlock_store_commit(struct airlock_store *s, struct airlock_err *err)
{
	airlock_fault_point("catalog.commit");
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(s, err, "commit");
		airlock_store_rollback(s);
		return err->code;
	}
	airlock_fault_point("catalog.committed");
	return AIRLOCK_OK;
}

void airlock_store_rollback(struct airlock_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

enum airlock_code airlock_store_feed_get(struct airlock_store *s, const char *feed,
    struct airlock_store_feed *f, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	memset(f, 0, sizeof *f);
	if (sqlite3_prepare_v2(s->db, "SELECT f.current, f.highest, f.last_sequence,"
	    " f.last_created, v.tree FROM feeds f JOIN versions v ON v.feed = f.name AND"
	    " v.version = f.current WHERE f.name = ?", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "read feeds");
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f->exists = 1;
		f->current = (uint64_t)sqlite3_column_int64(st, 0);
		f->highest = (uint64_t)sqlite3_column_int64(st, 1);
		f->last_sequence = (uint64_t)sqlite3_column_int64(st, 2);
		f->last_created = sqlite3_column_int64(st, 3);
		if (sqlite3_column_bytes(st, 4) == AIRLOCK_HASH_BYTES)
			memcpy(f->tree, sqlite3_column_blob(st, 4), AIRLOCK_HASH_BYTES);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "read feeds");
	return AIRLOCK_OK;
}

int airlock_store_bundle_seen(struct airlock_store *s, const char *bundle_id,
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM bundles WHERE bundle_id = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		db_fail(s, err, "read bundles");
		return -1;
	}
	sqlite3_bind_text(st, 1, bundle_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, err, "read bundles");
		return -1;
	}
	return rc == SQLITE_ROW;
}

static enum airlock_code row_to_tree(sqlite3_stmt *st, struct airlock_tree *t,
    struct airlock_err *err)
{
	struct airlock_tree_entry e;
	memset(&e, 0, sizeof e);
	e.path = (char *)sqlite3_column_text(st, 0);
	e.type = sqlite3_column_int(st, 1) == AIRLOCK_ENTRY_SYMLINK ? AIRLOCK_ENTRY_SYMLINK
	    : AIRLOCK_ENTRY_FILE;
	e.mode = (uint32_t)sqlite3_column_int(st, 2);
	e.size = (uint64_t)sqlite3_column_int64(st, 3);
	if (e.path == NULL || sqlite3_column_bytes(st, 4) != AIRLOCK_HASH_BYTES)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: a file row is damaged");
	memcpy(e.hash, sqlite3_column_blob(st, 4), AIRLOCK_HASH_BYTES);
	if (e.type == AIRLOCK_ENTRY_SYMLINK)
		e.link_target = (char *)sqlite3_column_text(st, 5);
	return airlock_tree_add(t, &e, err);
}

enum airlock_code airlock_store_version_tree(struct airlock_store *s, const char *feed,
    uint64_t version, struct airlock_tree **out, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	struct airlock_tree *t = airlock_tree_new();
	*out = NULL;
	if (t == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory loading a version");
	if (sqlite3_prepare_v2(s->db, "SELECT CAST(path AS TEXT), type, mode, size, hash,"
	    " CAST(target AS TEXT) FROM files WHERE feed = ? AND version = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		airlock_tree_free(t);
		return db_fail(s, err, "read files");
	}
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	int rc;
	enum airlock_code ac = AIRLOCK_OK;
	while (ac == AIRLOCK_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ac = row_to_tree(st, t, err);
	if (ac == AIRLOCK_OK && rc != SQLITE_DONE)
		ac = db_fail(s, err, "read files");
	sqlite3_finalize(st);
	if (ac == AIRLOCK_OK)
		ac = airlock_tree_finish(t, err);
	if (ac != AIRLOCK_OK) {
		airlock_tree_free(t);
		return ac;
	}
	*out = t;
	return AIRLOCK_OK;
}

static int store_version_retained(struct airlock_store *s, const char *feed, uint64_t v)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT retained FROM versions WHERE feed = ? AND version = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v);
	int r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return r;
}

/* The version `current` points at, 0 if none or not of the form versions/N. */
static uint64_t store_current_target(struct airlock_store *s, const char *feed)
{
	char p[PATH_MAX], buf[64];
	struct airlock_err e;
	airlock_err_init(&e);
	if (airlock_path(p, sizeof p, &e, "%s/feeds/%s/current", s->home, feed) != AIRLOCK_OK)
		return 0;
	ssize_t n = readlink(p, buf, sizeof buf - 1);
	if (n <= 9)
		return 0;
	buf[n] = '\0';
	uint64_t v;
	if (strncmp(buf, "versions/", 9) != 0 || airlock_parse_u64(buf + 9, UINT64_MAX, &v) != 0)
		return 0;
	return v;
}

enum airlock_code airlock_store_version_dir(const struct airlock_store *s, const char *feed,
    uint64_t version, char *out, size_t outlen, struct airlock_err *err)
{
	return airlock_path(out, outlen, err, "%s/feeds/%s/versions/%llu", s->home, feed,
	    (unsigned long long)version);
}

static enum airlock_code insert_version(struct airlock_store *s, const char *feed,
    uint64_t version, const struct airlock_tree *tree, const struct airlock_store_version_meta *m,
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	uint8_t th[AIRLOCK_HASH_BYTES];
	airlock_tree_hash(tree, th);
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO versions VALUES(?,?,?,?,?,?,?,?,?,?,?,1)",
	    -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "record the version");
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	sqlite3_bind_blob(st, 3, th, sizeof th, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)airlock_tree_count(tree));
	sqlite3_bind_int64(st, 5, (sqlite3_int64)airlock_tree_total_bytes(tree));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 7, m->created);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)m->sequence);
	sqlite3_bind_text(st, 9, m->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->signer_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, m->key_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? AIRLOCK_OK : db_fail(s, err, "record the version");
}

static enum airlock_code insert_files(struct airlock_store *s, const char *feed, uint64_t version,
    const struct airlock_tree *tree, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO files VALUES(?,?,?,?,?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(s, err, "record files");
	enum airlock_code ac = AIRLOCK_OK;
	for (size_t i = 0; ac == AIRLOCK_OK && i < airlock_tree_count(tree); i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(tree, i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
		sqlite3_bind_blob(st, 3, e->path, (int)strlen(e->path), SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)e->type);
		sqlite3_bind_int(st, 5, (int)e->mode);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)e->size);
		sqlite3_bind_blob(st, 7, e->hash, AIRLOCK_HASH_BYTES, SQLITE_STATIC);
		if (e->link_target != NULL)
			sqlite3_bind_blob(st, 8, e->link_target, (int)strlen(e->link_target), SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 8);
		if (sqlite3_step(st) != SQLITE_DONE)
			ac = db_fail(s, err, "record files");
	}
	sqlite3_finalize(st);
	return ac;
}

static enum airlock_code exec_bound(struct airlock_store *s, const char *sql, const char *feed,
    uint64_t version, const struct airlock_store_version_meta *m, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "update the feed");
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)m->sequence);
	sqlite3_bind_int64(st, 4, m->created);
	sqlite3_bind_text(st, 5, m->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? AIRLOCK_OK : db_fail(s, err, "update the feed");
}

enum airlock_code airlock_store_version_add(struct airlock_store *s, const char *feed,
    uint64_t version, const struct airlock_tree *tree, const struct airlock_store_version_meta *m,
    struct airlock_err *err)
{
	if (insert_version(s, feed, version, tree, m, err) != AIRLOCK_OK ||
	    insert_files(s, feed, version, tree, err) != AIRLOCK_OK)
		return err->code;
	if (exec_bound(s, "INSERT INTO feeds VALUES(?1, ?2, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE"
	    " SET current = ?2, highest = max(highest, ?2), last_sequence = max(last_sequence, ?3),"
	    " last_created = max(last_created, ?4)", feed, version, m, err) != AIRLOCK_OK)
		return err->code;
	return exec_bound(s, "INSERT INTO bundles VALUES(?5, ?1, ?3, ?6)", feed, version, m, err);
}

/* Versions on disk that the catalog does not list as retained belong to an
 * import or prune that did not finish. */
static enum airlock_code repair_versions(struct airlock_store *s, const char *feed,
    struct airlock_err *err)
{
	char dir[PATH_MAX], p[PATH_MAX];
	if (airlock_path(dir, sizeof dir, err, "%s/feeds/%s/versions", s->home, feed) != AIRLOCK_OK)
		return err->code;
	DIR *d = opendir(dir);
	if (d == NULL)
		return AIRLOCK_OK;
	struct dirent *de;
	enum airlock_code ac = AIRLOCK_OK;
	while (ac == AIRLOCK_OK && (de = readdir(d)) != NULL) {
		uint64_t v;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (airlock_parse_u64(de->d_name, AIRLOCK_JSON_INT_MAX_STORE, &v) == 0 &&
		    store_version_retained(s, feed, v) == 1)
			continue;
		ac = airlock_path(p, sizeof p, err, "%s/%s", dir, de->d_name);
		if (ac == AIRLOCK_OK)
			ac = airlock_remove_tree(p, err);
	}
	closedir(d);
	return ac;
}

/* Feed directories the catalog does not know are a first import that
 * did not commit. */
static enum airlock_code repair_feeds(struct airlock_store *s, struct airlock_err *err)
{
	char dir[PATH_MAX], p[PATH_MAX];
	if (airlock_path(dir, sizeof dir, err, "%s/feeds", s->home) != AIRLOCK_OK)
		return err->code;
	DIR *d = opendir(dir);
	if (d == NULL)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read '%s'", dir);
	struct dirent *de;
	enum airlock_code ac = AIRLOCK_OK;
	while (ac == AIRLOCK_OK && (de = readdir(d)) != NULL) {
		struct airlock_store_feed f;
		if (de->d_name[0] == '.')
			continue;
		ac = airlock_store_feed_get(s, de->d_name, &f, err);
		if (ac != AIRLOCK_OK)
			break;
		if (!f.exists) {
			ac = airlock_path(p, sizeof p, err, "%s/%s", dir, de->d_name);
			if (ac == AIRLOCK_OK)
				ac = airlock_remove_tree(p, err);
			continue;
		}
		ac = repair_versions(s, de->d_name, err);
		if (ac == AIRLOCK_OK && store_current_target(s, de->d_name) != f.current)
			ac = airlock_store_publish(s, de->d_name, f.current, err);
	}
	closedir(d);
	return ac;
}

static enum airlock_code repair(struct airlock_store *s, struct airlock_err *err)
{
	if (clear_dir(s->home, "spool", err) != AIRLOCK_OK ||
	    clear_dir(s->home, "staging", err) != AIRLOCK_OK)
		return err->code;
	return repair_feeds(s, err);
}

int airlock_store_lock(struct airlock_store *s, int shared, struct airlock_err *err)
{
	char path[PATH_MAX];
	if (airlock_path(path, sizeof path, err, "%s/lock", s->home) != AIRLOCK_OK)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", path);
		return -1;
	}
	if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return fd;
	int e = errno;
	close(fd);
	if (e != EWOULDBLOCK) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, e, "cannot lock '%s'", path);
		return -1;
	}
	airlock_fail(err, AIRLOCK_E_FAILED, "another import, rollback or prune is changing the "
	    "store in '%s'", s->home);
	airlock_hint(err, "wait for it to finish, then try again");
	err->sys_errno = EWOULDBLOCK;
	return -1;
}

void airlock_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

/* Crash repair runs only when no other process is changing the store: a
 * running import owns spool/, staging/ and its feed's new version. */
static enum airlock_code repair_if_idle(struct airlock_store *s, struct airlock_err *err)
{
	struct airlock_err busy;
	airlock_err_init(&busy);
	int fd = airlock_store_lock(s, 0, &busy);
	if (fd < 0) {
		if (busy.sys_errno == EWOULDBLOCK)
			return AIRLOCK_OK;
		*err = busy;
		return err->code;
	}
	repair(s, err);
	airlock_store_unlock(fd);
	return err->code;
}
