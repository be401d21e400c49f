/* importer_import.c - the verify, import and precheck entry points: open
 * the source, run the steps of importer_verify.c, decrypt and apply, and
 * for an import commit and publish; refused bundles go to quarantine. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/age.h"
#include "airlock/apply.h"
#include "airlock/audit.h"
#include "airlock/fault.h"
#include "airlock/manifest.h"
#include "airlock/payload.h"
#include "airlock/store.h"
#include "importer_int.h"
#include "importer_run.h"

#define ISO_CHUNK (1024 * 1024)

static enum airlock_code make_work(struct run *r)
{
	if (airlock_path(r->work, sizeof r->work, r->err, "%s/staging/run-XXXXXX", r->im->home) != AIRLOCK_OK)
		return r->err->code;
	if (mkdtemp(r->work) == NULL) {
		airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot create a staging directory");
		if (errno == EROFS)
			airlock_hint(r->err, "the store is read-only; remount it read-write");
		r->work[0] = '\0';
		return r->err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code iso_copy(struct run *r, struct archive *a, int out)
{
	char *buf = malloc(ISO_CHUNK);
	if (buf == NULL)
		return airlock_fail(r->err, AIRLOCK_E_NOMEM, "out of memory");
	la_ssize_t n;
	enum airlock_code rc = AIRLOCK_OK;
	while (rc == AIRLOCK_OK && (n = archive_read_data(a, buf, ISO_CHUNK)) != 0) {
		if (n < 0)
			rc = airlock_fail(r->err, AIRLOCK_E_FAILED, "cannot read the disc image: %s",
			    archive_error_string(a));
		else
			rc = airlock_write_all(out, buf, (size_t)n, "the spooled bundle", r->err);
	}
	free(buf);
	return rc;
}

/* Copies an ISO 9660 member into the work directory: the medium is read
 * once, and the container reader needs a regular file. */
static enum airlock_code iso_extract(struct run *r, const char *dst)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int found = 0;
	enum airlock_code rc = AIRLOCK_OK;
	if (a == NULL)
		return airlock_fail(r->err, AIRLOCK_E_NOMEM, "out of memory");
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, r->ref->path, 64 * 1024) != ARCHIVE_OK) {
		rc = airlock_fail(r->err, AIRLOCK_E_FAILED, "cannot read disc image: %s",
		    archive_error_string(a));
		goto out;
	}
	while (!found && archive_read_next_header(a, &e) == ARCHIVE_OK)
		found = archive_entry_filetype(e) == AE_IFREG &&
		    strcmp(archive_entry_pathname(e), r->ref->iso_member) == 0;
	if (!found) {
		rc = airlock_fail(r->err, AIRLOCK_E_FAILED, "the disc image has no bundle '%s'",
		    r->ref->iso_member);
		goto out;
	}
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", dst);
		goto out;
	}
	rc = iso_copy(r, a, fd);
	close(fd);
out:
	archive_read_free(a);
	return rc;
}

static enum airlock_code open_source(struct run *r)
{
	char p[PATH_MAX];
	const char *path = r->ref->path;
	struct stat st;
	if (r->ref->iso_member != NULL) {
		if ((r->work[0] == '\0' && make_work(r) != AIRLOCK_OK) ||
		    airlock_path(p, sizeof p, r->err, "%s/bundle", r->work) != AIRLOCK_OK ||
		    iso_extract(r, p) != AIRLOCK_OK)
			return r->err->code;
		path = p;
	}
	/* O_NONBLOCK: a FIFO or device must not hang the open; it is refused below. */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (r->fd < 0) {
		r->v->state = AIRLOCK_INBOX_ERROR;
		return airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", path);
	}
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r->v->state = AIRLOCK_INBOX_ERROR;
		return airlock_fail(r->err, AIRLOCK_E_FAILED, "'%s' is not a regular file", path);
	}
	return AIRLOCK_OK;
}

/* ---- step 5 and 6 ---- */

static enum airlock_code load_base(struct run *r)
{
	if (!r->h.has_base)
		return AIRLOCK_OK;
	return airlock_store_version_tree(r->im->store, r->h.feed, r->h.base_version, &r->base, r->err);
}

static enum airlock_code open_payload(struct run *r, int *spool, struct airlock_age_reader **ar,
    struct airlock_payload_reader **pr)
{
	struct airlock_payload_limits lim = { r->h.window_log, r->h.unpacked_bytes, r->h.entries };
	if (lseek(*spool, 0, SEEK_SET) != 0)
		return airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot rewind the spool");
	if (airlock_age_reader_new(ar, airlock_source_fd(spool), r->im->identity, r->err) != AIRLOCK_OK)
		return r->err->code;
	airlock_fault_point("decrypt.open");
	return airlock_payload_reader_new(pr, airlock_age_reader_source(*ar), &lim, r->err);
}

