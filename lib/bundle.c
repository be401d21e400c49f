/* bundle.c - one bundle from two trees: plan, manifest, payload (hashed
 * as it is written), signed header, container; published by an atomic
 * no-replace rename so the output path only ever holds a whole bundle. */
#include "airlock/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/container.h"
#include "airlock/encoding.h"
#include "airlock/hash.h"
#include "airlock/manifest.h"
#include "airlock/names.h"
#include "airlock/payload.h"

void airlock_bundle_trusted_comment(char out[AIRLOCK_BUNDLE_TRUSTED_MAX], int64_t created)
{
	snprintf(out, AIRLOCK_BUNDLE_TRUSTED_MAX, "timestamp:%lld\tfile:bundle.json\thashed",
	    (long long)created);
}

/* ---- the payload file: written once, hashed whole and per segment ---- */

struct segsink {
	int fd;
	struct airlock_hasher seg;
	uint64_t in_seg;
	uint8_t (*segs)[AIRLOCK_HASH_BYTES];
	size_t nsegs, cap;
};

static enum airlock_code seg_close(struct segsink *s, struct airlock_err *err)
{
	if (s->nsegs == s->cap) {
		size_t cap = s->cap * 2 + 8;
		void *p = realloc(s->segs, cap * AIRLOCK_HASH_BYTES);
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
		s->segs = p;
		s->cap = cap;
	}
	airlock_hasher_final(&s->seg, s->segs[s->nsegs++]);
	airlock_hasher_init(&s->seg);
	s->in_seg = 0;
	return AIRLOCK_OK;
}

