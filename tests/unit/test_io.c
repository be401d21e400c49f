/* test_io.c - file helpers, error values and progress/cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/error.h"
#include "airlock/io.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/airlock-io.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

static void first_failure_wins(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_fail(&err, AIRLOCK_E_VERIFY, "payload hash %s", "mismatch"),
	    AIRLOCK_E_VERIFY);
	assert_int_equal(airlock_fail(&err, AIRLOCK_E_FAILED, "later"), AIRLOCK_E_VERIFY);
	assert_string_equal(err.msg, "payload hash mismatch");
	airlock_hint(&err, "copy the bundle %s", "again");
	airlock_hint(&err, "ignored");
	assert_string_equal(err.hint, "copy the bundle again");
	assert_int_equal(airlock_exit_code(AIRLOCK_E_GAP), 5);
	assert_int_equal(airlock_exit_code(AIRLOCK_E_CANCELLED), 1);
	assert_string_equal(airlock_code_name(AIRLOCK_E_POLICY), "policy");
}

static void errno_message(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	airlock_fail_errno(&err, AIRLOCK_E_FAILED, ENOSPC, "cannot write '%s'", "x");
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_non_null(strstr(err.msg, "cannot write 'x': No space left on device"));
}

static void escape_untrusted(void **state)
{
	(void)state;
	char out[32];
	airlock_escape(out, sizeof out, "a\nb\x01\\", 5);
	assert_string_equal(out, "a\\x0ab\\x01\\x5c");
	airlock_escape(out, 6, "abcdefgh", 8);
	assert_string_equal(out, "abcde");
}

static void atomic_write_and_read(void **state)
{
	(void)state;
	char path[128], *buf;
	size_t len;
	struct stat st;
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/f", root);
	assert_int_equal(airlock_write_file_atomic(path, "hello", 5, 0600, &err), AIRLOCK_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(airlock_read_file(path, 5, &buf, &len, &err), AIRLOCK_OK);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	assert_int_equal(airlock_read_file(path, 4, &buf, &len, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "larger than 4 bytes"));
}

static void atomic_write_failure_leaves_nothing(void **state)
{
	(void)state;
	char path[128];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/missing-dir/f", root);
	assert_int_equal(airlock_write_file_atomic(path, "x", 1, 0644, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "cannot create"));
}

static void mkdir_and_remove_do_not_follow_links(void **state)
{
	(void)state;
	char dir[128], victim[128], link[128], path[160];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(dir, sizeof dir, "%s/a/b/c", root);
	assert_int_equal(airlock_mkdir_p(dir, 0755, &err), AIRLOCK_OK);
	assert_int_equal(airlock_mkdir_p(dir, 0755, &err), AIRLOCK_OK);
	snprintf(victim, sizeof victim, "%s/victim", root);
	assert_int_equal(airlock_mkdir_p(victim, 0755, &err), AIRLOCK_OK);
	snprintf(path, sizeof path, "%s/keep", victim);
	assert_int_equal(airlock_write_file_atomic(path, "k", 1, 0644, &err), AIRLOCK_OK);
	snprintf(link, sizeof link, "%s/a/b/link", root);
	assert_int_equal(symlink(victim, link), 0);
	snprintf(path, sizeof path, "%s/a", root);
	assert_int_equal(airlock_remove_tree(path, &err), AIRLOCK_OK);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/keep", victim);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(airlock_mkdir_p(path, 0755, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "not a directory"));
}

static int stop_at_three(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	(void)stage;
	(void)total;
	*(int *)ctx += 1;
	return done >= 3;
}

static void progress_cancels(void **state)
{
	(void)state;
	int calls = 0;
	volatile sig_atomic_t cancel = 0;
	struct airlock_progress p = { stop_at_three, &calls, &cancel };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_progress_step(NULL, "x", 0, 0, &err), AIRLOCK_OK);
	assert_int_equal(airlock_progress_step(&p, "hash", 1, 10, &err), AIRLOCK_OK);
	assert_int_equal(airlock_progress_step(&p, "hash", 3, 10, &err), AIRLOCK_E_CANCELLED);
	assert_non_null(strstr(err.msg, "cancelled during hash"));
	airlock_err_init(&err);
	cancel = 1;
	assert_int_equal(airlock_progress_step(&p, "apply", 0, 10, &err), AIRLOCK_E_CANCELLED);
	assert_int_equal(calls, 2);
}

static void path_overflow_fails(void **state)
{
	(void)state;
	char small[8];
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_path(small, sizeof small, &err, "%s/%s", "abcd", "efgh"),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "path too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_failure_wins),
		cmocka_unit_test(errno_message),
		cmocka_unit_test(escape_untrusted),
		cmocka_unit_test(atomic_write_and_read),
		cmocka_unit_test(atomic_write_failure_leaves_nothing),
		cmocka_unit_test(mkdir_and_remove_do_not_follow_links),
		cmocka_unit_test(progress_cancels),
		cmocka_unit_test(path_overflow_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
