/* airlock/signer.h - the signer's state and operations (the "low side").
 *
 * A signer home is a directory holding:
 *   signer.db     SQLite catalog: feeds, versions and their file lists,
 *                 sites and the version of each feed each site is believed
 *                 to hold, bundles issued
 *   objects/      content-addressed store of the file contents of every
 *                 retained version (airlock/objstore.h)
 *   signer.key    minisign secret key (0600, passphrase-encrypted unless
 *                 created with no passphrase)
 *   signer.pub    minisign public key (what importers trust)
 *
 * Every call here is what airlock-signer and airlock-tui do; none prints,
 * prompts or exits. Failures are an enum airlock_code plus a message and a
 * hint in *err; a failed call leaves the catalog and the object store as they
 * were (a failed snapshot may leave unreferenced objects behind, which prune
 * removes; they are never visible as a version).
 *
 * Versions: each feed's versions are numbered 1, 2, 3, ... by snapshot. A
 * version's number and tree hash are kept forever; its file list and the
 * objects only it references are dropped by prune, after which it is no
 * longer "retained" and cannot be a delta base.
 *
 * Sequences: each bundle of a feed gets the next sequence number (1, 2, ...),
 * assigned only when the bundle is recorded, so a failed bundle uses none.
 *
 * An airlock_signer handle is not thread-safe: use it from one thread at a
 * time (the console's worker thread may own it while a long call runs). */
#ifndef AIRLOCK_SIGNER_H
#define AIRLOCK_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/age.h"
#include "airlock/error.h"
#include "airlock/hash.h"
#include "airlock/io.h"
#include "airlock/minisign.h"
#include "airlock/names.h"

#define AIRLOCK_SIGNER_DB "signer.db"
#define AIRLOCK_SIGNER_KEY "signer.key"
#define AIRLOCK_SIGNER_PUB "signer.pub"
#define AIRLOCK_SIGNER_OBJECTS "objects"
#define AIRLOCK_SIGNER_HOME_ENV "AIRLOCK_HOME"
#define AIRLOCK_SIGNER_HOME_DEFAULT ".local/share/airlock/signer"   /* under $HOME */
#define AIRLOCK_SIGNER_EXPIRES_DEFAULT (30 * 86400)                  /* seconds */
#define AIRLOCK_SIGNER_SITES_MAX 64       /* sites named in one bundle */
#define AIRLOCK_SIGNER_PATH_MAX 4096

struct airlock_signer;   /* opaque: an open home */

/* ---- home ------------------------------------------------------------ */

/* The home to use when none is given: $AIRLOCK_HOME if set and not empty,
 * else $HOME/.local/share/airlock/signer. AIRLOCK_E_USAGE if neither
 * AIRLOCK_HOME nor HOME is set. (Reads the environment: front-ends only.) */
enum airlock_code airlock_signer_default_home(char *out, size_t outlen, struct airlock_err *err);

/* Creates the home (mkdir -p, mode 0700), the catalog and the object store.
 * Running it on an existing home is an error (AIRLOCK_E_FAILED, "already
 * initialized"), and changes nothing. */
enum airlock_code airlock_signer_init(const char *home, struct airlock_err *err);

/* Opens an initialized home. AIRLOCK_E_FAILED with the hint "run
 * airlock-signer init" when the home or its catalog does not exist. The
 * caller owns *out and frees it with airlock_signer_close. */
enum airlock_code airlock_signer_open(struct airlock_signer **out, const char *home,
    struct airlock_err *err) __attribute__((warn_unused_result));
void airlock_signer_close(struct airlock_signer *s);   /* NULL is a no-op */

/* The home directory this handle was opened on (owned by s). */
const char *airlock_signer_home(const struct airlock_signer *s);

/* ---- signing key ----------------------------------------------------- */

/* Makes a new minisign Ed25519 key pair and writes signer.key (0600;
 * encrypted with scrypt at `cost` when passphrase is not NULL, unencrypted
 * when it is NULL) and signer.pub. Refuses (AIRLOCK_E_FAILED) when either
 * file exists already: a key is never overwritten. pub may be NULL. */
enum airlock_code airlock_signer_keygen(struct airlock_signer *s, const char *passphrase,
    enum airlock_kdf_cost cost, struct airlock_minisign_pub *pub, struct airlock_err *err);

/* Key state: 0 no key, 1 key present; *encrypted (may be NULL) tells
 * whether the secret key needs a passphrase. Returns -1 with err set on an
 * unreadable key file. */
int airlock_signer_key_state(const struct airlock_signer *s, int *encrypted,
    struct airlock_err *err);

