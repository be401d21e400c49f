/* airlock/store.h - the importer's versioned store under a home directory:
 *   importer.db            SQLite catalog (rollback journal, synchronous=FULL)
 *   objects/               content-addressed objects (objstore.h)
 *   feeds/NAME/versions/N/ retained trees: hardlinks to objects (0444), or
 *                          read-only copies for 0755 files (0555)
 *   feeds/NAME/current     symlink to versions/N, switched by rename(2)
 *   spool/ staging/ quarantine/
 * The catalog is the truth: a version exists once its transaction commits;
 * opening the store makes the disk agree with it (removes unfinished
 * staging, spool and version directories, re-points `current`). */
#ifndef AIRLOCK_STORE_H
#define AIRLOCK_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/hash.h"
#include "airlock/objstore.h"
#include "airlock/tree.h"

struct airlock_store;

/* Opens (creating) the store at home and repairs what a crash left. A
 * read-only home opens for reading (repairs are skipped). */
enum airlock_code airlock_store_open(struct airlock_store **out, const char *home,
    struct airlock_err *err) __attribute__((warn_unused_result));
void airlock_store_close(struct airlock_store *s);
sqlite3 *airlock_store_db(struct airlock_store *s);
struct airlock_objstore *airlock_store_objects(struct airlock_store *s);
const char *airlock_store_home(const struct airlock_store *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on the catalog. */
enum airlock_code airlock_store_begin(struct airlock_store *s, struct airlock_err *err);
enum airlock_code airlock_store_commit(struct airlock_store *s, struct airlock_err *err);
void airlock_store_rollback(struct airlock_store *s);

struct airlock_store_feed {
	int exists;
	uint64_t current;          /* published version */
	uint64_t highest;          /* highest version ever accepted */
	uint64_t last_sequence;
	int64_t last_created;
	uint8_t tree[AIRLOCK_HASH_BYTES];   /* of the published version */
};
enum airlock_code airlock_store_feed_get(struct airlock_store *s, const char *feed,
    struct airlock_store_feed *f, struct airlock_err *err);
/* Whether a bundle id was ever accepted (1/0, -1 on error). */
int airlock_store_bundle_seen(struct airlock_store *s, const char *bundle_id,
    struct airlock_err *err);

/* The file list of a retained version as a finished tree. */
enum airlock_code airlock_store_version_tree(struct airlock_store *s, const char *feed,
    uint64_t version, struct airlock_tree **out, struct airlock_err *err);

/* What a new version records besides its tree. */
struct airlock_store_version_meta {
	const char *bundle_id;
	uint64_t sequence;
	int64_t created;
	const char *signer_name;
	const char *key_id;
};

/* Builds the directory for (feed, version) from tree, whose objects must
 * all be in the store: links (or, for 0755 files, copies) under staging,
 * fsyncs every directory and moves it to feeds/NAME/versions/N. File data
 * is never rewritten for a 0644 file (a hard link to its object), so a new
 * version costs one link per entry plus the bytes of its 0755 files. */
enum airlock_code airlock_store_materialize(struct airlock_store *s, const char *feed,
    uint64_t version, const struct airlock_tree *tree, struct airlock_err *err);

/* Records a new version (rows for the version and its files; the feed's
 * current, highest, sequence and created) inside an open transaction. */
enum airlock_code airlock_store_version_add(struct airlock_store *s, const char *feed,
    uint64_t version, const struct airlock_tree *tree, const struct airlock_store_version_meta *m,
    struct airlock_err *err);

/* Points feeds/NAME/current at versions/N: a symlink made under a temporary
 * name, renamed over current, the feed directory fsync'ed. */
enum airlock_code airlock_store_publish(struct airlock_store *s, const char *feed,
    uint64_t version, struct airlock_err *err);

/* Path helpers into out (PATH_MAX-sized buffers). */
enum airlock_code airlock_store_version_dir(const struct airlock_store *s, const char *feed,
    uint64_t version, char *out, size_t outlen, struct airlock_err *err);

/* Changes of the store (import, rollback, prune) hold HOME/lock with
 * flock(2), so they never interleave and crash repair at open never touches
 * a running import's work; shared != 0 takes it shared (verify, precheck).
 * Returns the lock's fd, or -1 with err set; when another process holds
 * it, err says so (sys_errno EWOULDBLOCK). */
int airlock_store_lock(struct airlock_store *s, int shared, struct airlock_err *err);
void airlock_store_unlock(int fd);

#endif