static enum airlock_code check_result(struct run *r)
{
	uint8_t th[AIRLOCK_HASH_BYTES];
	struct airlock_bundle_info *in = &r->v->info;
	if (airlock_progress_step(r->progress, AIRLOCK_STAGE_CHECK, 0, 1, r->err) != AIRLOCK_OK)
		return r->err->code;
	in->have_changes = 1;
	in->files_added = r->res.added;
	in->files_changed = r->res.changed;
	in->files_removed = r->res.removed;
	in->bytes_carried = r->res.bytes;
	airlock_tree_hash(r->res.target, th);
	if (sodium_memcmp(th, r->h.target_tree, AIRLOCK_HASH_BYTES) != 0 ||
	    airlock_tree_count(r->res.target) != r->h.target_files ||
	    airlock_tree_total_bytes(r->res.target) != r->h.target_bytes)
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "the tree hash of the result does not match"
		    " the signed target tree");
	airlock_fault_point("check.done");
	return airlock_progress_step(r->progress, AIRLOCK_STAGE_CHECK, 1, 1, r->err);
}

static enum airlock_code decrypt_apply(struct run *r, int spool)
{
	struct airlock_age_reader *ar = NULL;
	struct airlock_payload_reader *pr = NULL;
	struct airlock_manifest *m = NULL;
	const char *json;
	size_t jlen;
	char blobs[PATH_MAX];
	if (r->im->identity == NULL) {
		airlock_fail(r->err, AIRLOCK_E_FAILED, "the site key is locked");
		airlock_hint(r->err, "unlock it with its passphrase first");
		return r->err->code;
	}
	if (airlock_progress_step(r->progress, AIRLOCK_STAGE_DECRYPT, 0, 1, r->err) != AIRLOCK_OK)
		return r->err->code;
	enum airlock_code rc = open_payload(r, &spool, &ar, &pr);
	if (rc == AIRLOCK_OK) {
		airlock_payload_reader_manifest(pr, &json, &jlen);
		rc = airlock_manifest_parse(&m, json, jlen, &r->h, r->err);
	}
	if (rc == AIRLOCK_OK)
		rc = load_base(r);
	if (rc == AIRLOCK_OK && airlock_path(blobs, sizeof blobs, r->err, "%s/blobs", r->work) == AIRLOCK_OK &&
	    mkdir(blobs, 0700) != 0)
		rc = airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", blobs);
	if (rc == AIRLOCK_OK)
		rc = airlock_apply(pr, m, r->base, airlock_store_objects(r->im->store), r->h.window_log,
		    blobs, r->progress, &r->res, r->err);
	airlock_manifest_free(m);
	airlock_payload_reader_free(pr);
	airlock_age_reader_free(ar);
	if (rc != AIRLOCK_OK)
		return r->err->code ? r->err->code : rc;
	return check_result(r);
}

/* ---- step 7: commit ---- */

static enum airlock_code adopt_blobs(struct run *r, uint8_t *fresh)
{
	char p[PATH_MAX];
	size_t moved = 0;
	struct airlock_objstore *os = airlock_store_objects(r->im->store);
	/* the blobs' data is already synced (airlock_apply ends with syncfs):
	 * the renames become durable with one sync below, not an fsync each */
	airlock_objstore_set_deferred(os, 1);
	for (size_t i = 0; i < r->res.nblobs; i++) {
		const struct airlock_apply_blob *b = &r->res.blobs[i];
		fresh[i] = !airlock_objstore_has(os, b->hash);
		if (airlock_path(p, sizeof p, r->err, "%s/blobs/%s", r->work, b->name) != AIRLOCK_OK ||
		    airlock_objstore_adopt(os, p, b->hash, r->err) != AIRLOCK_OK)
			break;
		moved += fresh[i];
		airlock_fault_point("commit.adopt");
	}
	airlock_objstore_set_deferred(os, 0);
	if (moved > 0 && r->err->code == AIRLOCK_OK)
		airlock_objstore_sync(os, r->err);
	return r->err->code;
}

/* Undoes adopt_blobs after a failure: objects no version uses yet. */
static void drop_fresh(struct run *r, const uint8_t *fresh)
{
	struct airlock_err ignore;
	for (size_t i = 0; i < r->res.nblobs; i++) {
		airlock_err_init(&ignore);
		if (fresh[i])
			(void)airlock_objstore_remove(airlock_store_objects(r->im->store),
			    r->res.blobs[i].hash, &ignore);
	}
}