/* Reads signer.pub. AIRLOCK_E_FAILED with hint "run airlock-signer keygen"
 * when there is none. */
enum airlock_code airlock_signer_public_key(const struct airlock_signer *s,
    struct airlock_minisign_pub *pub, struct airlock_err *err);

/* ---- sites ----------------------------------------------------------- */

/* What a site is believed to hold of one feed. */
struct airlock_signer_holding {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t version;
	uint8_t tree[AIRLOCK_HASH_BYTES];
	int64_t since;             /* unix time it was recorded */
	int retained;              /* 1 if the version can still be a delta base */
};

struct airlock_signer_site {
	char name[AIRLOCK_FEED_NAME_MAX + 1];
	char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1];   /* "age1..." */
	int64_t added;
	struct airlock_signer_holding *holdings;          /* sorted by feed */
	size_t nholdings;
};

struct airlock_signer_site_list {
	struct airlock_signer_site *sites;                /* sorted by name */
	size_t n;
};

/* Adds a receiving site: name follows the feed-name rule, recipient is an
 * age X25519 recipient ("age1..."). AIRLOCK_E_USAGE for a bad name or
 * recipient; AIRLOCK_E_FAILED if the name is taken. */
enum airlock_code airlock_signer_site_add(struct airlock_signer *s, const char *name,
    const char *recipient, struct airlock_err *err);

/* Removes a site and what it is believed to hold (bundles already issued to
 * it stay in the log). AIRLOCK_E_FAILED for an unknown site. */
enum airlock_code airlock_signer_site_remove(struct airlock_signer *s, const char *name,
    struct airlock_err *err);

/* Records what a site holds from the receipt its importer printed
 * ("iocs@42:3f9a1c2e"). The feed and version must be known to this signer
 * and the prefix must match the tree hash recorded for that version;
 * otherwise nothing changes and the message says which part is wrong
 * (AIRLOCK_E_USAGE for a malformed receipt or a mismatching prefix,
 * AIRLOCK_E_FAILED for an unknown site, feed or version). The version need
 * not be retained. On success *held (may be NULL) describes the record. */
enum airlock_code airlock_signer_site_set(struct airlock_signer *s, const char *name,
    const char *receipt, struct airlock_signer_holding *held, struct airlock_err *err);

/* All sites with their holdings. Release with _site_list_release. */
enum airlock_code airlock_signer_site_list(struct airlock_signer *s,
    struct airlock_signer_site_list *out, struct airlock_err *err);
void airlock_signer_site_list_release(struct airlock_signer_site_list *l);

/* ---- snapshots and versions -------------------------------------------- */

struct airlock_signer_version {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t version;
	uint8_t tree[AIRLOCK_HASH_BYTES];
	int64_t created;           /* unix time of the snapshot */
	uint64_t files;            /* entries (files and symlinks) */
	uint64_t bytes;            /* sum of file sizes */
	int retained;              /* 0 once pruned */
};

/* Scans dir (airlock_tree_scan: never follows symlinks; refuses special
 * files, invalid names, files over 4 GiB, an empty tree, files changing
 * while read), copies the contents into the object store and records the
 * tree as the feed's next version, its file list in one transaction. A
 * feed is created by its first snapshot (name checked: AIRLOCK_E_USAGE).
 * When the tree equals the feed's latest version, no version is made:
 * *created is 0 and *out describes the latest version. Cancellable through
 * progress (AIRLOCK_E_CANCELLED, nothing recorded). */
enum airlock_code airlock_signer_snapshot(struct airlock_signer *s, const char *feed,
    const char *dir, const struct airlock_progress *progress,
    struct airlock_signer_version *out, int *created, struct airlock_err *err);

/* Versions of a feed, oldest first, pruned ones included (retained = 0).
 * *out is malloc'd (free()); AIRLOCK_E_FAILED for an unknown feed. */
enum airlock_code airlock_signer_versions(struct airlock_signer *s, const char *feed,
    struct airlock_signer_version **out, size_t *n, struct airlock_err *err);

/* ---- bundles --------------------------------------------------------- */

/* What to bundle. The base is, in order of precedence: none if full; the
 * version `from` if has_from; else the version every named site is
 * believed to hold (none if no site holds any version of the feed). If the
 * named sites hold different versions (or some hold one and some none) the
 * call refuses, naming them, with a hint to use --from or to bundle them
 * separately. The target is always the feed's latest version. */
