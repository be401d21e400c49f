/* importer_run.h - the state of one verify/import/precheck (not public). */
#ifndef AIRLOCK_IMPORTER_RUN_H
#define AIRLOCK_IMPORTER_RUN_H

#include <limits.h>

#include "airlock/apply.h"
#include "airlock/bundle.h"
#include "airlock/container.h"
#include "airlock/header.h"
#include "airlock/importer.h"
#include "airlock/store.h"
#include "importer_int.h"

enum run_mode { RUN_PRECHECK, RUN_VERIFY, RUN_IMPORT };

struct run {
	struct airlock_importer *im;
	const struct airlock_bundle_ref *ref;
	const struct airlock_progress *progress;
	struct airlock_verdict *v;
	struct airlock_err *err;
	enum run_mode mode;
	int fd;                                  /* the bundle (medium, or ISO member spooled) */
	struct airlock_container *c;
	char key_id[AIRLOCK_MINISIGN_KEYID_HEX];
	char trusted[AIRLOCK_MINISIGN_TRUSTED_MAX];
	struct airlock_bundle_header h;
	int have_h;
	struct airlock_store_feed feed;
	char work[PATH_MAX];                     /* staging/run-XXXXXX */
	struct airlock_apply_result res;
	struct airlock_tree *base;
};

/* Steps 1-3: container, signature, header, policy. */
enum airlock_code importer_run_check(struct run *r);
/* Step 4: payload.age hashed (whole and segments) and copied to out if >= 0. */
enum airlock_code importer_run_spool(struct run *r, int out);

#endif
