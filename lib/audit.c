/* audit.c - the hash-chained audit log in the importer's catalog. */
#include "airlock/audit.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "airlock/hash.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " user TEXT NOT NULL, event TEXT NOT NULL, bundle_id TEXT NOT NULL, key_id TEXT NOT NULL,"
    " feed TEXT NOT NULL, from_version TEXT NOT NULL, to_version TEXT NOT NULL,"
    " result TEXT NOT NULL, detail TEXT NOT NULL, hash BLOB NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('audit_count', '0');"
    "INSERT OR IGNORE INTO meta VALUES('audit_head', '');";

static enum airlock_code db_fail(sqlite3 *db, struct airlock_err *err, const char *what)
{
	return airlock_fail(err, AIRLOCK_E_FAILED, "audit log: cannot %s: %s", what,
	    sqlite3_errmsg(db));
}

enum airlock_code airlock_audit_schema(sqlite3 *db, struct airlock_err *err)
{
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "create the audit table");
	return AIRLOCK_OK;
}

static void hash_field(struct airlock_hasher *h, const char *s)
{
	char len[24];
	size_t n = strlen(s);
	snprintf(len, sizeof len, "%zu:", n);
	airlock_hasher_update(h, len, strlen(len));
	airlock_hasher_update(h, s, n);
	airlock_hasher_update(h, "\n", 1);
}

void airlock_audit_row_hash(const struct airlock_audit_row *r,
    const uint8_t prev[AIRLOCK_HASH_BYTES], uint8_t out[AIRLOCK_HASH_BYTES])
{
	struct airlock_hasher h;
	char num[48];
	airlock_hasher_init(&h);
	airlock_hasher_update(&h, "airlock-audit-v1\n", 17);
	airlock_hasher_update(&h, prev, AIRLOCK_HASH_BYTES);
	snprintf(num, sizeof num, "%llu", (unsigned long long)r->seq);
	hash_field(&h, num);
	snprintf(num, sizeof num, "%lld", (long long)r->when);
	hash_field(&h, num);
	const char *fields[] = { r->user, r->event, r->bundle_id, r->key_id, r->feed,
	    r->from_version, r->to_version, r->result, r->detail };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		hash_field(&h, fields[i]);
	airlock_hasher_final(&h, out);
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void current_user(char *out, size_t cap)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	uid_t uid = getuid();
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		copy_field(out, cap, pw.pw_name);
	else
		snprintf(out, cap, "uid %lu", (unsigned long)uid);
}

static void fill_row(struct airlock_audit_row *r, const struct airlock_audit_event *ev)
{
	memset(r, 0, sizeof *r);
	r->when = (int64_t)time(NULL);
	current_user(r->user, sizeof r->user);
	copy_field(r->event, sizeof r->event, ev->event);
	copy_field(r->bundle_id, sizeof r->bundle_id, ev->bundle_id);
	copy_field(r->key_id, sizeof r->key_id, ev->key_id);
	copy_field(r->feed, sizeof r->feed, ev->feed);
	copy_field(r->from_version, sizeof r->from_version, ev->from_version);
	copy_field(r->to_version, sizeof r->to_version, ev->to_version);
	copy_field(r->result, sizeof r->result, ev->result);
	copy_field(r->detail, sizeof r->detail, ev->detail);
}

/* The head of the chain: the last row's seq and hash (0 and zeros if none). */
static enum airlock_code chain_head(sqlite3 *db, uint64_t *seq, uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	*seq = 0;
	memset(hash, 0, AIRLOCK_HASH_BYTES);
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return db_fail(db, err, "read the log");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AIRLOCK_HASH_BYTES) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), AIRLOCK_HASH_BYTES);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "read the log");
	return AIRLOCK_OK;
}

