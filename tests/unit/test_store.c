/* test_store.c - the importer's catalog, version trees, publishing, crash
 * repair, and the audit chain (edited, inserted, deleted rows) through the
 * sqlite3 C API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/audit.h"
#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/objstore.h"
#include "airlock/store.h"
#include "airlock/tree.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/airlock-store.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

/* A tree of two files and a symlink whose objects are in s. */
static struct airlock_tree *sample_tree(struct airlock_store *s, const char *a_text)
{
	struct airlock_err err;
	struct airlock_tree *t = airlock_tree_new();
	struct airlock_tree_entry e;
	airlock_err_init(&err);
	memset(&e, 0, sizeof e);
	e.path = "a.txt";
	e.mode = 0644;
	e.size = strlen(a_text);
	assert_int_equal(airlock_objstore_put_buffer(airlock_store_objects(s), a_text, e.size,
	    e.hash, &err), AIRLOCK_OK);
	assert_int_equal(airlock_tree_add(t, &e, &err), AIRLOCK_OK);
	e.path = "bin/run";
	e.mode = 0755;
	e.size = 9;
	assert_int_equal(airlock_objstore_put_buffer(airlock_store_objects(s), "#!/bin/sh", 9,
	    e.hash, &err), AIRLOCK_OK);
	assert_int_equal(airlock_tree_add(t, &e, &err), AIRLOCK_OK);
	e.path = "link";
	e.type = AIRLOCK_ENTRY_SYMLINK;
	e.mode = 0777;
	e.link_target = "a.txt";
	e.size = 5;
	airlock_hash_buffer(e.hash, "a.txt", 5);
	assert_int_equal(airlock_tree_add(t, &e, &err), AIRLOCK_OK);
	assert_int_equal(airlock_tree_finish(t, &err), AIRLOCK_OK);
	return t;
}

