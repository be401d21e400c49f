/* importer_int.h - what the importer's lib/ files share (not public). */
#ifndef AIRLOCK_IMPORTER_INT_H
#define AIRLOCK_IMPORTER_INT_H

#include <sqlite3.h>

#include "airlock/age.h"
#include "airlock/importer.h"
#include "airlock/objstore.h"
#include "airlock/store.h"

#define HOME_PATH_MAX 4096

struct airlock_importer {
	char home[HOME_PATH_MAX];
	struct airlock_store *store;
	struct airlock_age_identity *identity;   /* set by unlock */
};

/* Changes of the store (import, rollback, prune) take HOME/lock with
 * flock(2) exclusively (shared != 0: verify and precheck, which only use
 * spool/ and staging/), so two changes never interleave (a prune could
 * otherwise remove objects an import has just adopted). Returns the lock's
 * fd, or -1 with err set (another change is running: say so and what to do). */
int importer_lock(struct airlock_importer *im, int shared, struct airlock_err *err);
void importer_unlock(int fd);

/* Column i of the current row as text into out (truncated to cap; NULL
 * reads as ""), for the catalog readers of all importer files. */
void importer_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

/* "ok" or the code's name, for audit rows. */
const char *importer_result_name(enum airlock_code c);
/* Quarantines a refused bundle: records it (source names it for people),
 * copies the bytes at copy_from into HOME/quarantine/ID.bundle (best
 * effort: a full disk leaves the record without a copy) and audits it. */
void importer_quarantine(struct airlock_importer *im, const char *source, const char *copy_from,
    const struct airlock_verdict *v);

/* Removes retained trees beyond keep per feed (not objects: import calls
 * this after each commit, and a walk of all objects is prune's job). */
enum airlock_code importer_prune_trees(struct airlock_importer *im, unsigned keep, uint64_t *nv,
    struct airlock_err *err);

#endif
