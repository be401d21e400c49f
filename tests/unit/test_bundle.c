/* test_bundle.c - bundles made from two small trees with real keys, then
 * opened with airlock's own strict readers and, layer by layer, with the
 * standard tools alone (bundle-standard-tools.sh): tar, minisign, b2sum,
 * age, zstd, cat/tail/head; the target tree is rebuilt from the base with
 * them and compared with diff -r and the signed tree hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/age.h"
#include "airlock/bundle.h"
#include "airlock/container.h"
#include "airlock/manifest.h"

#define CREATED 1795460400

struct fx {
	char dir[64];
	char tools[512];
	struct airlock_objstore *os;
	struct airlock_tree *t1, *t2;
	struct airlock_minisign_secret *sec;
	struct airlock_minisign_pub pub;
	struct airlock_age_identity *id;
	uint8_t rcpt[1][32];
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void write_text(const char *path, size_t len, unsigned seed, const char *extra)
{
	FILE *f = fopen(path, "w");
	uint32_t x = seed;
	assert_non_null(f);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		fputc("indicator,example.org,10.0.0.1 \n"[(x >> 16) % 32], f);
	}
	fputs(extra, f);
	fclose(f);
}

/* v1 and v2 of a small feed: edits, a rename, a mode change, a new file,
 * a removed file, symlinks, an empty file, a non-ASCII name. */
