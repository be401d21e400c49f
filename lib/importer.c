/* importer.c - the importer home: open, site key, trust, and the read-only
 * views (status, receipt, history, quarantine, audit). */
#include "airlock/importer.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/audit.h"
#include "airlock/store.h"
#include "importer_int.h"

const char *importer_result_name(enum airlock_code c)
{
	return c == AIRLOCK_OK ? "ok" : airlock_code_name(c);
}

const char *airlock_inbox_state_name(enum airlock_inbox_state s)
{
	static const char *const names[] = { "ready", "gap", "refused", "tampered",
	    "already imported", "error" };
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "error";
}

void airlock_verdict_init(struct airlock_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->code = AIRLOCK_OK;
	v->state = AIRLOCK_INBOX_READY;
}

enum airlock_code airlock_importer_default_home(char *out, size_t outlen,
    struct airlock_err *err)
{
	const char *env = getenv("AIRLOCK_HOME");
	if (env != NULL && *env != '\0')
		return airlock_path(out, outlen, err, "%s", env);
	if (geteuid() == 0)
		return airlock_path(out, outlen, err, "/var/lib/airlock/importer");
	const char *home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return airlock_fail(err, AIRLOCK_E_USAGE, "cannot find the importer home: HOME is not set");
	return airlock_path(out, outlen, err, "%s/.local/share/airlock/importer", home);
}

enum airlock_code airlock_importer_open(struct airlock_importer **out, const char *dir,
    struct airlock_err *err)
{
	*out = NULL;
	struct airlock_importer *im = calloc(1, sizeof *im);
	if (im == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (airlock_path(im->home, sizeof im->home, err, "%s", dir) != AIRLOCK_OK ||
	    airlock_store_open(&im->store, dir, err) != AIRLOCK_OK) {
		free(im);
		return err->code;
	}
	*out = im;
	return AIRLOCK_OK;
}

void airlock_importer_close(struct airlock_importer *im)
{
	if (im == NULL)
		return;
	airlock_age_identity_free(im->identity);
	airlock_store_close(im->store);
	free(im);
}

const char *airlock_importer_home(const struct airlock_importer *im)
{
	return im->home;
}

static enum airlock_code audit(struct airlock_importer *im, const char *event, const char *feed,
    const char *result, const char *detail, struct airlock_err *err)
{
	struct airlock_audit_event ev = { .event = event, .feed = feed, .result = result,
	    .detail = detail };
	return airlock_audit_append(airlock_store_db(im->store), &ev, err);
}

/* ---- site key ---- */

static enum airlock_code key_paths(struct airlock_importer *im, char key[PATH_MAX],
    char rcp[PATH_MAX], struct airlock_err *err)
{
	if (airlock_path(key, PATH_MAX, err, "%s/site.key", im->home) != AIRLOCK_OK ||
	    airlock_path(rcp, PATH_MAX, err, "%s/site.recipient", im->home) != AIRLOCK_OK)
		return err->code;
	return AIRLOCK_OK;
}

static enum airlock_code store_identity(struct airlock_importer *im,
    const struct airlock_age_identity *id, const char *passphrase, enum airlock_kdf_cost cost,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], const char *how, struct airlock_err *err)
{
	char key[PATH_MAX], rcp[PATH_MAX], line[AIRLOCK_AGE_RECIPIENT_LEN + 2];
	uint8_t pk[32];
	struct stat st;
	if (key_paths(im, key, rcp, err) != AIRLOCK_OK)
		return err->code;
	if (lstat(key, &st) == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "a site key already exists at '%s'", key);
		airlock_hint(err, "a site keeps its key; signers encrypt to its recipient in site.recipient");
		return err->code;
	}
	if (airlock_age_identity_write_file(id, key, passphrase, cost, err) != AIRLOCK_OK)
		return err->code;
	airlock_age_identity_public(id, pk);
	airlock_age_recipient_format(recipient, pk);
	snprintf(line, sizeof line, "%s\n", recipient);
	if (airlock_write_file_atomic(rcp, line, strlen(line), 0644, err) != AIRLOCK_OK)
		return err->code;
	return audit(im, "keygen", "", "ok", how, err);
}

