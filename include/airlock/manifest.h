/* airlock/manifest.h - MANIFEST.json, the first member of the payload tar:
 * which paths a bundle removes, how each new or changed entry is carried
 * (whole, copy, delta, symlink) and which delta frames exist
 * (doc/bundle-format.md, "MANIFEST.json"). Written compact (it is
 * compressed with the rest of the payload); read strictly. */
#ifndef AIRLOCK_MANIFEST_H
#define AIRLOCK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/header.h"
#include "airlock/plan.h"
#include "airlock/tree.h"

/* MANIFEST.json at most 256 MiB: about a million entries with long paths. */
#define AIRLOCK_MANIFEST_JSON_MAX (UINT64_C(256) << 20)
/* Paths in removed, at most (bounds memory of a hostile manifest). */
#define AIRLOCK_MANIFEST_REMOVED_MAX (UINT64_C(4) << 20)
/* A frame's target and the sum of its bases: at most 2 GiB. */
#define AIRLOCK_MANIFEST_FRAME_MAX (UINT64_C(1) << 31)

/* Writes MANIFEST.json for plan into a malloc'd NUL-terminated buffer
 * (*len excludes the NUL). feed, base and target (with files and bytes)
 * come from hdr; nothing else of hdr is used. Compact JSON, keys in the
 * order of the spec, default values left out. Offsets and frame bases are
 * not written but derived by the reader, so a plan whose frames do not
 * follow the planner's rule (members in entry order at cumulative offsets,
 * bases = the members' `base` in order, repeats dropped) is refused with
 * AIRLOCK_E_FAILED ("internal"). */
enum airlock_code airlock_manifest_write(const struct airlock_plan *plan,
    const struct airlock_bundle_header *hdr, char **json, size_t *len,
    struct airlock_err *err);

struct airlock_manifest;   /* opaque, owns everything the accessors return */

/* One entry, read-only, valid while the manifest lives. */
struct airlock_manifest_entry {
	const char *path;                  /* checked by airlock_tree_path_check */
	enum airlock_entry_type type;
	enum airlock_plan_source source;   /* WHOLE, COPY, DELTA or SYMLINK */
	uint32_t mode;                     /* 0644/0755; 0777 for symlinks */
	uint64_t size;                     /* file size; link target length */
	const char *from;                  /* COPY: base path, else NULL */
	size_t frame;                      /* DELTA: frame index */
	uint64_t offset;                   /* DELTA: offset in the frame output
	                                      (derived: sizes of the frame's
	                                      earlier members) */
	const char *link_target;           /* SYMLINK: target text, else NULL */
	const char *base;                  /* DELTA: its base path ("base", else
	                                      its own path), else NULL */
};

struct airlock_manifest_frame {
	const char *name;                  /* "deltas/000000.zst" */
	const char *const *bases;          /* base paths, concatenated in order: the
	                                      members' bases, first uses only */
	size_t nbases;
	uint64_t size;                     /* bytes the frame decodes to */
	size_t first_member;               /* index of its first entry */
	size_t nmembers;                   /* entries referencing it (contiguous offsets) */
};

/* Parses untrusted bytes (no I/O; a fuzz target) and checks them against
 * hdr (already verified): feed, base and target must equal the header's,
 * and the entry count may not exceed target.files. Strict: unknown,
 * missing or duplicate keys, wrong types, paths failing
 * airlock_tree_path_check, removed/entries not sorted and distinct (also
 * across the two lists), a symlink target that is absolute or climbs out
 * of the tree, an explicit default ("type":"file", "mode":"0644", a
 * delta "base" equal to its own path), a frame referenced by no entry,
 * member sizes that do not sum to the frame size, a frame over 2 GiB,
 * frame names other than deltas/NNNNNN.zst in order, and
 * whole + frames + 1 != hdr->entries. Offsets and each frame's bases are
 * derived (doc/bundle-format.md). AIRLOCK_E_VERIFY with a message naming
 * the entry. */
enum airlock_code airlock_manifest_parse(struct airlock_manifest **out, const char *json,
    size_t len, const struct airlock_bundle_header *hdr, struct airlock_err *err)
    __attribute__((warn_unused_result));
void airlock_manifest_free(struct airlock_manifest *m);   /* NULL is a no-op */

size_t airlock_manifest_removed_count(const struct airlock_manifest *m);
const char *airlock_manifest_removed_at(const struct airlock_manifest *m, size_t i);
size_t airlock_manifest_entry_count(const struct airlock_manifest *m);
const struct airlock_manifest_entry *airlock_manifest_entry_at(const struct airlock_manifest *m,
    size_t i);
size_t airlock_manifest_frame_count(const struct airlock_manifest *m);
const struct airlock_manifest_frame *airlock_manifest_frame_at(const struct airlock_manifest *m,
    size_t i);
/* Number of entries with source WHOLE (each is a files/<path> tar member). */
size_t airlock_manifest_whole_count(const struct airlock_manifest *m);

#endif
