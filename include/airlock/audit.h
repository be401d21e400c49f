/* airlock/audit.h - the importer's append-only audit log: a table in the
 * catalog whose rows form a hash chain (each row's hash is BLAKE2b-512 of
 * the previous row's hash and the row's canonical fields), mirrored to
 * syslog(3). Editing, inserting or deleting a row breaks the chain, and the
 * row count and head hash kept in the catalog's meta table catch a cut-off
 * tail. (Someone who can rewrite the whole database can rewrite the chain:
 * syslog and a remote log host are the copy they cannot reach.) */
#ifndef AIRLOCK_AUDIT_H
#define AIRLOCK_AUDIT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/importer.h"

/* The fields of one event; NULL means "". */
struct airlock_audit_event {
	const char *event;          /* "import", "refuse", "trust-add", ... */
	const char *bundle_id;
	const char *key_id;
	const char *feed;
	const char *from_version;
	const char *to_version;
	const char *result;         /* "ok" or an airlock_code_name */
	const char *detail;
};

/* Creates the audit table and meta rows if missing. */
enum airlock_code airlock_audit_schema(sqlite3 *db, struct airlock_err *err);

/* Appends a row (time now, user from the real uid) inside the caller's
 * transaction if one is open, else in its own; then logs it to syslog. */
enum airlock_code airlock_audit_append(sqlite3 *db, const struct airlock_audit_event *ev,
    struct airlock_err *err);

/* All rows, oldest first; *out malloc'd. */
enum airlock_code airlock_audit_rows(sqlite3 *db, struct airlock_audit_row **out, size_t *n,
    struct airlock_err *err);

/* Recomputes the chain. AIRLOCK_E_VERIFY naming the first bad row. */
enum airlock_code airlock_audit_check(sqlite3 *db, uint64_t *rows, struct airlock_err *err);

/* The chain hash of row r given the previous row's hash (exposed for tests). */
void airlock_audit_row_hash(const struct airlock_audit_row *r,
    const uint8_t prev[AIRLOCK_HASH_BYTES], uint8_t out[AIRLOCK_HASH_BYTES]);

#endif