static enum airlock_code record(struct run *r)
{
	struct airlock_bundle_info *in = &r->v->info;
	char fv[24] = "", tv[24], detail[160];
	struct airlock_store_version_meta meta = { .bundle_id = in->bundle_id,
	    .sequence = r->h.sequence, .created = r->h.created, .signer_name = in->signer_name,
	    .key_id = r->key_id };
	if (r->h.has_base)
		snprintf(fv, sizeof fv, "%llu", (unsigned long long)r->h.base_version);
	snprintf(tv, sizeof tv, "%llu", (unsigned long long)r->h.target_version);
	snprintf(detail, sizeof detail, "signer %s; %llu added, %llu changed, %llu removed",
	    in->signer_name, (unsigned long long)in->files_added,
	    (unsigned long long)in->files_changed, (unsigned long long)in->files_removed);
	struct airlock_audit_event ev = { .event = "import", .bundle_id = in->bundle_id,
	    .key_id = r->key_id, .feed = r->h.feed, .from_version = fv, .to_version = tv,
	    .result = "ok", .detail = detail };
	if (airlock_store_begin(r->im->store, r->err) != AIRLOCK_OK)
		return r->err->code;
	if (airlock_store_version_add(r->im->store, r->h.feed, r->h.target_version, r->res.target,
	    &meta, r->err) != AIRLOCK_OK ||
	    airlock_audit_append(airlock_store_db(r->im->store), &ev, r->err) != AIRLOCK_OK) {
		airlock_store_rollback(r->im->store);
		return r->err->code;
	}
	return airlock_store_commit(r->im->store, r->err);
}

static enum airlock_code commit(struct run *r)
{
	uint64_t pruned;
	struct airlock_err ignore;
	uint8_t *fresh = calloc(r->res.nblobs ? r->res.nblobs : 1, 1);
	if (fresh == NULL)
		return airlock_fail(r->err, AIRLOCK_E_NOMEM, "out of memory");
	airlock_fault_point("commit.start");
	enum airlock_code rc = airlock_progress_step(r->progress, AIRLOCK_STAGE_COMMIT, 0, 1, r->err);
	if (rc == AIRLOCK_OK)
		rc = adopt_blobs(r, fresh);
	if (rc == AIRLOCK_OK)
		rc = airlock_store_materialize(r->im->store, r->h.feed, r->h.target_version,
		    r->res.target, r->err);
	if (rc == AIRLOCK_OK)
		rc = record(r);
	if (rc != AIRLOCK_OK) {
		char vdir[PATH_MAX];
		airlock_err_init(&ignore);
		if (airlock_store_version_dir(r->im->store, r->h.feed, r->h.target_version, vdir,
		    sizeof vdir, &ignore) == AIRLOCK_OK)
			(void)airlock_remove_tree(vdir, &ignore);
		drop_fresh(r, fresh);
		free(fresh);
		return rc;
	}
	free(fresh);
	/* Committed: from here on the import has happened; a failure to
	 * publish is repaired when the store is next opened. */
	if (airlock_store_publish(r->im->store, r->h.feed, r->h.target_version, r->err) != AIRLOCK_OK)
		return r->err->code;
	airlock_err_init(&ignore);
	(void)importer_prune_trees(r->im, AIRLOCK_IMPORTER_KEEP_DEFAULT, &pruned, &ignore);
	return airlock_progress_step(r->progress, AIRLOCK_STAGE_COMMIT, 1, 1, r->err);
}

/* ---- the runs ---- */

static enum airlock_code spool_and_apply(struct run *r)
{
	char p[PATH_MAX];
	int out;
	if ((r->work[0] == '\0' && make_work(r) != AIRLOCK_OK) ||
	    airlock_path(p, sizeof p, r->err, "%s/payload.age", r->work) != AIRLOCK_OK)
		return r->err->code;
	out = open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", p);
	enum airlock_code rc = importer_run_spool(r, out);
	if (rc == AIRLOCK_OK) {
		/* The medium is not read again. */
		close(r->fd);
		r->fd = -1;
		rc = decrypt_apply(r, out);
	}
	close(out);
	if (rc == AIRLOCK_OK && r->mode == RUN_IMPORT)
		rc = commit(r);
	return rc;
}

static void run_release(struct run *r)
{
	struct airlock_err ignore;
	airlock_err_init(&ignore);
	if (r->fd >= 0)
		close(r->fd);
	airlock_container_free(r->c);
	if (r->have_h)
		airlock_header_release(&r->h);
	airlock_apply_result_release(&r->res);
	airlock_tree_free(r->base);
	if (r->work[0] != '\0')
		(void)airlock_remove_tree(r->work, &ignore);
}

