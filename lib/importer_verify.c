/* importer_verify.c - verify and import one bundle, in exactly the order of
 * DESIGN.md "Verification order on the importer":
 *   1 container (first two members only)  2 signature by a trusted key
 *   3 header + policy  4 payload spooled and hashed  5 decrypt + apply
 *   6 hash every file, tree hash  7 commit (import only). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/apply.h"
#include "airlock/audit.h"
#include "airlock/bundle.h"
#include "airlock/container.h"
#include "airlock/encoding.h"
#include "airlock/fault.h"
#include "airlock/header.h"
#include "airlock/manifest.h"
#include "airlock/payload.h"
#include "airlock/store.h"
#include "importer_int.h"
#include "importer_run.h"

#define SPOOL_CHUNK (1024 * 1024)

static enum airlock_code policy(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum airlock_code policy(struct run *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->v->state = AIRLOCK_INBOX_REFUSED;
	return airlock_fail(r->err, AIRLOCK_E_POLICY, "%s", msg);
}

/* ---- step 1 and 2: container and signature ---- */

struct signer_row {
	char name[AIRLOCK_NAME_MAX + 1];
	char feeds[1024];
	struct airlock_minisign_pub pub;
	int revoked;
	int found;
};

static enum airlock_code find_signer(struct run *r, const char *kid, struct signer_row *s)
{
	sqlite3 *db = airlock_store_db(r->im->store);
	sqlite3_stmt *st = NULL;
	char text[200];
	memset(s, 0, sizeof *s);
	if (sqlite3_prepare_v2(db, "SELECT name, feeds, pubkey, revoked FROM signers WHERE key_id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return airlock_fail(r->err, AIRLOCK_E_FAILED, "catalog: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->found = 1;
		importer_col_text(st, 0, s->name, sizeof s->name);
		importer_col_text(st, 1, s->feeds, sizeof s->feeds);
		snprintf(text, sizeof text, "untrusted comment: trusted\n%s\n", sqlite3_column_text(st, 2));
		s->revoked = sqlite3_column_int(st, 3);
	}
	sqlite3_finalize(st);
	if (s->found && airlock_minisign_pub_parse(&s->pub, text, strlen(text), r->err) != AIRLOCK_OK)
		return airlock_fail(r->err, AIRLOCK_E_FAILED, "catalog: the key of '%s' is damaged", s->name);
	return AIRLOCK_OK;
}

static enum airlock_code check_signature(struct run *r, struct signer_row *s)
{
	size_t jlen, slen;
	const char *json = airlock_container_json(r->c, &jlen);
	const char *sig = airlock_container_sig(r->c, &slen);
	uint8_t id[AIRLOCK_MINISIGN_KEYID_BYTES];
	char trusted[AIRLOCK_MINISIGN_TRUSTED_MAX];
	r->v->state = AIRLOCK_INBOX_TAMPERED;
	if (airlock_minisign_sig_key_id(id, sig, slen, r->err) != AIRLOCK_OK)
		return r->err->code = AIRLOCK_E_VERIFY;
	airlock_minisign_key_id_format(r->key_id, id);
	snprintf(r->v->info.signer_key_id, sizeof r->v->info.signer_key_id, "%s", r->key_id);
	if (find_signer(r, r->key_id, s) != AIRLOCK_OK)
		return r->err->code;
	if (!s->found) {
		policy(r, "bundle is signed by key %s, which this site does not trust", r->key_id);
		airlock_hint(r->err, "if the signer is genuine, add its public key with 'airlock-importer"
		    " trust add NAME KEY.pub --feeds PATTERN'");
		return r->err->code;
	}
	snprintf(r->v->info.signer_name, sizeof r->v->info.signer_name, "%s", s->name);
	if (airlock_minisign_verify(&s->pub, (const uint8_t *)json, jlen, sig, slen,
	    AIRLOCK_BUNDLE_UNTRUSTED_COMMENT, trusted, r->err) != AIRLOCK_OK) {
		r->err->code = AIRLOCK_E_VERIFY;
		airlock_hint(r->err, "the bundle was altered or damaged; do not import it");
		return AIRLOCK_E_VERIFY;
	}
	snprintf(r->trusted, sizeof r->trusted, "%s", trusted);
	return AIRLOCK_OK;
}

/* ---- step 3: header and policy ---- */

static void fill_info(struct run *r)
{
	struct airlock_bundle_info *in = &r->v->info;
	const struct airlock_bundle_header *h = &r->h;
	in->have_header = 1;
	airlock_hex_encode(in->bundle_id, h->bundle_id, AIRLOCK_BUNDLE_ID_BYTES);
	snprintf(in->feed, sizeof in->feed, "%s", h->feed);
	in->sequence = h->sequence;
	in->has_base = h->has_base;
	in->base_version = h->base_version;
	memcpy(in->base_tree, h->base_tree, AIRLOCK_HASH_BYTES);
	in->target_version = h->target_version;
	memcpy(in->target_tree, h->target_tree, AIRLOCK_HASH_BYTES);
	in->target_files = h->target_files;
	in->target_bytes = h->target_bytes;
	in->created = h->created;
	in->expires = h->expires;
	in->payload_size = h->payload_size;
	in->nrecipients = h->nrecipients;
}

static enum airlock_code parse_header(struct run *r)
{
	size_t jlen;
	const char *json = airlock_container_json(r->c, &jlen);
	char want[AIRLOCK_BUNDLE_TRUSTED_MAX], kid[17];
	if (airlock_header_parse(json, jlen, &r->h, r->err) != AIRLOCK_OK)
		return r->err->code = AIRLOCK_E_VERIFY;
	r->have_h = 1;
	fill_info(r);
	airlock_bundle_trusted_comment(want, r->h.created);
	airlock_header_key_id_format(kid, r->h.signer_key_id);
	if (strcmp(want, r->trusted) != 0)
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "the signature's trusted comment does not"
		    " match the header's created time");
	if (strcmp(kid, r->key_id) != 0)
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "the header names key %s but key %s signed it",
		    kid, r->key_id);
	if (airlock_container_mtime(r->c) != r->h.created)
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "the container's mtime is not the header's"
		    " created time");
	if (airlock_container_payload_size(r->c) != r->h.payload_size)
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "payload.age is not the size the header says");
	return AIRLOCK_OK;
}