enum airlock_code airlock_importer_keygen(struct airlock_importer *im, const char *passphrase,
    enum airlock_kdf_cost cost, char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1],
    struct airlock_err *err)
{
	struct airlock_age_identity *id = NULL;
	if (airlock_age_identity_generate(&id, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = store_identity(im, id, passphrase, cost, recipient,
	    passphrase ? "generated, passphrase-protected" : "generated, no passphrase", err);
	airlock_age_identity_free(id);
	return rc;
}

enum airlock_code airlock_importer_key_import(struct airlock_importer *im, const char *file,
    const char *file_passphrase, const char *passphrase, enum airlock_kdf_cost cost,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err)
{
	struct airlock_age_identity *id = NULL;
	if (airlock_age_identity_read_file(&id, file, file_passphrase, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = store_identity(im, id, passphrase, cost, recipient,
	    passphrase ? "imported, passphrase-protected" : "imported, no passphrase", err);
	airlock_age_identity_free(id);
	return rc;
}

enum airlock_code airlock_importer_recipient(struct airlock_importer *im,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err)
{
	char key[PATH_MAX], rcp[PATH_MAX], *text = NULL;
	size_t len;
	uint8_t pk[32];
	if (key_paths(im, key, rcp, err) != AIRLOCK_OK)
		return err->code;
	if (access(rcp, F_OK) != 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "this site has no key yet");
		airlock_hint(err, "run 'airlock-importer keygen' first");
		return err->code;
	}
	if (airlock_read_file(rcp, 256, &text, &len, err) != AIRLOCK_OK)
		return err->code;
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	enum airlock_code rc = airlock_age_recipient_parse(pk, text, err);
	free(text);
	if (rc != AIRLOCK_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is damaged", rcp);
	airlock_age_recipient_format(recipient, pk);
	return AIRLOCK_OK;
}

int airlock_importer_key_needs_passphrase(struct airlock_importer *im, struct airlock_err *err)
{
	char key[PATH_MAX], rcp[PATH_MAX];
	if (key_paths(im, key, rcp, err) != AIRLOCK_OK)
		return -1;
	if (access(key, F_OK) != 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "this site has no key yet");
		airlock_hint(err, "run 'airlock-importer keygen' first");
		return -1;
	}
	return airlock_age_identity_file_is_encrypted(key, err);
}

enum airlock_code airlock_importer_unlock(struct airlock_importer *im, const char *passphrase,
    struct airlock_err *err)
{
	char key[PATH_MAX], rcp[PATH_MAX];
	struct airlock_age_identity *id = NULL;
	if (airlock_importer_key_needs_passphrase(im, err) < 0 ||
	    key_paths(im, key, rcp, err) != AIRLOCK_OK ||
	    airlock_age_identity_read_file(&id, key, passphrase, err) != AIRLOCK_OK)
		return err->code;
	airlock_age_identity_free(im->identity);
	im->identity = id;
	return AIRLOCK_OK;
}

/* ---- trust ---- */

/* Patterns: comma-separated, each non-empty, of feed-name characters and
 * the glob characters * ? [ ] ! (checked so a typo cannot trust "*"). */
static enum airlock_code check_patterns(const char *feeds, struct airlock_err *err)
{
	const char *p = feeds;
	size_t run = 0;
	if (feeds == NULL || *feeds == '\0' || strlen(feeds) >= 1024)
		return airlock_fail(err, AIRLOCK_E_USAGE, "--feeds needs one or more glob patterns");
	for (; *p != '\0'; p++) {
		if (*p == ',') {
			if (run == 0)
				return airlock_fail(err, AIRLOCK_E_USAGE, "empty pattern in --feeds '%s'", feeds);
			run = 0;
			continue;
		}
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789._-*?[]!", *p) == NULL)
			return airlock_fail(err, AIRLOCK_E_USAGE,
			    "bad character in --feeds '%s' (feed names are lowercase)", feeds);
		run++;
	}
	if (run == 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "empty pattern in --feeds '%s'", feeds);
	return AIRLOCK_OK;
}

static int sql_run(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c,
    const char *d, int64_t t)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	const char *v[] = { a, b, c, d };
	for (int i = 0; i < 4; i++)
		if (v[i] != NULL)
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, t);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

enum airlock_code airlock_importer_trust_add(struct airlock_importer *im, const char *name,
    const char *pubkey_file, const char *feeds, struct airlock_err *err)
{
	struct airlock_minisign_pub pub;
	char kid[AIRLOCK_MINISIGN_KEYID_HEX], b64[57], detail[1200];
	sqlite3 *db = airlock_store_db(im->store);
	if (airlock_name_check(name) != 0)
		return airlock_fail(err, AIRLOCK_E_USAGE,
		    "bad signer name (lowercase letters, digits, '.', '_', '-'; up to 63)");
	if (check_patterns(feeds, err) != AIRLOCK_OK ||
	    airlock_minisign_pub_read_file(&pub, pubkey_file, err) != AIRLOCK_OK)
		return err->code;
	airlock_minisign_key_id_format(kid, pub.key_id);
	airlock_minisign_pub_base64(b64, &pub);
	if (airlock_store_begin(im->store, err) != AIRLOCK_OK)
		return err->code;
	int n = sql_run(db, "INSERT OR IGNORE INTO signers(name, key_id, pubkey, feeds, added)"
	    " VALUES(?1, ?2, ?3, ?4, ?5)", name, kid, b64, feeds, (int64_t)time(NULL));
	if (n != 1) {
		airlock_store_rollback(im->store);
		if (n < 0)
			return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: cannot add the key: %s",
			    sqlite3_errmsg(db));
		airlock_fail(err, AIRLOCK_E_FAILED, "a signer named '%s' or with key id %s is already trusted",
		    name, kid);
		airlock_hint(err, "see 'airlock-importer trust list'");
		return err->code;
	}
	snprintf(detail, sizeof detail, "signer %s key %s feeds %s", name, kid, feeds);
	struct airlock_audit_event ev = { .event = "trust-add", .key_id = kid, .result = "ok",
	    .detail = detail };
	if (airlock_audit_append(db, &ev, err) != AIRLOCK_OK) {
		airlock_store_rollback(im->store);
		return err->code;
	}
	return airlock_store_commit(im->store, err);
}

void importer_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void trust_row(sqlite3_stmt *st, struct airlock_trust_entry *e)
{
	memset(e, 0, sizeof *e);
	importer_col_text(st, 0, e->name, sizeof e->name);
	importer_col_text(st, 1, e->key_id, sizeof e->key_id);
	importer_col_text(st, 2, e->pubkey, sizeof e->pubkey);
	importer_col_text(st, 3, e->feeds, sizeof e->feeds);
	e->added = sqlite3_column_int64(st, 4);
	e->revoked = sqlite3_column_int(st, 5);
	e->revoked_at = sqlite3_column_int64(st, 6);
}

/* Runs a query and collects rows with fill(); a generic growable array. */
static enum airlock_code collect(sqlite3 *db, sqlite3_stmt *st, size_t elem,
    void (*fill)(sqlite3_stmt *, void *), void **out, size_t *n, struct airlock_err *err)
{
	size_t cap = 0;
	char *v = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char *p = realloc(v, cap * elem);
			if (p == NULL) {
				free(v);
				sqlite3_finalize(st);
				return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			}
			v = p;
		}
		fill(st, v + (*n)++ * elem);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	}
	*out = v;
	return AIRLOCK_OK;
}

