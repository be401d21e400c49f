/* airlock/importer.h - the high side: a site's importer home (catalog,
 * object store, published trees, spool, quarantine, audit log) and every
 * operation the airlock-importer CLI and the console offer.
 *
 * One struct airlock_importer is one open home. Calls are not thread-safe
 * on the same handle; a front-end runs long calls (verify, import, fsck) in
 * a worker thread and passes a struct airlock_progress whose cancel flag it
 * may set from the UI thread. Every call returns an enum airlock_code and
 * fills err on failure (never prints, never exits).
 *
 * Bundles are untrusted: verify and import follow DESIGN.md "Verification
 * order on the importer" exactly; nothing in a bundle is parsed before its
 * signature is checked with a trusted key. */
#ifndef AIRLOCK_IMPORTER_H
#define AIRLOCK_IMPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/age.h"
#include "airlock/error.h"
#include "airlock/hash.h"
#include "airlock/io.h"
#include "airlock/minisign.h"
#include "airlock/names.h"

#define AIRLOCK_NAME_MAX 63               /* signer names follow feed-name rules */
#define AIRLOCK_BUNDLE_ID_HEX 32          /* 16 bytes as hex, without NUL */
#define AIRLOCK_IMPORTER_KEEP_DEFAULT 3   /* older versions kept for rollback */

/* The importer's catalog in its home: what tells an importer home apart. */
#define AIRLOCK_IMPORTER_DB "importer.db"

struct airlock_importer;   /* opaque: an open home */

/* ---- Home ------------------------------------------------------------- */

/* The default home: $AIRLOCK_HOME, else /var/lib/airlock/importer for root,
 * else ~/.local/share/airlock/importer. */
enum airlock_code airlock_importer_default_home(char *out, size_t outlen,
    struct airlock_err *err);

/* Opens the home at dir, creating its layout (mode 0700) and catalog if
 * they do not exist yet. Finishes or rolls back any import a crash
 * interrupted (stale staging/spool files are removed; the published trees
 * are only ever switched atomically, so nothing else needs repair). The
 * caller frees the handle with airlock_importer_close. */
enum airlock_code airlock_importer_open(struct airlock_importer **out, const char *dir,
    struct airlock_err *err) __attribute__((warn_unused_result));
/* Closes the catalog and wipes the unlocked site key, if any. NULL is a no-op. */
void airlock_importer_close(struct airlock_importer *im);
/* The home directory path (owned by the handle). */
const char *airlock_importer_home(const struct airlock_importer *im);

/* ---- Site key (age X25519 identity) ----------------------------------- */

/* Generates the site identity into HOME/site.key (mode 0600, encrypted with
 * passphrase under scrypt at cost; passphrase NULL stores it in the clear,
 * as age-keygen does) and writes the recipient to HOME/site.recipient.
 * Refuses (AIRLOCK_E_FAILED) when a site key already exists. The recipient
 * "age1..." is copied to recipient. Audited. */
enum airlock_code airlock_importer_keygen(struct airlock_importer *im, const char *passphrase,
    enum airlock_kdf_cost cost, char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1],
    struct airlock_err *err);
/* As keygen, but takes the identity from an existing identity file (made by
 * age-keygen, plain or `age -p` encrypted with file_passphrase; NULL if
 * plain) and stores it under passphrase as above. */
enum airlock_code airlock_importer_key_import(struct airlock_importer *im, const char *file,
    const char *file_passphrase, const char *passphrase, enum airlock_kdf_cost cost,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err);
/* The site recipient from HOME/site.recipient; AIRLOCK_E_FAILED with a hint
 * to run keygen when there is no site key. */
enum airlock_code airlock_importer_recipient(struct airlock_importer *im,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err);
/* 1 if the site key needs a passphrase, 0 if not, -1 (err set) if there is
 * no site key or it cannot be read. */
int airlock_importer_key_needs_passphrase(struct airlock_importer *im, struct airlock_err *err);
/* Decrypts the site key into locked memory held by the handle until close
 * (passphrase may be NULL for a plain key). verify and import need it;
 * without it they fail with a message saying the site key is locked. A
 * wrong passphrase is AIRLOCK_E_FAILED "wrong passphrase ...". */
enum airlock_code airlock_importer_unlock(struct airlock_importer *im, const char *passphrase,
    struct airlock_err *err);

/* ---- Trusted signers --------------------------------------------------- */

