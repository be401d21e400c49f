/* test_signer.c - the signer core without a bundle writer: homes, sites
 * and receipts, snapshots, base resolution, prune, cancellation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "airlock/signer.h"

/* age-keygen -y of two fixed test identities. */
#define R1 "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
#define R2 "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"

struct fx {
	char root[64], home[128], src[128];
	struct airlock_signer *s;
	struct airlock_err err;
};

static void put(const struct fx *f, const char *name, const char *data)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", f->src, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(data, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->root, sizeof f->root, "/tmp/test_signer.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->home, sizeof f->home, "%s/home", f->root);
	snprintf(f->src, sizeof f->src, "%s/src", f->root);
	assert_int_equal(mkdir(f->src, 0755), 0);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_init(f->home, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_signer_open(&f->s, f->home, &f->err), AIRLOCK_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	airlock_signer_close(f->s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint64_t snap(struct fx *f, int want_created)
{
	struct airlock_signer_version v;
	int created = -1;
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_snapshot(f->s, "iocs", f->src, NULL, &v, &created, &f->err),
	    AIRLOCK_OK);
	assert_int_equal(created, want_created);
	return v.version;
}

static void receipt_of(struct fx *f, uint64_t version, char out[AIRLOCK_RECEIPT_MAX])
{
	struct airlock_signer_version *v;
	size_t n;
	assert_int_equal(airlock_signer_versions(f->s, "iocs", &v, &n, &f->err), AIRLOCK_OK);
	assert_true(version >= 1 && version <= n);
	airlock_receipt_format(out, "iocs", version, v[version - 1].tree);
	free(v);
}

static void test_init_twice_and_open_missing(void **state)
{
	struct fx *f = *state;
	struct airlock_signer *s = NULL;
	char missing[160];
	assert_int_equal(airlock_signer_init(f->home, &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "already a signer home"));
	airlock_err_init(&f->err);
	snprintf(missing, sizeof missing, "%s/none", f->root);
	assert_int_equal(airlock_signer_open(&s, missing, &f->err), AIRLOCK_E_FAILED);
	assert_null(s);
	assert_non_null(strstr(f->err.hint, "airlock-signer init"));
}

static void test_snapshot_versions(void **state)
{
	struct fx *f = *state;
	put(f, "a", "one\n");
	assert_int_equal(snap(f, 1), 1);
	assert_int_equal(snap(f, 0), 1);       /* unchanged: no new version */
	put(f, "b", "two\n");
	assert_int_equal(snap(f, 1), 2);
	airlock_err_init(&f->err);
	struct airlock_signer_version v;
	int created;
	assert_int_equal(airlock_signer_snapshot(f->s, "Bad", f->src, NULL, &v, &created, &f->err),
	    AIRLOCK_E_USAGE);
}

static void test_snapshot_cancelled_records_nothing(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t cancel = 1;
	struct airlock_progress p = { .fn = NULL, .ctx = NULL, .cancel = &cancel };
	struct airlock_signer_status st;
	struct airlock_signer_version v;
	int created;
	put(f, "a", "one\n");
	assert_int_equal(airlock_signer_snapshot(f->s, "iocs", f->src, &p, &v, &created, &f->err),
	    AIRLOCK_E_CANCELLED);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_status(f->s, &st, &f->err), AIRLOCK_OK);
	assert_int_equal(st.nfeeds, 0);
	assert_int_equal(st.objects, 0);
	airlock_signer_status_release(&st);
}

static void test_sites_and_receipts(void **state)
{
	struct fx *f = *state;
	char r[AIRLOCK_RECEIPT_MAX];
	struct airlock_signer_holding h;
	struct airlock_signer_site_list l;
	put(f, "a", "one\n");
	snap(f, 1);
	assert_int_equal(airlock_signer_site_add(f->s, "hq", R1, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_signer_site_add(f->s, "hq", R2, &f->err), AIRLOCK_E_FAILED);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_site_add(f->s, "dc", "age1xyz", &f->err), AIRLOCK_E_USAGE);
	airlock_err_init(&f->err);
	receipt_of(f, 1, r);
	assert_int_equal(airlock_signer_site_set(f->s, "hq", r, &h, &f->err), AIRLOCK_OK);
	assert_int_equal(h.version, 1);
	r[strlen(r) - 1] = r[strlen(r) - 1] == '0' ? '1' : '0';   /* a typo */
	assert_int_equal(airlock_signer_site_set(f->s, "hq", r, NULL, &f->err), AIRLOCK_E_USAGE);
	assert_non_null(strstr(f->err.msg, "does not match"));
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_site_set(f->s, "nobody", r, NULL, &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "unknown site"));
	airlock_err_init(&f->err);
	assert_int_equal(airlock_signer_site_list(f->s, &l, &f->err), AIRLOCK_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.sites[0].nholdings, 1);
	assert_int_equal(l.sites[0].holdings[0].version, 1);
	airlock_signer_site_list_release(&l);
}

static void test_resolve_and_prune(void **state)
{
	struct fx *f = *state;
	char r[AIRLOCK_RECEIPT_MAX];
	const char *both[] = { "hq", "dc" };
	struct airlock_signer_bundle_req req = { .feed = "iocs", .sites = both, .nsites = 2,
	    .output = "x" };
	struct airlock_signer_prune_result pr;
	int has_base;
	uint64_t base, target;
	put(f, "a", "1\n"); snap(f, 1);
	put(f, "a", "2\n"); snap(f, 1);
	put(f, "a", "3\n"); snap(f, 1);
	assert_int_equal(airlock_signer_site_add(f->s, "hq", R1, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_signer_site_add(f->s, "dc", R2, &f->err), AIRLOCK_OK);
	/* Neither holds anything: a full bundle of version 3. */
	assert_int_equal(airlock_signer_bundle_resolve(f->s, &req, &has_base, &base, &target,
	    &f->err), AIRLOCK_OK);
	assert_int_equal(has_base, 0);
	assert_int_equal(target, 3);
	receipt_of(f, 2, r);
	assert_int_equal(airlock_signer_site_set(f->s, "hq", r, NULL, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_signer_bundle_resolve(f->s, &req, &has_base, &base, &target,
	    &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "different versions"));
	airlock_err_init(&f->err);
	/* Prune keeps the latest and the version hq holds; version 1 goes. */
	assert_int_equal(airlock_signer_prune(f->s, 1, NULL, &pr, &f->err), AIRLOCK_OK);
	assert_int_equal(pr.versions_pruned, 1);
	assert_int_equal(pr.held_kept, 1);
	assert_int_equal(pr.objects_removed, 1);
	req.has_from = 1;
	req.from = 1;
	assert_int_equal(airlock_signer_bundle_resolve(f->s, &req, &has_base, &base, &target,
	    &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "no longer retained"));
	assert_non_null(strstr(f->err.msg, "oldest retained version is 2"));
	airlock_err_init(&f->err);
	req.from = 2;
	assert_int_equal(airlock_signer_bundle_resolve(f->s, &req, &has_base, &base, &target,
	    &f->err), AIRLOCK_OK);
	assert_int_equal(base, 2);
	assert_int_equal(airlock_signer_prune(f->s, 0, NULL, &pr, &f->err), AIRLOCK_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_twice_and_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_cancelled_records_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sites_and_receipts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_and_prune, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