static void finish_verdict(struct run *r, enum airlock_code rc)
{
	struct airlock_verdict *v = r->v;
	v->code = rc;
	if (rc == AIRLOCK_OK) {
		v->state = AIRLOCK_INBOX_READY;
		return;
	}
	snprintf(v->reason, sizeof v->reason, "%s", r->err->msg);
	snprintf(v->hint, sizeof v->hint, "%s", r->err->hint);
	if (rc == AIRLOCK_E_VERIFY && v->state != AIRLOCK_INBOX_IMPORTED)
		v->state = AIRLOCK_INBOX_TAMPERED;
	else if (rc == AIRLOCK_E_GAP)
		v->state = AIRLOCK_INBOX_GAP;
	else if (rc == AIRLOCK_E_POLICY && v->state != AIRLOCK_INBOX_IMPORTED)
		v->state = AIRLOCK_INBOX_REFUSED;
	else if (rc != AIRLOCK_E_VERIFY && rc != AIRLOCK_E_POLICY)
		v->state = AIRLOCK_INBOX_ERROR;
}

static void quarantine(struct run *r)
{
	char src[PATH_MAX + 300], copy[PATH_MAX];
	struct airlock_err ignore;
	airlock_err_init(&ignore);
	if (r->ref->iso_member != NULL) {
		snprintf(src, sizeof src, "%s:%s", r->ref->path, r->ref->iso_member);
		if (airlock_path(copy, sizeof copy, &ignore, "%s/bundle", r->work) != AIRLOCK_OK)
			copy[0] = '\0';
	} else {
		snprintf(src, sizeof src, "%s", r->ref->path);
		snprintf(copy, sizeof copy, "%s", r->ref->path);
	}
	importer_quarantine(r->im, src, copy[0] ? copy : NULL, r->v);
}

/* A gap changes nothing and is not quarantined (the bundle is fine, the
 * site is behind), but the attempt is audited. */
static void audit_gap(struct run *r)
{
	char tv[24];
	struct airlock_err ignore;
	airlock_err_init(&ignore);
	snprintf(tv, sizeof tv, "%llu", (unsigned long long)r->v->info.target_version);
	struct airlock_audit_event ev = { .event = "gap", .bundle_id = r->v->info.bundle_id,
	    .key_id = r->v->info.signer_key_id, .feed = r->v->info.feed, .to_version = tv,
	    .result = "gap", .detail = r->v->reason };
	(void)airlock_audit_append(airlock_store_db(r->im->store), &ev, &ignore);
}

static enum airlock_code run(struct airlock_importer *im, const struct airlock_bundle_ref *ref,
    enum run_mode mode, int hash_payload, const struct airlock_progress *progress,
    struct airlock_verdict *v, struct airlock_err *err)
{
	struct run r = { .im = im, .ref = ref, .progress = progress, .v = v, .err = err,
	    .mode = mode, .fd = -1 };
	airlock_verdict_init(v);
	enum airlock_code rc = open_source(&r);
	if (rc == AIRLOCK_OK)
		rc = importer_run_check(&r);
	if (rc == AIRLOCK_OK && mode == RUN_PRECHECK && hash_payload)
		rc = importer_run_spool(&r, -1);
	else if (rc == AIRLOCK_OK && mode != RUN_PRECHECK)
		rc = spool_and_apply(&r);
	finish_verdict(&r, rc);
	if (mode == RUN_IMPORT && (rc == AIRLOCK_E_VERIFY || rc == AIRLOCK_E_POLICY) &&
	    v->state != AIRLOCK_INBOX_IMPORTED)
		quarantine(&r);
	if (mode == RUN_IMPORT && rc == AIRLOCK_E_GAP)
		audit_gap(&r);
	run_release(&r);
	return rc;
}

/* An import holds the home's lock exclusively; a verify or precheck shares
 * it, since both work in spool/ and staging/, which crash repair at open
 * empties only when nobody holds the lock. */
static enum airlock_code run_locked(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, enum run_mode mode, int hash_payload,
    const struct airlock_progress *progress, struct airlock_verdict *v, struct airlock_err *err)
{
	int lock = importer_lock(im, mode != RUN_IMPORT, err);
	if (lock < 0) {
		airlock_verdict_init(v);
		v->code = err->code;
		snprintf(v->reason, sizeof v->reason, "%s", err->msg);
		return err->code;
	}
	enum airlock_code rc = run(im, ref, mode, hash_payload, progress, v, err);
	importer_unlock(lock);
	return rc;
}

enum airlock_code airlock_importer_verify(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, const struct airlock_progress *progress,
    struct airlock_verdict *v, struct airlock_err *err)
{
	return run_locked(im, ref, RUN_VERIFY, 1, progress, v, err);
}

enum airlock_code airlock_importer_import(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, const struct airlock_progress *progress,
    struct airlock_verdict *v, struct airlock_err *err)
{
	return run_locked(im, ref, RUN_IMPORT, 1, progress, v, err);
}

enum airlock_code airlock_importer_precheck(struct airlock_importer *im,
    const struct airlock_bundle_ref *ref, int hash_payload,
    const struct airlock_progress *progress, struct airlock_verdict *v,
    struct airlock_err *err)
{
	return run_locked(im, ref, RUN_PRECHECK, hash_payload, progress, v, err);
}