static void add_version(struct airlock_store *s, uint64_t v, const char *text)
{
	struct airlock_err err;
	char id[33];
	airlock_err_init(&err);
	snprintf(id, sizeof id, "%032llu", (unsigned long long)v);
	struct airlock_store_version_meta m = { .bundle_id = id, .sequence = v, .created = 1000 + (int64_t)v,
	    .signer_name = "alice", .key_id = "ABCDEF" };
	struct airlock_tree *t = sample_tree(s, text);
	assert_int_equal(airlock_store_materialize(s, "iocs", v, t, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_begin(s, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_version_add(s, "iocs", v, t, &m, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_commit(s, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_publish(s, "iocs", v, &err), AIRLOCK_OK);
	airlock_tree_free(t);
}

static void read_link(const char *rel, char *out, size_t n)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	ssize_t k = readlink(p, out, n - 1);
	assert_true(k > 0);
	out[k] = '\0';
}

static void versions_publish_and_reload(void **state)
{
	(void)state;
	struct airlock_store *s = NULL;
	struct airlock_err err;
	struct airlock_store_feed f;
	struct airlock_tree *t = NULL;
	char buf[64], p[PATH_MAX];
	struct stat st;
	airlock_err_init(&err);
	assert_int_equal(airlock_store_open(&s, root, &err), AIRLOCK_OK);
	add_version(s, 1, "one\n");
	add_version(s, 2, "two\n");
	read_link("feeds/iocs/current", buf, sizeof buf);
	assert_string_equal(buf, "versions/2");
	assert_int_equal(airlock_store_feed_get(s, "iocs", &f, &err), AIRLOCK_OK);
	assert_true(f.exists);
	assert_int_equal(f.current, 2);
	assert_int_equal(f.highest, 2);
	assert_int_equal(f.last_sequence, 2);
	assert_int_equal(airlock_store_bundle_seen(s, "00000000000000000000000000000001", &err), 1);
	assert_int_equal(airlock_store_bundle_seen(s, "ffffffffffffffffffffffffffffffff", &err), 0);
	/* 0644 files are the object's inode, read-only; 0755 files a 0555 copy. */
	snprintf(p, sizeof p, "%s/feeds/iocs/versions/2/a.txt", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_true(st.st_nlink >= 2);
	snprintf(p, sizeof p, "%s/feeds/iocs/versions/2/bin/run", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(airlock_store_version_tree(s, "iocs", 1, &t, &err), AIRLOCK_OK);
	assert_int_equal(airlock_tree_count(t), 3);
	assert_string_equal(airlock_tree_find(t, "link")->link_target, "a.txt");
	airlock_tree_free(t);
	airlock_store_close(s);
}

/* What a crash leaves: a version directory the catalog does not know, a
 * current link pointing elsewhere, staging and spool litter. */
static void open_repairs_what_a_crash_left(void **state)
{
	(void)state;
	struct airlock_store *s = NULL;
	struct airlock_err err;
	char buf[64], p[PATH_MAX];
	airlock_err_init(&err);
	assert_int_equal(airlock_store_open(&s, root, &err), AIRLOCK_OK);
	add_version(s, 1, "one\n");
	struct airlock_tree *t = sample_tree(s, "three\n");
	assert_int_equal(airlock_store_materialize(s, "iocs", 3, t, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_publish(s, "iocs", 3, &err), AIRLOCK_OK);
	airlock_tree_free(t);
	snprintf(p, sizeof p, "%s/staging/run-x", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/feeds/other", root);
	assert_int_equal(mkdir(p, 0700), 0);
	airlock_store_close(s);

	assert_int_equal(airlock_store_open(&s, root, &err), AIRLOCK_OK);
	read_link("feeds/iocs/current", buf, sizeof buf);
	assert_string_equal(buf, "versions/1");
	snprintf(p, sizeof p, "%s/feeds/iocs/versions/3", root);
	assert_int_not_equal(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/staging/run-x", root);
	assert_int_not_equal(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/feeds/other", root);
	assert_int_not_equal(access(p, F_OK), 0);
	airlock_store_close(s);
}

static void rollback_of_uncommitted_version_leaves_nothing(void **state)
{
	(void)state;
	struct airlock_store *s = NULL;
	struct airlock_err err;
	struct airlock_store_feed f;
	airlock_err_init(&err);
	assert_int_equal(airlock_store_open(&s, root, &err), AIRLOCK_OK);
	add_version(s, 1, "one\n");
	struct airlock_tree *t = sample_tree(s, "two\n");
	struct airlock_store_version_meta m = { .bundle_id = "x", .sequence = 2, .created = 5,
	    .signer_name = "a", .key_id = "B" };
	assert_int_equal(airlock_store_begin(s, &err), AIRLOCK_OK);
	assert_int_equal(airlock_store_version_add(s, "iocs", 2, t, &m, &err), AIRLOCK_OK);
	airlock_store_rollback(s);
	airlock_tree_free(t);
	assert_int_equal(airlock_store_feed_get(s, "iocs", &f, &err), AIRLOCK_OK);
	assert_int_equal(f.current, 1);
	assert_int_equal(airlock_store_bundle_seen(s, "x", &err), 0);
	airlock_store_close(s);
}

static sqlite3 *audit_db(void)
{
	sqlite3 *db = NULL;
	char p[PATH_MAX];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(p, sizeof p, "%s/audit.db", root);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(airlock_audit_schema(db, &err), AIRLOCK_OK);
	for (int i = 0; i < 5; i++) {
		char d[32];
		snprintf(d, sizeof d, "event %d", i);
		struct airlock_audit_event ev = { .event = "import", .feed = "iocs", .result = "ok",
		    .detail = d };
		assert_int_equal(airlock_audit_append(db, &ev, &err), AIRLOCK_OK);
	}
	return db;
}

static void expect_broken(sqlite3 *db, const char *sql, const char *msg)
{
	struct airlock_err err;
	uint64_t rows;
	airlock_err_init(&err);
	assert_int_equal(airlock_audit_check(db, &rows, &err), AIRLOCK_OK);
	assert_int_equal(rows, 5);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(airlock_audit_check(db, &rows, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, msg));
	sqlite3_close(db);
}

static void audit_edit_detected(void **state)
{
	(void)state;
	expect_broken(audit_db(), "UPDATE audit SET feed = 'evil' WHERE seq = 3",
	    "row 3 does not match");
}

static void audit_delete_detected(void **state)
{
	(void)state;
	expect_broken(audit_db(), "DELETE FROM audit WHERE seq = 2", "row 3 is out of sequence");
}

static void audit_delete_renumbered_detected(void **state)
{
	(void)state;
	expect_broken(audit_db(), "DELETE FROM audit WHERE seq = 2;"
	    " UPDATE audit SET seq = seq - 1 WHERE seq > 2", "row 2 does not match");
}

static void audit_insert_detected(void **state)
{
	(void)state;
	expect_broken(audit_db(), "UPDATE audit SET seq = seq + 10 WHERE seq >= 4;"
	    " UPDATE audit SET seq = seq - 9 WHERE seq >= 14;"
	    " INSERT INTO audit SELECT 4, at, user, event, bundle_id, key_id, feed, from_version,"
	    " to_version, result, 'forged', hash FROM audit WHERE seq = 3", "row 4 does not match");
}

static void audit_truncated_tail_detected(void **state)
{
	(void)state;
	expect_broken(audit_db(), "DELETE FROM audit WHERE seq = 5", "deleted or added at the end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(versions_publish_and_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(open_repairs_what_a_crash_left, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_of_uncommitted_version_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_edit_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_delete_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_delete_renumbered_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_insert_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_truncated_tail_detected, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