struct airlock_signer_bundle_req {
	const char *feed;
	const char *const *sites;  /* names; their recipients receive the payload */
	size_t nsites;             /* 1 .. AIRLOCK_SIGNER_SITES_MAX */
	int full;                  /* 1: no base, every file whole */
	int has_from;              /* 1: base is version `from` */
	uint64_t from;
	int64_t expires_in;        /* seconds after creation; 0 = 30 days */
	const char *output;        /* bundle file to write (atomically) */
	const char *passphrase;    /* for signer.key; NULL if it has none */
};

/* A bundle as recorded in the log. */
struct airlock_signer_bundle_info {
	char id[33];               /* 32 hex digits */
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t sequence;
	int has_base;              /* 0: full bundle */
	uint64_t base;
	uint64_t target;
	uint8_t target_tree[AIRLOCK_HASH_BYTES];
	char *sites;               /* "a,b" (malloc'd) */
	int64_t created;
	int64_t expires;
	uint64_t size;             /* bytes of the bundle file */
	char *path;                /* absolute path it was written to (malloc'd) */
};
void airlock_signer_bundle_info_release(struct airlock_signer_bundle_info *b);

/* The base a request would use, without reading the key or writing
 * anything (for showing before asking the passphrase). Checks the feed,
 * the sites, agreement of the sites, and that the base is retained:
 * AIRLOCK_E_FAILED "base version N of feed F is no longer retained" naming
 * the oldest retained version. Sets *has_base, *base and *target.
 * AIRLOCK_E_FAILED if the target equals the base ("nothing to send"). */
enum airlock_code airlock_signer_bundle_resolve(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, int *has_base, uint64_t *base,
    uint64_t *target, struct airlock_err *err);

/* Makes, signs and encrypts the bundle (airlock_bundle_create), writes it
 * to req->output atomically, then records it with the next sequence number
 * and marks every named site as holding the target, in one transaction. On
 * any failure the output file is not created and nothing is recorded. The
 * secret key is read (with req->passphrase) only here and wiped before
 * returning; a wrong passphrase is AIRLOCK_E_FAILED saying so. Cancellable
 * through progress. info may be NULL; else release it. */
enum airlock_code airlock_signer_bundle(struct airlock_signer *s,
    const struct airlock_signer_bundle_req *req, const struct airlock_progress *progress,
    struct airlock_signer_bundle_info *info, struct airlock_err *err);

/* Bundles issued, oldest first; feed NULL for all feeds. Release each
 * entry with _bundle_info_release and free(*out). */
enum airlock_code airlock_signer_log(struct airlock_signer *s, const char *feed,
    struct airlock_signer_bundle_info **out, size_t *n, struct airlock_err *err);
void airlock_signer_log_free(struct airlock_signer_bundle_info *list, size_t n);

/* ---- status ---------------------------------------------------------- */

struct airlock_signer_feed_status {
	char name[AIRLOCK_FEED_NAME_MAX + 1];
	struct airlock_signer_version latest;
	uint64_t versions;         /* versions ever made */
	uint64_t retained;         /* versions still retained */
	uint64_t oldest_retained;  /* 0 if none */
	uint64_t last_sequence;    /* 0 if no bundle yet */
};

struct airlock_signer_status {
	int has_key;
	int key_encrypted;
	char key_id[AIRLOCK_MINISIGN_KEYID_HEX];     /* "" without a key */
	struct airlock_signer_feed_status *feeds;    /* sorted by name */
	size_t nfeeds;
	struct airlock_signer_site_list sites;
	uint64_t bundles;          /* bundles issued, all feeds */
	uint64_t objects;          /* objects in the store */
	uint64_t object_bytes;     /* their total size */
};

enum airlock_code airlock_signer_status(struct airlock_signer *s,
    struct airlock_signer_status *out, struct airlock_err *err);
void airlock_signer_status_release(struct airlock_signer_status *st);

/* ---- pruning --------------------------------------------------------- */

struct airlock_signer_prune_result {
	uint64_t versions_pruned;  /* file lists dropped */
	uint64_t versions_kept;    /* retained after the prune, all feeds */
	uint64_t held_kept;        /* of those, kept only because a site holds them */
	uint64_t objects_removed;
	uint64_t bytes_freed;
};

/* Keeps the newest `keep` (>= 1; AIRLOCK_E_USAGE otherwise) versions of
 * every feed, and also every version some site is believed to hold, so the
 * next bundle to that site can still be a delta. The file lists of the
 * other versions are deleted in one transaction (their number and tree
 * hash stay, for receipts and the log), then every object that no retained
 * version references is removed. Cancellable between objects: the catalog
 * is already consistent then, and a later prune finishes the removal. */
enum airlock_code airlock_signer_prune(struct airlock_signer *s, uint64_t keep,
    const struct airlock_progress *progress, struct airlock_signer_prune_result *out,
    struct airlock_err *err);

#endif
