/* airlock/tree.h - a feed version's file tree: sorted entries of path, mode,
 * size and content hash, and the tree hash over them that both sides compute
 * the same way (see airlock-bundle(5), "Tree hash").
 *
 * Entry paths are relative, '/'-separated, valid UTF-8, with no empty, "."
 * or ".." component, no control characters or backslash, at most 4095 bytes
 * (255 per component). Only regular files and symlinks are entries;
 * directories are implied by paths. */
#ifndef AIRLOCK_TREE_H
#define AIRLOCK_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/hash.h"
#include "airlock/io.h"

#define AIRLOCK_PATH_MAX 4095
#define AIRLOCK_FILE_SIZE_MAX (UINT64_C(4) << 30)  /* files over 4 GiB are refused */

enum airlock_entry_type { AIRLOCK_ENTRY_FILE, AIRLOCK_ENTRY_SYMLINK };

struct airlock_tree_entry {
	char *path;
	enum airlock_entry_type type;
	uint32_t mode;              /* 0644 or 0755 for files, 0777 for symlinks */
	uint64_t size;              /* file size, or length of the link target */
	uint8_t hash[AIRLOCK_HASH_BYTES];  /* of the contents, or of the link target */
	char *link_target;          /* symlinks only, else NULL */
};

struct airlock_tree;   /* opaque, owns its entries */
struct airlock_objstore;

struct airlock_tree *airlock_tree_new(void);   /* NULL when out of memory */
void airlock_tree_free(struct airlock_tree *t);

/* Adds a copy of e (path and link target are copied); the tree is re-sorted
 * lazily. Duplicate paths are refused by airlock_tree_finish. */
enum airlock_code airlock_tree_add(struct airlock_tree *t, const struct airlock_tree_entry *e,
    struct airlock_err *err);
/* Sorts by path (bytewise) and checks for duplicates and for a path that is
 * both a file and a directory ("a" and "a/b"). Must be called after adding. */
enum airlock_code airlock_tree_finish(struct airlock_tree *t, struct airlock_err *err);

size_t airlock_tree_count(const struct airlock_tree *t);
const struct airlock_tree_entry *airlock_tree_at(const struct airlock_tree *t, size_t i);
/* Binary search on a finished tree; NULL when absent. */
const struct airlock_tree_entry *airlock_tree_find(const struct airlock_tree *t, const char *path);
uint64_t airlock_tree_total_bytes(const struct airlock_tree *t);   /* sum of file sizes */

/* The tree hash of a finished tree. */
void airlock_tree_hash(const struct airlock_tree *t, uint8_t out[AIRLOCK_HASH_BYTES]);

/* Checks one relative path against the rules above; returns 0 or -1 and a
 * reason ("is not valid UTF-8", ...) in *why. */
int airlock_tree_path_check(const char *path, size_t len, const char **why);

/* Reads the directory dir into a new finished tree, never following
 * symlinks. Every regular file is read once: hashed and, when store is not
 * NULL, copied into the object store in the same pass. Refuses (with a
 * message naming the path) special files, names that are not valid paths,
 * files over 4 GiB, symlinks that are absolute or point outside the tree,
 * and an empty tree. A file whose size or mtime changes while it is read is
 * read again, up to 3 times, then refused. Uses both cores. */
enum airlock_code airlock_tree_scan(struct airlock_tree **out, const char *dir,
    struct airlock_objstore *store, const struct airlock_progress *progress,
    struct airlock_err *err);

#endif