static enum airlock_code insert_row(sqlite3 *db, const struct airlock_audit_row *r,
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO audit VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(db, err, "append");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
	sqlite3_bind_int64(st, 2, r->when);
	const char *f[] = { r->user, r->event, r->bundle_id, r->key_id, r->feed, r->from_version,
	    r->to_version, r->result, r->detail };
	for (int i = 0; i < 9; i++)
		sqlite3_bind_text(st, 3 + i, f[i], -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 12, r->hash, AIRLOCK_HASH_BYTES, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "append");
	char head[AIRLOCK_HASH_HEX_LEN + 1], count[24];
	airlock_hash_to_hex(head, r->hash);
	snprintf(count, sizeof count, "%llu", (unsigned long long)r->seq);
	if (sqlite3_prepare_v2(db, "UPDATE meta SET value = CASE key WHEN 'audit_count' THEN ?1"
	    " ELSE ?2 END WHERE key IN ('audit_count', 'audit_head')", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, err, "append");
	sqlite3_bind_text(st, 1, count, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? AIRLOCK_OK : db_fail(db, err, "append");
}

static void log_syslog(const struct airlock_audit_row *r)
{
	char detail[sizeof r->detail];
	airlock_escape(detail, sizeof detail, r->detail, strlen(r->detail));
	syslog(LOG_AUTHPRIV | LOG_NOTICE,
	    "airlock-importer: %s result=%s user=%s feed=%s from=%s to=%s bundle=%s key=%s %s",
	    r->event, r->result, r->user, r->feed, r->from_version, r->to_version, r->bundle_id,
	    r->key_id, detail);
}

enum airlock_code airlock_audit_append(sqlite3 *db, const struct airlock_audit_event *ev,
    struct airlock_err *err)
{
	int own = sqlite3_get_autocommit(db);
	struct airlock_audit_row r;
	uint8_t prev[AIRLOCK_HASH_BYTES];
	if (own && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "begin");
	fill_row(&r, ev);
	enum airlock_code rc = chain_head(db, &r.seq, prev, err);
	if (rc == AIRLOCK_OK) {
		r.seq++;
		airlock_audit_row_hash(&r, prev, r.hash);
		rc = insert_row(db, &r, err);
	}
	if (own) {
		if (rc == AIRLOCK_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = db_fail(db, err, "commit");
		if (rc != AIRLOCK_OK)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc == AIRLOCK_OK)
		log_syslog(&r);
	return rc;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	copy_field(out, cap, (const char *)t);
}

static void read_row(sqlite3_stmt *st, struct airlock_audit_row *r)
{
	memset(r, 0, sizeof *r);
	r->seq = (uint64_t)sqlite3_column_int64(st, 0);
	r->when = sqlite3_column_int64(st, 1);
	col_text(st, 2, r->user, sizeof r->user);
	col_text(st, 3, r->event, sizeof r->event);
	col_text(st, 4, r->bundle_id, sizeof r->bundle_id);
	col_text(st, 5, r->key_id, sizeof r->key_id);
	col_text(st, 6, r->feed, sizeof r->feed);
	col_text(st, 7, r->from_version, sizeof r->from_version);
	col_text(st, 8, r->to_version, sizeof r->to_version);
	col_text(st, 9, r->result, sizeof r->result);
	col_text(st, 10, r->detail, sizeof r->detail);
	if (sqlite3_column_bytes(st, 11) == AIRLOCK_HASH_BYTES)
		memcpy(r->hash, sqlite3_column_blob(st, 11), AIRLOCK_HASH_BYTES);
}

enum airlock_code airlock_audit_rows(sqlite3 *db, struct airlock_audit_row **out, size_t *n,
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT * FROM audit ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, err, "read the log");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct airlock_audit_row *p = realloc(*out, cap * sizeof *p);
			if (p == NULL) {
				sqlite3_finalize(st);
				free(*out);
				*out = NULL;
				*n = 0;
				return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory reading the audit log");
			}
			*out = p;
		}
		read_row(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return db_fail(db, err, "read the log");
	}
	return AIRLOCK_OK;
}

static enum airlock_code meta_get(sqlite3 *db, const char *key, char *out, size_t cap,
    struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, err, "read meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		col_text(st, 0, out, cap);
	sqlite3_finalize(st);
	return AIRLOCK_OK;
}

static enum airlock_code check_rows(const struct airlock_audit_row *rows, size_t n,
    uint8_t head[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	uint8_t prev[AIRLOCK_HASH_BYTES] = { 0 }, want[AIRLOCK_HASH_BYTES];
	for (size_t i = 0; i < n; i++) {
		if (rows[i].seq != i + 1)
			return airlock_fail(err, AIRLOCK_E_VERIFY,
			    "audit log: row %llu is out of sequence (expected row %zu): a row was"
			    " deleted or inserted", (unsigned long long)rows[i].seq, i + 1);
		airlock_audit_row_hash(&rows[i], prev, want);
		if (sodium_memcmp(want, rows[i].hash, AIRLOCK_HASH_BYTES) != 0)
			return airlock_fail(err, AIRLOCK_E_VERIFY,
			    "audit log: row %llu does not match its chain hash: it or the row"
			    " before it was edited, inserted or deleted", (unsigned long long)rows[i].seq);
		memcpy(prev, rows[i].hash, AIRLOCK_HASH_BYTES);
	}
	memcpy(head, prev, AIRLOCK_HASH_BYTES);
	return AIRLOCK_OK;
}

enum airlock_code airlock_audit_check(sqlite3 *db, uint64_t *rows, struct airlock_err *err)
{
	struct airlock_audit_row *r = NULL;
	size_t n = 0;
	uint8_t head[AIRLOCK_HASH_BYTES];
	char count[32], headhex[AIRLOCK_HASH_HEX_LEN + 1], want[AIRLOCK_HASH_HEX_LEN + 1];
	*rows = 0;
	if (airlock_audit_rows(db, &r, &n, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = check_rows(r, n, head, err);
	free(r);
	if (rc != AIRLOCK_OK)
		return rc;
	*rows = n;
	if (meta_get(db, "audit_count", count, sizeof count, err) != AIRLOCK_OK ||
	    meta_get(db, "audit_head", want, sizeof want, err) != AIRLOCK_OK)
		return err->code;
	uint64_t c;
	if (airlock_parse_u64(count, UINT64_MAX, &c) != 0 || c != n)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "audit log: %zu rows, but the catalog recorded %s: rows were deleted or added"
		    " at the end", n, count);
	airlock_hash_to_hex(headhex, head);
	if (n > 0 && strcmp(headhex, want) != 0)
		return airlock_fail(err, AIRLOCK_E_VERIFY,
		    "audit log: the last row is not the one the catalog recorded");
	return AIRLOCK_OK;
}
