/* test_passphrase.c - passphrases from files (the terminal path needs a
 * tty and is exercised by hand and by the TUI tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "airlock/passphrase.h"

static char *write_tmp(const char *data, size_t len)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/test_passphrase.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void read_ok(const char *content, const char *want)
{
	struct airlock_err err;
	char *p = NULL;
	char *path = write_tmp(content, strlen(content));
	airlock_err_init(&err);
	assert_int_equal(airlock_passphrase_read_file(&p, path, &err), AIRLOCK_OK);
	assert_string_equal(p, want);
	airlock_passphrase_free(p);
	unlink(path);
}

static void read_refused(const char *content, size_t len, const char *msg)
{
	struct airlock_err err;
	char *p = NULL;
	char *path = write_tmp(content, len);
	airlock_err_init(&err);
	assert_int_equal(airlock_passphrase_read_file(&p, path, &err), AIRLOCK_E_FAILED);
	assert_null(p);
	assert_non_null(strstr(err.msg, msg));
	assert_true(err.hint[0] != '\0');
	unlink(path);
}

static void test_first_line_only(void **state)
{
	read_ok("secret\nsecond line\n", "secret");
	read_ok("no newline", "no newline");
	read_ok("dos line\r\n", "dos line");
	read_ok("  spaces kept  \n", "  spaces kept  ");
}

static void test_empty_refused(void **state)
{
	read_refused("", 0, "is empty");
	read_refused("\nsecret\n", 8, "is empty");
	read_refused("\r\n", 2, "is empty");
}

static void test_too_long_refused(void **state)
{
	size_t n = AIRLOCK_PASSPHRASE_MAX + 1;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	read_refused(big, n, "longer than");
	big[n - 1] = '\n';   /* exactly the maximum is fine */
	char *path = write_tmp(big, n);
	struct airlock_err err;
	char *p = NULL;
	airlock_err_init(&err);
	assert_int_equal(airlock_passphrase_read_file(&p, path, &err), AIRLOCK_OK);
	assert_int_equal(strlen(p), AIRLOCK_PASSPHRASE_MAX);
	airlock_passphrase_free(p);
	unlink(path);
	free(big);
}

static void test_missing_file(void **state)
{
	struct airlock_err err;
	char *p = NULL;
	airlock_err_init(&err);
	assert_int_equal(airlock_passphrase_get(&p, "/nonexistent/pass", "x", 0, &err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "cannot open passphrase file"));
	assert_non_null(strstr(err.hint, "--passphrase-file"));
	airlock_passphrase_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line_only),
		cmocka_unit_test(test_empty_refused),
		cmocka_unit_test(test_too_long_refused),
		cmocka_unit_test(test_missing_file),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
