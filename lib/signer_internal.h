/* signer_internal.h - private to lib/signer*.c: the handle and catalog
 * helpers the signer's modules share. Not a public interface. */
#ifndef AIRLOCK_SIGNER_INTERNAL_H
#define AIRLOCK_SIGNER_INTERNAL_H

#include <sqlite3.h>

#include "airlock/objstore.h"
#include "airlock/signer.h"
#include "airlock/tree.h"

struct airlock_signer {
	char home[AIRLOCK_SIGNER_PATH_MAX];
	sqlite3 *db;
	struct airlock_objstore *os;
};

/* Records the SQLite error of the handle as AIRLOCK_E_FAILED ("cannot
 * <what>: <sqlite message>"); a full disk gets a hint. */
enum airlock_code signer_db_fail(struct airlock_signer *s, const char *what,
    struct airlock_err *err);
enum airlock_code signer_exec(struct airlock_signer *s, const char *sql, struct airlock_err *err);
enum airlock_code signer_prepare(struct airlock_signer *s, const char *sql, sqlite3_stmt **st,
    struct airlock_err *err);
/* BEGIN IMMEDIATE (one writer at a time), COMMIT, ROLLBACK (best effort). */
enum airlock_code signer_begin(struct airlock_signer *s, struct airlock_err *err);
enum airlock_code signer_commit(struct airlock_signer *s, struct airlock_err *err);
void signer_rollback(struct airlock_signer *s);

/* Feed id by name: *id 0 when absent (no error). */
enum airlock_code signer_feed_lookup(struct airlock_signer *s, const char *feed, int64_t *id,
    struct airlock_err *err);
/* As lookup, but an unknown feed is AIRLOCK_E_FAILED with a hint. */
enum airlock_code signer_feed_require(struct airlock_signer *s, const char *feed, int64_t *id,
    struct airlock_err *err);
/* Version row; *found 0 when absent. */
enum airlock_code signer_version_get(struct airlock_signer *s, int64_t feed_id, uint64_t version,
    struct airlock_signer_version *v, int *found, struct airlock_err *err);
/* Latest version of a feed; *found 0 if it has none. */
enum airlock_code signer_version_latest(struct airlock_signer *s, int64_t feed_id,
    struct airlock_signer_version *v, int *found, struct airlock_err *err);
/* Oldest retained version of a feed, 0 if none. */
enum airlock_code signer_oldest_retained(struct airlock_signer *s, int64_t feed_id,
    uint64_t *version, struct airlock_err *err);
/* Rebuilds a retained version's tree from its file list. */
enum airlock_code signer_tree_load(struct airlock_signer *s, int64_t feed_id, uint64_t version,
    struct airlock_tree **out, struct airlock_err *err);
/* Fills a version struct from columns (version, tree, created, files,
 * bytes, retained) starting at col. */
void signer_version_from_row(sqlite3_stmt *st, int col, const char *feed,
    struct airlock_signer_version *v);
/* The X25519 key of a site; an unknown site is AIRLOCK_E_FAILED. */
enum airlock_code signer_site_recipient(struct airlock_signer *s, const char *name,
    uint8_t pk[32], struct airlock_err *err);
/* The signer's secret/public key paths. */
enum airlock_code signer_key_paths(const struct airlock_signer *s, char *sec, char *pub,
    size_t len, struct airlock_err *err);

#endif