static void make_versions(const char *d)
{
	char p[256];
	sh("mkdir -p %s/v1/rules/sub %s/v2/rules/sub", d, d);
	snprintf(p, sizeof(p), "%s/v1/iocs.csv", d);
	write_text(p, 200000, 1, "");
	snprintf(p, sizeof(p), "%s/v2/iocs.csv", d);
	write_text(p, 200000, 1, "indicator,new.example,10.9.9.9\n");
	snprintf(p, sizeof(p), "%s/v1/rules/sub/a.rules", d);
	write_text(p, 30000, 2, "");
	snprintf(p, sizeof(p), "%s/v2/rules/sub/a.rules", d);
	write_text(p, 30000, 2, "alert any\n");
	snprintf(p, sizeof(p), "%s/v1/rules/old-name.yar", d);
	write_text(p, 5000, 3, "");
	snprintf(p, sizeof(p), "%s/v2/rules/new-name.yar", d);
	write_text(p, 5000, 3, "");
	snprintf(p, sizeof(p), "%s/v1/removed.txt", d);
	write_text(p, 100, 4, "");
	snprintf(p, sizeof(p), "%s/v2/n\xc3\xa9w.txt", d);
	write_text(p, 3000, 5, "");
	snprintf(p, sizeof(p), "%s/v1/tool.sh", d);
	write_text(p, 400, 6, "");
	snprintf(p, sizeof(p), "%s/v2/tool.sh", d);
	write_text(p, 400, 6, "");
	sh("chmod 0755 %s/v2/tool.sh && : >%s/v1/empty && : >%s/v2/empty", d, d, d);
	sh("ln -s iocs.csv %s/v1/latest && ln -s ../iocs.csv %s/v2/rules/ioc-link", d, d);
	sh("ln -s iocs.csv %s/v2/latest", d);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct airlock_err err;
	char p[256], *slash;
	airlock_err_init(&err);
	strcpy(f->dir, "/tmp/airlock-bundle.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->tools, sizeof(f->tools), "%s", __FILE__);
	slash = strrchr(f->tools, '/');
	snprintf(slash + 1, sizeof(f->tools) - (size_t)(slash + 1 - f->tools),
	    "bundle-standard-tools.sh");
	make_versions(f->dir);
	snprintf(p, sizeof(p), "%s/objects", f->dir);
	assert_int_equal(airlock_objstore_open(&f->os, p, &err), AIRLOCK_OK);
	snprintf(p, sizeof(p), "%s/v1", f->dir);
	assert_int_equal(airlock_tree_scan(&f->t1, p, f->os, NULL, &err), AIRLOCK_OK);
	snprintf(p, sizeof(p), "%s/v2", f->dir);
	assert_int_equal(airlock_tree_scan(&f->t2, p, f->os, NULL, &err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_keygen(&f->sec, &f->pub, &err), AIRLOCK_OK);
	snprintf(p, sizeof(p), "%s/signer.pub", f->dir);
	assert_int_equal(airlock_minisign_pub_write_file(&f->pub, p, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&f->id, &err), AIRLOCK_OK);
	airlock_age_identity_public(f->id, f->rcpt[0]);
	snprintf(p, sizeof(p), "%s/site.key", f->dir);
	assert_int_equal(airlock_age_identity_write_file(f->id, p, NULL, AIRLOCK_KDF_INTERACTIVE,
	    &err), AIRLOCK_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sh("rm -rf %s", f->dir);
	airlock_tree_free(f->t1);
	airlock_tree_free(f->t2);
	airlock_objstore_free(f->os);
	airlock_minisign_secret_free(f->sec);
	airlock_age_identity_free(f->id);
	free(f);
	return 0;
}

static void params(struct fx *f, struct airlock_bundle_params *p, const char *out, int delta)
{
	memset(p, 0, sizeof(*p));
	p->feed = "threat-intel";
	p->sequence = delta ? 2 : 1;
	p->created = CREATED;
	p->expires = CREATED + 90 * 86400;
	p->base = delta ? f->t1 : NULL;
	p->base_version = 1;
	p->target = delta ? f->t2 : f->t1;
	p->target_version = delta ? 2 : 1;
	p->os = f->os;
	p->key = f->sec;
	p->recipients = (const uint8_t (*)[32])f->rcpt;
	p->nrecipients = 1;
	p->output = out;
}

/* The bundle through airlock's own strict readers. */
static void check_with_airlock(struct fx *f, const char *path, const struct airlock_bundle_result *r,
    const struct airlock_tree *target)
{
	struct airlock_container *c;
	struct airlock_bundle_header h;
	struct airlock_err err;
	char trusted[AIRLOCK_MINISIGN_TRUSTED_MAX], want[AIRLOCK_BUNDLE_TRUSTED_MAX];
	uint8_t tree[AIRLOCK_HASH_BYTES];
	const char *json, *sig;
	size_t jl, sl;
	struct stat st;
	char *desc;
	int fd = open(path, O_RDONLY);
	airlock_err_init(&err);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, r->total_bytes);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(airlock_container_open(&c, fd, NULL, &err), AIRLOCK_OK);
	json = airlock_container_json(c, &jl);
	sig = airlock_container_sig(c, &sl);
	assert_int_equal(airlock_minisign_verify(&f->pub, (const uint8_t *)json, jl, sig, sl,
	    AIRLOCK_BUNDLE_UNTRUSTED_COMMENT, trusted, &err), AIRLOCK_OK);
	airlock_bundle_trusted_comment(want, CREATED);
	assert_string_equal(trusted, want);
	assert_int_equal(airlock_header_parse(json, jl, &h, &err), AIRLOCK_OK);
	assert_memory_equal(h.bundle_id, r->bundle_id, AIRLOCK_BUNDLE_ID_BYTES);
	assert_int_equal(h.created, airlock_container_mtime(c));
	assert_int_equal(h.payload_size, airlock_container_payload_size(c));
	assert_int_equal(h.payload_size, r->payload_bytes);
	assert_memory_equal(h.signer_key_id, f->pub.key_id, 8);
	airlock_tree_hash(target, tree);
	assert_memory_equal(h.target_tree, tree, AIRLOCK_HASH_BYTES);
	assert_int_equal(h.unpacked_bytes, r->unpacked_bytes);
	assert_true(r->overhead_bytes > 1536 && r->overhead_bytes < 8192);
	desc = airlock_bundle_describe(&h);
	assert_non_null(strstr(desc, "feed: threat-intel\n"));
	assert_non_null(strstr(desc, "recipient: age1"));
	free(desc);
	airlock_header_release(&h);
	airlock_container_free(c);
	close(fd);
}

static void test_full_bundle(void **state)
{
	struct fx *f = *state;
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_err err;
	char out[128];
	airlock_err_init(&err);
	snprintf(out, sizeof(out), "%s/full.bundle", f->dir);
	params(f, &p, out, 0);
	if (airlock_bundle_create(&p, &r, &err) != AIRLOCK_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.copy + r.delta + r.removed + r.frames, 0);
	assert_true(r.whole >= 5);
	check_with_airlock(f, out, &r, f->t1);
	sh("sh %s %s - %s/v1 %s/signer.pub %s/site.key %s/w1", f->tools, out, f->dir, f->dir,
	    f->dir, f->dir);
}

static void test_delta_bundle(void **state)
{
	struct fx *f = *state;
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_err err;
	char out[128];
	airlock_err_init(&err);
	snprintf(out, sizeof(out), "%s/delta.bundle", f->dir);
	params(f, &p, out, 1);
	if (airlock_bundle_create(&p, &r, &err) != AIRLOCK_OK)
		fail_msg("%s", err.msg);
	assert_true(r.removed >= 1);
	assert_true(r.delta >= 1);
	check_with_airlock(f, out, &r, f->t2);
	sh("sh %s %s %s/v1 %s/v2 %s/signer.pub %s/site.key %s/w2", f->tools, out, f->dir, f->dir,
	    f->dir, f->dir, f->dir);
	/* the delta bundle is far smaller than the files it carries */
	assert_true(r.total_bytes < 40000);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_err err;
	char out[128];
	snprintf(out, sizeof(out), "%s/exists.bundle", f->dir);
	sh(": >%s", out);
	params(f, &p, out, 1);
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_USAGE);
	assert_non_null(strstr(err.msg, "already exists"));
	sh("test ! -s %s", out);
	snprintf(out, sizeof(out), "%s/no/such/dir/x.bundle", f->dir);
	params(f, &p, out, 1);
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "temporary file"));
	snprintf(out, sizeof(out), "%s/x.bundle", f->dir);
	params(f, &p, out, 1);
	p.expires = p.created;
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_USAGE);
	params(f, &p, out, 1);
	p.target_version = 1;
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_USAGE);
	params(f, &p, out, 1);
	p.feed = "Bad Feed";
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_USAGE);
	params(f, &p, out, 1);
	p.nrecipients = 0;
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_USAGE);
	/* nothing was left behind: no output, no temporary file */
	sh("test ! -e %s && test -z \"$(ls -A %s | grep airlock-bundle)\"", out, f->dir);
}