struct airlock_trust_entry {
	char name[AIRLOCK_NAME_MAX + 1];
	char key_id[AIRLOCK_MINISIGN_KEYID_HEX];   /* as minisign prints it */
	char pubkey[57];                           /* minisign -P base64 form */
	char feeds[1024];                          /* "PATTERN,PATTERN" (fnmatch globs) */
	int64_t added;                             /* unix seconds */
	int revoked;
	int64_t revoked_at;                        /* 0 unless revoked */
};

/* Trusts the minisign public key in pubkey_file under name for the feeds
 * matching the comma-separated glob patterns (each pattern: feed-name
 * characters plus '*', '?', '[...]'). AIRLOCK_E_USAGE for a bad name or
 * pattern; AIRLOCK_E_FAILED if the name or key id is already trusted or the
 * file is not a minisign public key. Audited. */
enum airlock_code airlock_importer_trust_add(struct airlock_importer *im, const char *name,
    const char *pubkey_file, const char *feeds, struct airlock_err *err);
/* All trusted keys, revoked ones included, sorted by name. *out is malloc'd
 * (free()), NULL when n is 0. */
enum airlock_code airlock_importer_trust_list(struct airlock_importer *im,
    struct airlock_trust_entry **out, size_t *n, struct airlock_err *err);
/* Revokes a key for good: its bundles are refused, whenever they were
 * made. AIRLOCK_E_FAILED if name is unknown or already revoked. Audited. */
enum airlock_code airlock_importer_trust_revoke(struct airlock_importer *im, const char *name,
    struct airlock_err *err);

/* ---- Verdicts ----------------------------------------------------------- */

/* What an inbox shows for a bundle, in a word. */
enum airlock_inbox_state {
	AIRLOCK_INBOX_READY,      /* passes every check so far; importable now */
	AIRLOCK_INBOX_GAP,        /* its base is not what the store holds */
	AIRLOCK_INBOX_REFUSED,    /* policy: signer, recipient, expiry, replay, rollback */
	AIRLOCK_INBOX_TAMPERED,   /* signature, hash or format check failed */
	AIRLOCK_INBOX_IMPORTED,   /* this bundle was already imported */
	AIRLOCK_INBOX_ERROR,      /* could not be read (I/O) */
};
/* "ready", "gap", "refused", "tampered", "already imported", "error". */
const char *airlock_inbox_state_name(enum airlock_inbox_state s);

/* The bundle's details. have_header is set once the signature verified and
 * bundle.json parsed (before that nothing is known: nothing was parsed);
 * have_changes once the manifest was read (verify, import). */
struct airlock_bundle_info {
	int have_header;
	char bundle_id[AIRLOCK_BUNDLE_ID_HEX + 1];
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t sequence;
	int has_base;                              /* 0: a full bundle */
	uint64_t base_version;
	uint8_t base_tree[AIRLOCK_HASH_BYTES];
	uint64_t target_version;
	uint8_t target_tree[AIRLOCK_HASH_BYTES];
	uint64_t target_files, target_bytes;       /* of the whole target tree */
	char signer_name[AIRLOCK_NAME_MAX + 1];    /* trusted name, "" if unknown */
	char signer_key_id[AIRLOCK_MINISIGN_KEYID_HEX];
	int64_t created, expires;                  /* unix seconds */
	uint64_t size;                             /* bytes of the bundle file */
	uint64_t payload_size;
	size_t nrecipients;
	int for_this_site;                         /* our recipient is listed */
	int have_changes;
	uint64_t files_added, files_changed, files_removed;
	uint64_t bytes_carried;                    /* bytes of the entries' new contents */
	/* The store as it was checked against (for GAP messages and receipts). */
	int store_has_feed;
	uint64_t store_version;
	uint8_t store_tree[AIRLOCK_HASH_BYTES];
};

struct airlock_verdict {
	enum airlock_code code;                    /* AIRLOCK_OK or why not */
	enum airlock_inbox_state state;
	char reason[512];                          /* "" when ok */
	char hint[256];
	struct airlock_bundle_info info;
};
/* Fills v with a blank verdict (code OK, state READY, no details). */
void airlock_verdict_init(struct airlock_verdict *v);

/* ---- Verify, import, inbox --------------------------------------------- */

/* The progress stages verify and import report, in order:
 * "signature" (container read + signature + policy), "hash" (payload
 * spooled and hashed; done/total in bytes), "decrypt", "apply" (entries
 * written to staging; done/total in entries), "check" (files hashed, tree
 * hash), "commit" (import only). Cancelling (progress->cancel or fn != 0)
 * stops at the next safe point with AIRLOCK_E_CANCELLED and leaves the
 * store exactly as it was. */