static void fill_trust(sqlite3_stmt *st, void *p)
{
	trust_row(st, p);
}

enum airlock_code airlock_importer_trust_list(struct airlock_importer *im,
    struct airlock_trust_entry **out, size_t *n, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name, key_id, pubkey, feeds, added, revoked, revoked_at"
	    " FROM signers ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	return collect(db, st, sizeof **out, fill_trust, (void **)out, n, err);
}

enum airlock_code airlock_importer_trust_revoke(struct airlock_importer *im, const char *name,
    struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	char detail[128];
	if (airlock_store_begin(im->store, err) != AIRLOCK_OK)
		return err->code;
	int n = sql_run(db, "UPDATE signers SET revoked = 1, revoked_at = ?5 WHERE name = ?1"
	    " AND revoked = 0", name, NULL, NULL, NULL, (int64_t)time(NULL));
	if (n != 1) {
		airlock_store_rollback(im->store);
		if (n < 0)
			return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
		char esc[128];
		airlock_escape(esc, sizeof esc, name, strlen(name));
		airlock_fail(err, AIRLOCK_E_FAILED, "no trusted signer '%s' to revoke", esc);
		airlock_hint(err, "see 'airlock-importer trust list'");
		return err->code;
	}
	snprintf(detail, sizeof detail, "signer %s revoked", name);
	struct airlock_audit_event ev = { .event = "trust-revoke", .result = "ok", .detail = detail };
	if (airlock_audit_append(db, &ev, err) != AIRLOCK_OK) {
		airlock_store_rollback(im->store);
		return err->code;
	}
	return airlock_store_commit(im->store, err);
}

/* ---- audit and quarantine views ---- */

enum airlock_code airlock_importer_audit_list(struct airlock_importer *im,
    struct airlock_audit_row **out, size_t *n, struct airlock_err *err)
{
	return airlock_audit_rows(airlock_store_db(im->store), out, n, err);
}

enum airlock_code airlock_importer_audit_verify(struct airlock_importer *im, uint64_t *rows,
    struct airlock_err *err)
{
	return airlock_audit_check(airlock_store_db(im->store), rows, err);
}

