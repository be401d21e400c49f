/* airlock/plan.h - the delta plan: how each entry of a target version is
 * carried from a base version (unchanged, copied, delta-coded, or whole).
 * The plan is what MANIFEST.json describes (doc/bundle-format.md) and what
 * the payload writer encodes. Read the struct fields; create and free with
 * the functions below. */
#ifndef AIRLOCK_PLAN_H
#define AIRLOCK_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/objstore.h"
#include "airlock/tree.h"

enum airlock_plan_source {
	AIRLOCK_SRC_WHOLE,      /* data travels as files/<path> */
	AIRLOCK_SRC_COPY,       /* same bytes as base entry `from` */
	AIRLOCK_SRC_DELTA,      /* bytes [offset, offset+size) of frame `frame` */
	AIRLOCK_SRC_SYMLINK,    /* a symlink; target text in the tree entry */
};

struct airlock_plan_entry {
	const struct airlock_tree_entry *target;   /* entry of the target tree */
	enum airlock_plan_source source;
	const struct airlock_tree_entry *from;     /* COPY: entry of the base tree */
	size_t frame;                              /* DELTA: index into frames */
	uint64_t offset;                           /* DELTA: offset in the frame output */
	const struct airlock_tree_entry *base;     /* DELTA: its base entry, one of the
	                                              frame's bases (MANIFEST.json names
	                                              it only when its path differs) */
};

struct airlock_plan_frame {
	const struct airlock_tree_entry **bases;   /* base entries, concatenated in order:
	                                              the members' bases in member order,
	                                              each only at its first use */
	size_t nbases;
	uint64_t base_size;                        /* sum of their sizes (> 0) */
	size_t *members;                           /* indices into entries, in order */
	size_t nmembers;
	uint64_t size;                             /* sum of the members' sizes */
};

struct airlock_plan {
	const struct airlock_tree_entry **removed; /* base entries absent from target, sorted */
	size_t nremoved;
	struct airlock_plan_entry *entries;        /* new or changed entries, sorted by path */
	size_t nentries;
	struct airlock_plan_frame *frames;
	size_t nframes;
};

/* Default group budget (see group_max): what is left of the memory target's
 * fixed part once the program, the outer compressor and reasonable encoder
 * tables are paid for goes to grouping files, which shares their context. */
#define AIRLOCK_PLAN_GROUP_EXTRA (UINT64_C(32) << 20)
#define AIRLOCK_PLAN_GROUP_MIN (UINT64_C(24) << 20)

struct airlock_plan_options {
	int level;                 /* zstd level for delta frames; 19 by default */
	uint64_t group_max;        /* bytes of targets + bases one frame may hold (0:
	                              from the memory target: 2 x the largest file
	                              delta-coded + AIRLOCK_PLAN_GROUP_EXTRA, at least
	                              AIRLOCK_PLAN_GROUP_MIN); bounds the coder's memory */
	uint64_t content_scan_max; /* base bytes the planner may read to find a new
	                              file's base by content (0: 256 MiB); past it,
	                              only base files gone from the target (renames,
	                              moves) are read, so a large feed's work stays
	                              proportional to what changed */
};

/* The memory target of the bundle step (issue 3): peak memory below 64 MiB
 * plus twice the largest file being delta-coded. The planner sizes its
 * groups from it and the payload writer its encoders. */
#define AIRLOCK_MEMORY_BASE (UINT64_C(64) << 20)

/* The largest file (target or base) a frame of p codes; 0 if none. */
uint64_t airlock_plan_largest_delta(const struct airlock_plan *p);
/* AIRLOCK_MEMORY_BASE + 2 x airlock_plan_largest_delta(p). */
uint64_t airlock_plan_memory_bound(const struct airlock_plan *p);

/* Plans target against base (NULL for a full bundle: every file whole).
 * Base and target trees must stay alive while the plan is used. File
 * contents are read from os (both versions' objects must be in it).
 * Entries identical in path, type, mode and hash are unchanged and do not
 * appear. */
enum airlock_code airlock_plan_make(struct airlock_plan **out, const struct airlock_tree *base,
    const struct airlock_tree *target, const struct airlock_objstore *os,
    const struct airlock_plan_options *opt, const struct airlock_progress *progress,
    struct airlock_err *err);
void airlock_plan_free(struct airlock_plan *p);

#endif