#define AIRLOCK_STAGE_SIGNATURE "signature"
#define AIRLOCK_STAGE_HASH "hash"
#define AIRLOCK_STAGE_DECRYPT "decrypt"
#define AIRLOCK_STAGE_APPLY "apply"
#define AIRLOCK_STAGE_CHECK "check"
#define AIRLOCK_STAGE_COMMIT "commit"

/* A bundle to read: a file, or a member of an ISO 9660 image (iso_member
 * not NULL: the path inside the image, read through libarchive). */
struct airlock_bundle_ref {
	char *path;
	char *iso_member;
};

/* The whole verification of one bundle, including a dry run of applying
 * it in a temporary directory; the store and catalog are never changed
 * (refused bundles are not quarantined by verify). The verdict is filled
 * whatever happens; the return value equals v->code (also recorded in
 * err). Needs an unlocked site key. Codes: AIRLOCK_E_VERIFY, _POLICY, _GAP,
 * _FAILED, _CANCELLED. */
enum airlock_code airlock_importer_verify(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, const struct airlock_progress *progress,
    struct airlock_verdict *v, struct airlock_err *err);

/* Verifies, applies and publishes one bundle atomically: on success the
 * feed's current tree is the target version, the catalog records it and
 * an audit row says so. On any failure the store is unchanged; a bundle
 * refused for verification or policy reasons (not GAP, not I/O, not
 * cancel) is copied to quarantine with its reason and audited. */
enum airlock_code airlock_importer_import(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, const struct airlock_progress *progress,
    struct airlock_verdict *v, struct airlock_err *err);

/* Quick check for an inbox: container, signature and policy (steps 1-3),
 * plus the payload hash when hash_payload is set (which reads the whole
 * bundle). Never decrypts; never changes anything. v->state gives the word.
 * Needs no site key. */
enum airlock_code airlock_importer_precheck(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, int hash_payload,
    const struct airlock_progress *progress, struct airlock_verdict *v,
    struct airlock_err *err);

/* The bundles found at path: a bundle file, every *.airlock / tar file in a
 * folder (not recursive), or every bundle inside an ISO 9660 image. Each
 * is prechecked (without hashing the payload) and the list is sorted in
 * the order to import: by feed, then sequence. A bundle whose base is the
 * target of a READY bundle before it in the list is shown READY too
 * (queued behind it). */
struct airlock_bundle_list {
	size_t n;
	struct airlock_bundle_list_item {
		struct airlock_bundle_ref ref;
		char name[256];                    /* file name for display */
		struct airlock_verdict verdict;
	} *items;
};
enum airlock_code airlock_importer_list_bundles(struct airlock_importer *im, const char *path,
    struct airlock_bundle_list **out, struct airlock_err *err);
void airlock_bundle_list_free(struct airlock_bundle_list *l);

/* ---- Store: status, receipt, history, rollback, prune, fsck ------------- */

struct airlock_feed_status {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t version;                          /* published version */
	uint8_t tree[AIRLOCK_HASH_BYTES];
	uint64_t files, bytes;
	uint64_t highest_version;                  /* highest ever accepted */
	uint64_t last_sequence;
	int64_t imported;                          /* when version was published */
	int64_t created;                           /* the bundle's created time */
	char signer_name[AIRLOCK_NAME_MAX + 1];
	char signer_key_id[AIRLOCK_MINISIGN_KEYID_HEX];
	char bundle_id[AIRLOCK_BUNDLE_ID_HEX + 1];
	char receipt[AIRLOCK_RECEIPT_MAX];
};
/* Every feed with a published version, sorted by name. *out malloc'd. */
enum airlock_code airlock_importer_status(struct airlock_importer *im,
    struct airlock_feed_status **out, size_t *n, struct airlock_err *err);
/* The receipt "FEED@VERSION:PREFIX" of a feed's published version.
 * feed NULL is allowed when the store holds exactly one feed. */
enum airlock_code airlock_importer_receipt(struct airlock_importer *im, const char *feed,
    char out[AIRLOCK_RECEIPT_MAX], struct airlock_err *err);