static void fill_quarantine(sqlite3_stmt *st, void *p)
{
	struct airlock_quarantine_item *q = p;
	memset(q, 0, sizeof *q);
	q->id = (uint64_t)sqlite3_column_int64(st, 0);
	q->when = sqlite3_column_int64(st, 1);
	importer_col_text(st, 2, q->source, sizeof q->source);
	importer_col_text(st, 3, q->file, sizeof q->file);
	importer_col_text(st, 4, q->code, sizeof q->code);
	importer_col_text(st, 5, q->reason, sizeof q->reason);
	importer_col_text(st, 6, q->bundle_id, sizeof q->bundle_id);
	importer_col_text(st, 7, q->feed, sizeof q->feed);
	importer_col_text(st, 8, q->signer_key_id, sizeof q->signer_key_id);
}

enum airlock_code airlock_importer_quarantine_list(struct airlock_importer *im,
    struct airlock_quarantine_item **out, size_t *n, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT * FROM quarantine ORDER BY id DESC", -1, &st,
	    NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	return collect(db, st, sizeof **out, fill_quarantine, (void **)out, n, err);
}

enum airlock_code airlock_importer_quarantine_show(struct airlock_importer *im, uint64_t id,
    struct airlock_quarantine_item *out, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT * FROM quarantine WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill_quarantine(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		airlock_fail(err, AIRLOCK_E_FAILED, "no quarantined bundle with id %llu",
		    (unsigned long long)id);
		airlock_hint(err, "see 'airlock-importer quarantine list'");
		return err->code;
	}
	return AIRLOCK_OK;
}

/* ---- status, receipt, history ---- */

static void fill_status(sqlite3_stmt *st, void *p)
{
	struct airlock_feed_status *f = p;
	memset(f, 0, sizeof *f);
	importer_col_text(st, 0, f->feed, sizeof f->feed);
	f->version = (uint64_t)sqlite3_column_int64(st, 1);
	if (sqlite3_column_bytes(st, 2) == AIRLOCK_HASH_BYTES)
		memcpy(f->tree, sqlite3_column_blob(st, 2), AIRLOCK_HASH_BYTES);
	f->files = (uint64_t)sqlite3_column_int64(st, 3);
	f->bytes = (uint64_t)sqlite3_column_int64(st, 4);
	f->highest_version = (uint64_t)sqlite3_column_int64(st, 5);
	f->last_sequence = (uint64_t)sqlite3_column_int64(st, 6);
	f->imported = sqlite3_column_int64(st, 7);
	f->created = sqlite3_column_int64(st, 8);
	importer_col_text(st, 9, f->signer_name, sizeof f->signer_name);
	importer_col_text(st, 10, f->signer_key_id, sizeof f->signer_key_id);
	importer_col_text(st, 11, f->bundle_id, sizeof f->bundle_id);
	airlock_receipt_format(f->receipt, f->feed, f->version, f->tree);
}

static enum airlock_code status_query(struct airlock_importer *im, const char *feed,
    struct airlock_feed_status **out, size_t *n, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT f.name, f.current, v.tree, v.files, v.bytes, f.highest,"
	    " f.last_sequence, v.imported, v.created, v.signer_name, v.key_id, v.bundle_id"
	    " FROM feeds f JOIN versions v ON v.feed = f.name AND v.version = f.current"
	    " WHERE ?1 IS NULL OR f.name = ?1 ORDER BY f.name", -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	if (feed != NULL)
		sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	return collect(db, st, sizeof **out, fill_status, (void **)out, n, err);
}

enum airlock_code airlock_importer_status(struct airlock_importer *im,
    struct airlock_feed_status **out, size_t *n, struct airlock_err *err)
{
	return status_query(im, NULL, out, n, err);
}