static int feed_allowed(const char *patterns, const char *feed)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof buf, "%s", patterns);
	for (char *p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
		if (fnmatch(p, feed, 0) == 0)
			return 1;
	return 0;
}

static enum airlock_code check_recipient(struct run *r)
{
	char rcp[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	uint8_t pk[32];
	if (airlock_importer_recipient(r->im, rcp, r->err) != AIRLOCK_OK ||
	    airlock_age_recipient_parse(pk, rcp, r->err) != AIRLOCK_OK)
		return r->err->code;
	for (size_t i = 0; i < r->h.nrecipients; i++)
		if (memcmp(r->h.recipients[i], pk, 32) == 0)
			r->v->info.for_this_site = 1;
	if (!r->v->info.for_this_site) {
		policy(r, "this site (%s) is not among the bundle's %zu recipients", rcp, r->h.nrecipients);
		airlock_hint(r->err, "give the signer this site's recipient from site.recipient");
	}
	return r->err->code;
}

static enum airlock_code check_store(struct run *r)
{
	const struct airlock_bundle_header *h = &r->h;
	const struct airlock_store_feed *f = &r->feed;
	char have[AIRLOCK_RECEIPT_MAX];
	int seen = airlock_store_bundle_seen(r->im->store, r->v->info.bundle_id, r->err);
	if (seen < 0)
		return r->err->code;
	if (seen) {
		policy(r, "bundle %s was already imported (%s@%llu)", r->v->info.bundle_id, h->feed,
		    (unsigned long long)h->target_version);
		r->v->state = AIRLOCK_INBOX_IMPORTED;
		return r->err->code;
	}
	if (f->exists && h->created < f->last_created)
		return policy(r, "bundle was created before the newest bundle already accepted for '%s'",
		    h->feed);
	if (f->exists && h->sequence <= f->last_sequence)
		return policy(r, "bundle sequence %llu is not after %llu, the last accepted for '%s' (replay)",
		    (unsigned long long)h->sequence, (unsigned long long)f->last_sequence, h->feed);
	if (f->exists && h->target_version <= f->highest)
		return policy(r, "target version %llu is not newer than %llu, the highest accepted for"
		    " '%s' (rollback)", (unsigned long long)h->target_version,
		    (unsigned long long)f->highest, h->feed);
	if (f->exists && h->has_base && h->base_version == f->current &&
	    sodium_memcmp(h->base_tree, f->tree, AIRLOCK_HASH_BYTES) == 0)
		return AIRLOCK_OK;
	if (!f->exists && !h->has_base)
		return AIRLOCK_OK;
	r->v->state = AIRLOCK_INBOX_GAP;
	if (f->exists) {
		airlock_receipt_format(have, h->feed, f->current, f->tree);
		airlock_fail(r->err, AIRLOCK_E_GAP, "bundle needs %s@%llu%s but this site holds version"
		    " %llu", h->feed, (unsigned long long)h->base_version, h->has_base ? "" : " (none)",
		    (unsigned long long)f->current);
		airlock_hint(r->err, "carry this receipt to the signer: %s", have);
	} else {
		airlock_fail(r->err, AIRLOCK_E_GAP, "bundle needs %s@%llu but this site holds no version"
		    " of '%s'", h->feed, (unsigned long long)h->base_version, h->feed);
		airlock_hint(r->err, "ask the signer for a full bundle of '%s'", h->feed);
	}
	return AIRLOCK_E_GAP;
}

static enum airlock_code check_policy(struct run *r, const struct signer_row *s)
{
	const struct airlock_bundle_header *h = &r->h;
	struct airlock_bundle_info *in = &r->v->info;
	if (check_recipient(r) != AIRLOCK_OK)
		return r->err->code;
	if (!feed_allowed(s->feeds, h->feed))
		return policy(r, "signer '%s' may not publish feed '%s' (allowed: %s)", s->name, h->feed,
		    s->feeds);
	if (s->revoked)
		return policy(r, "signer '%s' (key %s) is revoked", s->name, r->key_id);
	if ((int64_t)time(NULL) > h->expires) {
		char when[AIRLOCK_TIME_LEN + 1];
		airlock_time_format(when, h->expires);
		policy(r, "bundle expired at %s", when);
		airlock_hint(r->err, "ask the signer for a fresh bundle");
		return r->err->code;
	}
	if (airlock_store_feed_get(r->im->store, h->feed, &r->feed, r->err) != AIRLOCK_OK)
		return r->err->code;
	in->store_has_feed = r->feed.exists;
	in->store_version = r->feed.current;
	memcpy(in->store_tree, r->feed.tree, AIRLOCK_HASH_BYTES);
	return check_store(r);
}

enum airlock_code importer_run_check(struct run *r)
{
	struct signer_row s;
	struct airlock_container_limits lim = { 0, 0 };
	struct stat st;
	if (fstat(r->fd, &st) == 0)
		r->v->info.size = (uint64_t)st.st_size;
	r->v->state = AIRLOCK_INBOX_TAMPERED;
	if (airlock_progress_step(r->progress, AIRLOCK_STAGE_SIGNATURE, 0, 1, r->err) != AIRLOCK_OK)
		return r->err->code;
	if (airlock_container_open(&r->c, r->fd, &lim, r->err) != AIRLOCK_OK) {
		if (r->err->code == AIRLOCK_E_FAILED)
			r->v->state = AIRLOCK_INBOX_ERROR;
		return r->err->code;
	}
	airlock_fault_point("check.container");
	if (check_signature(r, &s) != AIRLOCK_OK || parse_header(r) != AIRLOCK_OK)
		return r->err->code;
	airlock_fault_point("check.signature");
	if (check_policy(r, &s) != AIRLOCK_OK)
		return r->err->code;
	airlock_fault_point("check.policy");
	r->v->state = AIRLOCK_INBOX_READY;
	return airlock_progress_step(r->progress, AIRLOCK_STAGE_SIGNATURE, 1, 1, r->err);
}

/* ---- step 4: spool the payload while hashing it ---- */

static enum airlock_code segment_done(struct run *r, struct airlock_hasher *seg, uint64_t idx)
{
	uint8_t h[AIRLOCK_HASH_BYTES];
	airlock_hasher_final(seg, h);
	airlock_hasher_init(seg);
	if (r->h.nsegments == 0)
		return AIRLOCK_OK;     /* one segment: payload.blake2b, checked at the end */
	if (idx >= r->h.nsegments || sodium_memcmp(h, r->h.segments[idx], AIRLOCK_HASH_BYTES) != 0) {
		r->v->state = AIRLOCK_INBOX_TAMPERED;
		airlock_fail(r->err, AIRLOCK_E_VERIFY, "payload segment %llu does not match the signed"
		    " header", (unsigned long long)idx);
		airlock_hint(r->err, "the medium may be damaged; copy the bundle again");
		return AIRLOCK_E_VERIFY;
	}
	return AIRLOCK_OK;
}

static enum airlock_code read_at(struct run *r, uint8_t *buf, size_t want, uint64_t off)
{
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(r->fd, buf + got, want - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot read the bundle");
		if (n == 0) {
			airlock_fail(r->err, AIRLOCK_E_FAILED, "the bundle ended early while it was read"
			    " (medium removed or file truncated)");
			airlock_hint(r->err, "reinsert the medium or copy the bundle again");
			return AIRLOCK_E_FAILED;
		}
		got += (size_t)n;
	}
	return AIRLOCK_OK;
}

static enum airlock_code spool_loop(struct run *r, uint8_t *buf, int out)
{
	struct airlock_hasher whole, seg;
	uint64_t off = airlock_container_payload_offset(r->c), size = r->h.payload_size, done = 0;
	uint8_t h[AIRLOCK_HASH_BYTES];
	airlock_hasher_init(&whole);
	airlock_hasher_init(&seg);
	while (done < size) {
		uint64_t seg_left = r->h.segment_size - done % r->h.segment_size;
		size_t n = (size_t)(size - done < SPOOL_CHUNK ? size - done : SPOOL_CHUNK);
		if (n > seg_left)
			n = (size_t)seg_left;
		/* Test build only: the medium vanishes under the reader. */
		if (done > 0 && r->ref->iso_member == NULL && airlock_fault_truncate("spool"))
			(void)!truncate(r->ref->path, (off_t)(off + done));
		if (read_at(r, buf, n, off + done) != AIRLOCK_OK ||
		    (out >= 0 && airlock_write_all(out, buf, n, "the spool", r->err) != AIRLOCK_OK))
			return r->err->code;
		airlock_hasher_update(&whole, buf, n);
		airlock_hasher_update(&seg, buf, n);
		done += n;
		if ((done % r->h.segment_size == 0 || done == size) &&
		    segment_done(r, &seg, (done - 1) / r->h.segment_size) != AIRLOCK_OK)
			return r->err->code;
		if (airlock_progress_step(r->progress, AIRLOCK_STAGE_HASH, done, size, r->err) != AIRLOCK_OK)
			return r->err->code;
		airlock_fault_point("spool.chunk");
	}
	airlock_hasher_final(&whole, h);
	if (sodium_memcmp(h, r->h.payload_hash, AIRLOCK_HASH_BYTES) != 0) {
		r->v->state = AIRLOCK_INBOX_TAMPERED;
		return airlock_fail(r->err, AIRLOCK_E_VERIFY, "payload hash does not match the signed header");
	}
	return AIRLOCK_OK;
}

/* Copies payload.age into the spool (out >= 0) or only hashes it. */
enum airlock_code importer_run_spool(struct run *r, int out)
{
	uint8_t *buf = malloc(SPOOL_CHUNK);
	if (buf == NULL)
		return airlock_fail(r->err, AIRLOCK_E_NOMEM, "out of memory");
	enum airlock_code rc = spool_loop(r, buf, out);
	free(buf);
	if (rc == AIRLOCK_OK && out >= 0 && fsync(out) != 0)
		rc = airlock_fail_errno(r->err, AIRLOCK_E_FAILED, errno, "cannot fsync the spool");
	return rc;
}