static enum airlock_code seg_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct segsink *s = ctx;
	const uint8_t *p = buf;
	if (airlock_write_all(s->fd, buf, len, "the payload", err) != AIRLOCK_OK)
		return err->code;
	while (len > 0) {
		uint64_t room = AIRLOCK_SEGMENT_SIZE - s->in_seg;
		size_t n = len < room ? len : (size_t)room;
		airlock_hasher_update(&s->seg, p, n);
		s->in_seg += n;
		p += n;
		len -= n;
		if (s->in_seg == AIRLOCK_SEGMENT_SIZE && seg_close(s, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

/* ---- paths ---- */

struct paths {
	char dir[PATH_MAX];
	char tmp[PATH_MAX];     /* the container being written */
	int tmp_made;
};

static enum airlock_code split_dir(struct paths *p, const char *output, struct airlock_err *err)
{
	const char *slash = strrchr(output, '/');
	if (slash == NULL)
		return airlock_path(p->dir, sizeof(p->dir), err, ".");
	if (slash == output)
		return airlock_path(p->dir, sizeof(p->dir), err, "/");
	return airlock_path(p->dir, sizeof(p->dir), err, "%.*s", (int)(slash - output), output);
}

static enum airlock_code temp_in(const struct paths *p, char *out, size_t outlen, int *fd,
    int unlink_now, struct airlock_err *err)
{
	if (airlock_path(out, outlen, err, "%s/.airlock-bundle.XXXXXX", p->dir) != AIRLOCK_OK)
		return err->code;
	*fd = mkstemp(out);
	if (*fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot create a temporary file in '%s'", p->dir);
	if (unlink_now)
		unlink(out);
	return AIRLOCK_OK;
}

static void disk_hint(struct airlock_err *err, const struct paths *p)
{
	if (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT)
		airlock_hint(err, "the disk holding '%s' is full: free space there or write the "
		    "bundle elsewhere (nothing was left behind)", p->dir);
}

/* rename without replacing: renameat2 where the file system has it,
 * otherwise check-then-rename (the window is one syscall). */
static enum airlock_code publish(const char *tmp, const char *output, struct airlock_err *err)
{
	struct stat st;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, output, RENAME_NOREPLACE) == 0)
		return AIRLOCK_OK;
	if (errno != EINVAL && errno != ENOSYS)
		return airlock_fail_errno(err, errno == EEXIST ? AIRLOCK_E_USAGE : AIRLOCK_E_FAILED,
		    errno, "cannot create '%s'", output);
	if (lstat(output, &st) == 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "'%s' already exists", output);
	if (rename(tmp, output) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s'", output);
	return AIRLOCK_OK;
}

/* ---- the header ---- */

static enum airlock_code check_params(const struct airlock_bundle_params *p,
    struct airlock_err *err)
{
	struct stat st;
	if (p->feed == NULL || airlock_feed_name_check(p->feed) != 0)
		return airlock_fail(err, AIRLOCK_E_USAGE, "not a valid feed name");
	if (p->target == NULL || p->os == NULL || p->key == NULL || p->output == NULL)
		return airlock_fail(err, AIRLOCK_E_USAGE, "bundle: target, store, key and output are needed");
	if (p->nrecipients < 1 || p->nrecipients > AIRLOCK_RECIPIENTS_MAX)
		return airlock_fail(err, AIRLOCK_E_USAGE, "a bundle needs 1 to %d recipients",
		    AIRLOCK_RECIPIENTS_MAX);
	if (p->expires <= p->created)
		return airlock_fail(err, AIRLOCK_E_USAGE, "the expiry must be after the creation time");
	if (p->base != NULL && p->target_version <= p->base_version)
		return airlock_fail(err, AIRLOCK_E_USAGE, "the target version must be above the base's");
	if (lstat(p->output, &st) == 0) {
		airlock_fail(err, AIRLOCK_E_USAGE, "'%s' already exists", p->output);
		airlock_hint(err, "choose another output path; bundles are never overwritten");
		return err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code header_from_params(struct airlock_bundle_header *h,
    const struct airlock_bundle_params *p, struct airlock_err *err)
{
	struct airlock_minisign_pub pub;
	airlock_header_init(h);
	randombytes_buf(h->bundle_id, sizeof(h->bundle_id));
	snprintf(h->feed, sizeof(h->feed), "%s", p->feed);
	h->sequence = p->sequence;
	h->created = p->created;
	h->expires = p->expires;
	airlock_minisign_secret_public(p->key, &pub);
	memcpy(h->signer_key_id, pub.key_id, sizeof(h->signer_key_id));
	h->has_base = p->base != NULL;
	if (p->base != NULL) {
		h->base_version = p->base_version;
		airlock_tree_hash(p->base, h->base_tree);
	}
	h->target_version = p->target_version;
	airlock_tree_hash(p->target, h->target_tree);
	h->target_files = airlock_tree_count(p->target);
	h->target_bytes = airlock_tree_total_bytes(p->target);
	h->segment_size = AIRLOCK_SEGMENT_SIZE;
	return airlock_header_set_recipients(h, p->recipients, p->nrecipients, err);
}

/* ---- steps ---- */

struct job {
	const struct airlock_bundle_params *p;
	struct airlock_bundle_result *res;
	struct paths paths;
	struct airlock_plan *plan;
	struct airlock_bundle_header hdr;
	char *manifest;
	size_t manifest_len;
	int payload_fd;
	char *json, *sig;
	size_t json_len, sig_len;
};

static enum airlock_code write_payload(struct job *j, struct airlock_err *err)
{
	struct segsink seg = { j->payload_fd, { { { 0 } } }, 0, NULL, 0, 0 };
	struct airlock_hashing_sink hs;
	struct airlock_payload_limits lim;
	uint64_t compressed = 0;
	enum airlock_code rc;
	airlock_hasher_init(&seg.seg);
	airlock_hashing_sink_init(&hs, (struct airlock_sink){ seg_write, &seg });
	rc = airlock_payload_write(j->plan, j->manifest, j->manifest_len, j->p->os,
	    j->p->recipients, j->p->nrecipients, airlock_hashing_sink(&hs), &lim, &compressed,
	    j->p->progress, err);
	if (rc == AIRLOCK_OK && seg.in_seg > 0)
		rc = seg_close(&seg, err);
	if (rc == AIRLOCK_OK) {
		airlock_hasher_final(&hs.hasher, j->hdr.payload_hash);
		j->hdr.payload_size = hs.bytes;
		j->hdr.window_log = lim.window_log;
		j->hdr.unpacked_bytes = lim.unpacked_bytes;
		j->hdr.entries = lim.entries;
		j->res->compressed_bytes = compressed;
		j->res->unpacked_bytes = lim.unpacked_bytes;
		rc = airlock_header_set_segments(&j->hdr,
		    (const uint8_t (*)[AIRLOCK_HASH_BYTES])seg.segs,
		    (size_t)airlock_header_segment_count(hs.bytes), err);
	}
	free(seg.segs);
	return rc;
}

static enum airlock_code sign_header(struct job *j, struct airlock_err *err)
{
	char tc[AIRLOCK_BUNDLE_TRUSTED_MAX];
	if (airlock_header_to_json(&j->hdr, &j->json, &j->json_len, err) != AIRLOCK_OK)
		return err->code;
	airlock_bundle_trusted_comment(tc, j->p->created);
	return airlock_minisign_sign(&j->sig, &j->sig_len, j->p->key, (const uint8_t *)j->json,
	    j->json_len, AIRLOCK_BUNDLE_UNTRUSTED_COMMENT, tc, err);
}

static enum airlock_code write_container(struct job *j, struct airlock_err *err)
{
	int fd;
	enum airlock_code rc;
	if (temp_in(&j->paths, j->paths.tmp, sizeof(j->paths.tmp), &fd, 0, err) != AIRLOCK_OK)
		return err->code;
	j->paths.tmp_made = 1;
	if (fchmod(fd, 0644) != 0 || lseek(j->payload_fd, 0, SEEK_SET) != 0)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot prepare '%s'", j->paths.tmp);
	else
		rc = airlock_container_write(fd, j->json, j->json_len, j->sig, j->sig_len,
		    j->payload_fd, j->hdr.payload_size, j->p->created, err);
	if (rc == AIRLOCK_OK && fsync(fd) != 0)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot write '%s'", j->paths.tmp);
	if (close(fd) != 0 && rc == AIRLOCK_OK)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot write '%s'", j->paths.tmp);
	return rc;
}

static void count_plan(const struct airlock_plan *plan, struct airlock_bundle_result *res)
{
	for (size_t i = 0; i < plan->nentries; i++) {
		switch (plan->entries[i].source) {
		case AIRLOCK_SRC_WHOLE: res->whole++; break;
		case AIRLOCK_SRC_COPY: res->copy++; break;
		case AIRLOCK_SRC_DELTA: res->delta++; break;
		case AIRLOCK_SRC_SYMLINK: res->symlinks++; break;
		}
	}
	res->removed = plan->nremoved;
	res->frames = plan->nframes;
}

static enum airlock_code run(struct job *j, struct airlock_err *err)
{
	const struct airlock_bundle_params *p = j->p;
	if (airlock_plan_make(&j->plan, p->base, p->target, p->os, p->plan, p->progress,
	    err) != AIRLOCK_OK)
		return err->code;
	count_plan(j->plan, j->res);
	if (header_from_params(&j->hdr, p, err) != AIRLOCK_OK ||
	    airlock_manifest_write(j->plan, &j->hdr, &j->manifest, &j->manifest_len, err) ||
	    temp_in(&j->paths, j->paths.tmp, sizeof(j->paths.tmp), &j->payload_fd, 1, err) ||
	    write_payload(j, err) != AIRLOCK_OK || sign_header(j, err) != AIRLOCK_OK ||
	    write_container(j, err) != AIRLOCK_OK ||
	    publish(j->paths.tmp, p->output, err) != AIRLOCK_OK)
		return err->code;
	j->paths.tmp_made = 0;
	return airlock_fsync_dir(j->paths.dir, err);
}

enum airlock_code airlock_bundle_create(const struct airlock_bundle_params *p,
    struct airlock_bundle_result *res, struct airlock_err *err)
{
	struct job j;
	enum airlock_code rc;
	memset(res, 0, sizeof(*res));
	memset(&j, 0, sizeof(j));
	j.p = p;
	j.res = res;
	j.payload_fd = -1;
	airlock_header_init(&j.hdr);
	if (check_params(p, err) != AIRLOCK_OK || split_dir(&j.paths, p->output, err) != AIRLOCK_OK)
		return err->code;
	rc = run(&j, err);
	if (rc == AIRLOCK_OK) {
		memcpy(res->bundle_id, j.hdr.bundle_id, sizeof(res->bundle_id));
		res->payload_bytes = j.hdr.payload_size;
		res->total_bytes = j.hdr.payload_size + j.json_len + j.sig_len +
		    airlock_container_overhead(j.json_len, j.sig_len, j.hdr.payload_size);
		res->overhead_bytes = res->total_bytes - res->compressed_bytes;
	} else {
		disk_hint(err, &j.paths);
	}
	if (j.paths.tmp_made)
		unlink(j.paths.tmp);
	if (j.payload_fd >= 0)
		close(j.payload_fd);
	airlock_plan_free(j.plan);
	airlock_header_release(&j.hdr);
	free(j.manifest);
	free(j.json);
	free(j.sig);
	return rc;
}

/* ---- describe ---- */

static void prefix_hex(char out[17], const uint8_t h[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, h);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

char *airlock_bundle_describe(const struct airlock_bundle_header *h)
{
	char *out = NULL, t1[AIRLOCK_TIME_LEN + 1], t2[AIRLOCK_TIME_LEN + 1], kid[17];
	char tree[17], base[64], id[2 * AIRLOCK_BUNDLE_ID_BYTES + 1];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		return NULL;
	airlock_time_format(t1, h->created);
	airlock_time_format(t2, h->expires);
	airlock_header_key_id_format(kid, h->signer_key_id);
	airlock_hex_encode(id, h->bundle_id, AIRLOCK_BUNDLE_ID_BYTES);
	if (h->has_base) {
		prefix_hex(tree, h->base_tree);
		snprintf(base, sizeof(base), "%llu (tree %s)", (unsigned long long)h->base_version, tree);
	} else {
		snprintf(base, sizeof(base), "none (full bundle)");
	}
	prefix_hex(tree, h->target_tree);
	fprintf(f, "feed: %s\nbundle id: %s\nsequence: %llu\nbase: %s\n"
	    "target: %llu (tree %s, %llu files, %llu bytes)\ncreated: %s\nexpires: %s\n"
	    "signer key: %s\n", h->feed, id, (unsigned long long)h->sequence, base,
	    (unsigned long long)h->target_version, tree, (unsigned long long)h->target_files,
	    (unsigned long long)h->target_bytes, t1, t2, kid);
	for (size_t i = 0; i < h->nrecipients; i++) {
		char r[80];
		airlock_bech32_encode(r, sizeof(r), "age", h->recipients[i], 32, 0);
		fprintf(f, "recipient: %s\n", r);
	}
	fprintf(f, "payload: %llu bytes (%zu segments), unpacks to %llu bytes in %llu entries\n",
	    (unsigned long long)h->payload_size, h->nsegments, (unsigned long long)h->unpacked_bytes,
	    (unsigned long long)h->entries);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