struct airlock_version_info {
	uint64_t version;
	uint8_t tree[AIRLOCK_HASH_BYTES];
	uint64_t files, bytes;
	int64_t imported;
	int64_t created;
	char bundle_id[AIRLOCK_BUNDLE_ID_HEX + 1];
	char signer_name[AIRLOCK_NAME_MAX + 1];
	char signer_key_id[AIRLOCK_MINISIGN_KEYID_HEX];
	int retained;                              /* its tree is still on disk */
	int published;                             /* it is feeds/NAME/current */
	/* What changed against the next older version (for the first version:
	 * every file added); has_changes is 0 when that version's file list
	 * is no longer in the catalog. */
	int has_changes;
	uint64_t added, changed, removed;
};
/* Versions of a feed, newest first, with their change summaries. *out malloc'd. */
enum airlock_code airlock_importer_history(struct airlock_importer *im, const char *feed,
    struct airlock_version_info **out, size_t *n, struct airlock_err *err);

/* Republishes a retained older version atomically (version 0: the newest
 * retained version older than the published one). The highest version
 * ever accepted is unchanged, so later bundles must still be newer than
 * it. Audited. */
enum airlock_code airlock_importer_rollback(struct airlock_importer *im, const char *feed,
    uint64_t version, uint64_t *published, struct airlock_err *err);

/* Keeps, per feed, the published version plus the `keep` newest other
 * versions on disk; removes older trees and the objects no retained
 * version uses. Counts go to *versions_removed / *objects_removed
 * (either may be NULL). Audited. */
enum airlock_code airlock_importer_prune(struct airlock_importer *im, unsigned keep,
    uint64_t *versions_removed, uint64_t *objects_removed, struct airlock_err *err);

struct airlock_fsck_problem {
	char what[32];        /* "object", "tree", "file", "current", "catalog" */
	char where[512];      /* object hash, "feed@version", or a path */
	char detail[256];     /* "content does not match its hash", ... */
};
/* Re-hashes every stored object and checks every retained tree and
 * published `current` link against the catalog (files present, regular,
 * read-only, same hash/size/mode; nothing extra; tree hash). Problems go
 * to *out (malloc'd, *n of them); the return is AIRLOCK_OK with *n == 0
 * when clean, AIRLOCK_E_VERIFY when any problem was found. Audited. */
enum airlock_code airlock_importer_fsck(struct airlock_importer *im,
    const struct airlock_progress *progress, struct airlock_fsck_problem **out, size_t *n,
    struct airlock_err *err);

/* ---- Quarantine --------------------------------------------------------- */

struct airlock_quarantine_item {
	uint64_t id;
	int64_t when;
	char source[512];        /* where the bundle came from (escaped) */
	char file[512];          /* the copy in HOME/quarantine/, "" if none */
	char code[16];           /* airlock_code_name */
	char reason[512];
	char bundle_id[AIRLOCK_BUNDLE_ID_HEX + 1];   /* "" if never parsed */
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	char signer_key_id[AIRLOCK_MINISIGN_KEYID_HEX];
};
/* Newest first. *out malloc'd. */
enum airlock_code airlock_importer_quarantine_list(struct airlock_importer *im,
    struct airlock_quarantine_item **out, size_t *n, struct airlock_err *err);
/* One item; AIRLOCK_E_FAILED if id is unknown. */
enum airlock_code airlock_importer_quarantine_show(struct airlock_importer *im, uint64_t id,
    struct airlock_quarantine_item *out, struct airlock_err *err);

/* ---- Audit log ---------------------------------------------------------- */

struct airlock_audit_row {
	uint64_t seq;
	int64_t when;
	char user[64];
	char event[32];          /* "import", "refuse", "trust-add", "trust-revoke",
	                            "rollback", "prune", "fsck", "keygen" */
	char bundle_id[AIRLOCK_BUNDLE_ID_HEX + 1];
	char key_id[AIRLOCK_MINISIGN_KEYID_HEX];
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	char from_version[24];   /* decimal or "" */
	char to_version[24];
	char result[16];         /* "ok" or airlock_code_name */
	char detail[512];
	uint8_t hash[AIRLOCK_HASH_BYTES];   /* chain hash of this row */
};
/* All rows, oldest first. *out malloc'd. */
enum airlock_code airlock_importer_audit_list(struct airlock_importer *im,
    struct airlock_audit_row **out, size_t *n, struct airlock_err *err);
/* Recomputes the hash chain; AIRLOCK_E_VERIFY naming the first row that was
 * edited, inserted or deleted (or the end of the log truncated below the
 * count recorded in the catalog). *rows gets the number of rows checked. */
enum airlock_code airlock_importer_audit_verify(struct airlock_importer *im, uint64_t *rows,
    struct airlock_err *err);

#endif