static int cancel_now(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	return 1;
}

static void test_cancel_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_err err;
	struct airlock_progress pr = { cancel_now, NULL, NULL };
	char out[128];
	snprintf(out, sizeof(out), "%s/cancelled.bundle", f->dir);
	params(f, &p, out, 0);
	p.progress = &pr;
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_CANCELLED);
	sh("test ! -e %s && test -z \"$(ls -A %s | grep airlock-bundle)\"", out, f->dir);
}

/* A full disk (a 16 KiB tmpfs): a clear message and hint, nothing left
 * behind. Mounting needs privileges; without them the case is reported
 * as skipped, never as passed. */
static void test_full_disk(void **state)
{
	struct fx *f = *state;
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_err err;
	char mnt[128], out[160], cmd[512];
	snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && mount -t tmpfs -o size=16k tmpfs %s 2>/dev/null",
	    mnt, mnt);
	if (system(cmd) != 0) {
		skip();
		return;
	}
	snprintf(out, sizeof(out), "%s/x.bundle", mnt);
	params(f, &p, out, 0);
	airlock_err_init(&err);
	assert_int_equal(airlock_bundle_create(&p, &r, &err), AIRLOCK_E_FAILED);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_non_null(strstr(err.msg, "No space left on device"));
	assert_non_null(strstr(err.hint, "is full"));
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", mnt);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "umount %s", mnt);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