enum airlock_code airlock_importer_receipt(struct airlock_importer *im, const char *feed,
    char out[AIRLOCK_RECEIPT_MAX], struct airlock_err *err)
{
	struct airlock_feed_status *f = NULL;
	size_t n = 0;
	if (feed != NULL && airlock_feed_name_check(feed) != 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "bad feed name");
	if (status_query(im, feed, &f, &n, err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = AIRLOCK_OK;
	if (n == 1) {
		snprintf(out, AIRLOCK_RECEIPT_MAX, "%s", f[0].receipt);
	} else if (n == 0) {
		rc = airlock_fail(err, AIRLOCK_E_FAILED, feed ? "the store holds no version of feed '%s'"
		    : "the store holds no feed yet%s", feed ? feed : "");
		if (feed == NULL)
			airlock_hint(err, "import a full bundle first");
	} else {
		rc = airlock_fail(err, AIRLOCK_E_USAGE, "the store holds %zu feeds: name one", n);
	}
	free(f);
	return rc;
}

static void fill_version(sqlite3_stmt *st, void *p)
{
	struct airlock_version_info *v = p;
	memset(v, 0, sizeof *v);
	v->version = (uint64_t)sqlite3_column_int64(st, 0);
	if (sqlite3_column_bytes(st, 1) == AIRLOCK_HASH_BYTES)
		memcpy(v->tree, sqlite3_column_blob(st, 1), AIRLOCK_HASH_BYTES);
	v->files = (uint64_t)sqlite3_column_int64(st, 2);
	v->bytes = (uint64_t)sqlite3_column_int64(st, 3);
	v->imported = sqlite3_column_int64(st, 4);
	v->created = sqlite3_column_int64(st, 5);
	importer_col_text(st, 6, v->bundle_id, sizeof v->bundle_id);
	importer_col_text(st, 7, v->signer_name, sizeof v->signer_name);
	importer_col_text(st, 8, v->signer_key_id, sizeof v->signer_key_id);
	v->retained = sqlite3_column_int(st, 9);
	v->published = sqlite3_column_int(st, 10);
}

/* One count over the catalog's file lists of two versions of feed. */
static uint64_t count_files(sqlite3 *db, const char *sql, const char *feed, uint64_t a,
    uint64_t b, struct airlock_err *err)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
		return 0;
	}
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)b);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/* Files added, changed and removed from older to v, from the file lists
 * (index lookups on the primary key: work proportional to the two lists). */
static void version_changes(sqlite3 *db, const char *feed, struct airlock_version_info *v,
    const struct airlock_version_info *older, struct airlock_err *err)
{
	static const char only_in_first[] = "SELECT count(*) FROM files a WHERE a.feed = ?1"
	    " AND a.version = ?2 AND NOT EXISTS (SELECT 1 FROM files b WHERE b.feed = ?1"
	    " AND b.version = ?3 AND b.path = a.path)";
	static const char differ[] = "SELECT count(*) FROM files a JOIN files b ON b.feed = ?1"
	    " AND b.version = ?3 AND b.path = a.path WHERE a.feed = ?1 AND a.version = ?2"
	    " AND (a.hash <> b.hash OR a.mode <> b.mode OR a.type <> b.type"
	    " OR a.target IS NOT b.target)";
	static const char listed[] = "SELECT count(*) FROM files WHERE feed = ?1"
	    " AND version IN (?2, ?3)";
	v->has_changes = 0;
	if (older == NULL) {
		v->has_changes = 1;
		v->added = v->files;
		return;
	}
	/* both lists present: their rows add up to the two file counts */
	if (count_files(db, listed, feed, v->version, older->version, err) !=
	    v->files + older->files)
		return;
	v->added = count_files(db, only_in_first, feed, v->version, older->version, err);
	v->removed = count_files(db, only_in_first, feed, older->version, v->version, err);
	v->changed = count_files(db, differ, feed, v->version, older->version, err);
	v->has_changes = err->code == AIRLOCK_OK;
}

enum airlock_code airlock_importer_history(struct airlock_importer *im, const char *feed,
    struct airlock_version_info **out, size_t *n, struct airlock_err *err)
{
	sqlite3 *db = airlock_store_db(im->store);
	sqlite3_stmt *st = NULL;
	if (airlock_feed_name_check(feed) != 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "bad feed name");
	if (sqlite3_prepare_v2(db, "SELECT v.version, v.tree, v.files, v.bytes, v.imported,"
	    " v.created, v.bundle_id, v.signer_name, v.key_id, v.retained,"
	    " v.version = f.current FROM versions v JOIN feeds f ON f.name = v.feed"
	    " WHERE v.feed = ? ORDER BY v.version DESC", -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	if (collect(db, st, sizeof **out, fill_version, (void **)out, n, err) != AIRLOCK_OK)
		return err->code;
	if (*n == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "the store holds no version of feed '%s'", feed);
		airlock_hint(err, "see 'airlock-importer status'");
		return err->code;
	}
	for (size_t i = 0; i < *n && err->code == AIRLOCK_OK; i++)
		version_changes(db, feed, &(*out)[i], i + 1 < *n ? &(*out)[i + 1] : NULL, err);
	if (err->code != AIRLOCK_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err->code;
}

int importer_lock(struct airlock_importer *im, int shared, struct airlock_err *err)
{
	return airlock_store_lock(im->store, shared, err);
}

void importer_unlock(int fd)
{
	airlock_store_unlock(fd);
}
