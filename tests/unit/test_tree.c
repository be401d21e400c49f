/* test_tree.c - path rules, sorting, the tree hash (checked against the
 * find/stat/b2sum recipe of airlock-bundle(5)) and every refusal of the
 * directory scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "airlock/hash.h"
#include "airlock/objstore.h"
#include "airlock/tree.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/airlock-tree.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	return chmod(root, 0755);     /* the unprivileged child must get in */
}

static int teardown(void **state)
{
	(void)state;
	struct airlock_err err;
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

static void put(const char *rel, const char *data, mode_t mode)
{
	char path[512], dir[512];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/%s", root, rel);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(airlock_mkdir_p(dir, 0755, &err), AIRLOCK_OK);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(airlock_write_all(fd, data, strlen(data), path, &err), AIRLOCK_OK);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void link_to(const char *rel, const char *target)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static char *sub(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	return path;
}

static void path_rules(void **state)
{
	(void)state;
	static const char *good[] = { "a", "a/b.c", "\xc3\xbc/x", "a b/c-d_e", "..a", "a..",
		"\xf0\x9f\x98\x80" };
	static const char *bad[] = { "", "/a", "a/", "a//b", ".", "a/.", "..", "a/../b",
		"a\\b", "a\001b", "a\x7f", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xc3" };
	const char *why;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_int_equal(airlock_tree_path_check(good[i], strlen(good[i]), &why), 0);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		assert_int_equal(airlock_tree_path_check(bad[i], strlen(bad[i]), &why), -1);
		assert_non_null(why);
	}
	char longc[300], longp[4200];
	memset(longc, 'x', 256);
	longc[256] = '\0';
	assert_int_equal(airlock_tree_path_check(longc, 256, &why), -1);
	assert_int_equal(airlock_tree_path_check(longc, 255, &why), 0);
	for (size_t i = 0; i < sizeof longp; i += 2)
		longp[i] = 'a', longp[i + 1] = '/';
	assert_int_equal(airlock_tree_path_check(longp, 4095, &why), 0);
	assert_int_equal(airlock_tree_path_check(longp, 4097, &why), -1);
	assert_string_equal(why, "is longer than 4095 bytes");
	assert_int_equal(airlock_tree_path_check("a\0b", 3, &why), -1);   /* embedded NUL */
}

static void add(struct airlock_tree *t, const char *path, enum airlock_code want)
{
	struct airlock_err err;
	struct airlock_tree_entry e = { .path = (char *)path, .type = AIRLOCK_ENTRY_FILE,
		.mode = 0644, .size = strlen(path) };
	airlock_err_init(&err);
	airlock_hash_buffer(e.hash, path, strlen(path));
	assert_int_equal(airlock_tree_add(t, &e, &err), want);
}

static void sorts_bytewise_and_finds(void **state)
{
	(void)state;
	struct airlock_err err;
	struct airlock_tree *t = airlock_tree_new();
	static const char *in[] = { "b", "a/z", "B", "a-x", "\xc3\xa9", "a.b", "a/b" };
	static const char *sorted[] = { "B", "a-x", "a.b", "a/b", "a/z", "b", "\xc3\xa9" };
	for (size_t i = 0; i < 7; i++)
		add(t, in[i], AIRLOCK_OK);
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_finish(t, &err), AIRLOCK_OK);
	assert_int_equal(airlock_tree_count(t), 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(airlock_tree_at(t, i)->path, sorted[i]);
		assert_ptr_equal(airlock_tree_find(t, sorted[i]), airlock_tree_at(t, i));
	}
	assert_null(airlock_tree_find(t, "a"));
	assert_null(airlock_tree_find(t, "zz"));
	assert_null(airlock_tree_at(t, 7));
	assert_int_equal(airlock_tree_total_bytes(t), 1 + 3 + 3 + 3 + 3 + 1 + 2);
	add(t, "../x", AIRLOCK_E_VERIFY);
	airlock_tree_free(t);
}

static void finish_refuses_duplicates_and_file_dirs(void **state)
{
	(void)state;
	struct airlock_err err;
	struct airlock_tree *t = airlock_tree_new();
	add(t, "x", AIRLOCK_OK);
	add(t, "y", AIRLOCK_OK);
	add(t, "x", AIRLOCK_OK);
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_finish(t, &err), AIRLOCK_E_VERIFY);
	assert_string_equal(err.msg, "duplicate path 'x'");
	airlock_tree_free(t);

	/* "a-x" sorts between "a" and "a/b": the conflict is not adjacent */
	t = airlock_tree_new();
	add(t, "a/b", AIRLOCK_OK);
	add(t, "a-x", AIRLOCK_OK);
	add(t, "a", AIRLOCK_OK);
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_finish(t, &err), AIRLOCK_E_VERIFY);
	assert_string_equal(err.msg, "'a' is both a file and a directory");
	airlock_tree_free(t);
}

static struct airlock_tree *scan_ok(struct airlock_objstore *os)
{
	struct airlock_tree *t = NULL;
	struct airlock_err err;
	airlock_err_init(&err);
	enum airlock_code rc = airlock_tree_scan(&t, sub("src"), os, NULL, &err);
	if (rc != AIRLOCK_OK)
		print_error("scan: %s\n", err.msg);
	assert_int_equal(rc, AIRLOCK_OK);
	return t;
}

static void scan_fails(const char *dir, enum airlock_code code, const char *msg_part,
    const char *hint_part)
{
	struct airlock_tree *t = (struct airlock_tree *)&t;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_scan(&t, dir, NULL, NULL, &err), code);
	assert_null(t);
	if (strstr(err.msg, msg_part) == NULL)
		print_error("message: %s\n", err.msg);
	assert_non_null(strstr(err.msg, msg_part));
	if (hint_part != NULL)
		assert_non_null(strstr(err.hint, hint_part));
}

static void make_sample(void)
{
	put("src/a.txt", "hello\n", 0644);
	put("src/bin/run", "#!/bin/sh\n", 0700);
	put("src/data/x.json", "{}", 0600);
	put("src/data/empty", "", 0644);
	put("src/z/deep/er/f", "deep", 0444);
	link_to("src/data/link", "../a.txt");
	link_to("src/z/deep/up", "../../bin/./run");
	assert_int_equal(mkdir(sub("src/emptydir"), 0755), 0);
}

/* The tree hash must equal what an auditor gets with standard tools. */
static void tree_hash_matches_the_shell_recipe(void **state)
{
	(void)state;
	make_sample();
	struct airlock_tree *t = scan_ok(NULL);
	uint8_t h[AIRLOCK_HASH_BYTES];
	char hex[AIRLOCK_HASH_HEX_LEN + 1], cmd[1024], *out = NULL;
	size_t len;
	struct airlock_err err;
	airlock_tree_hash(t, h);
	airlock_hash_to_hex(hex, h);
	snprintf(cmd, sizeof cmd,
	    "cd %s/src && find . -type f -o -type l | sed 's|^\\./||' | LC_ALL=C sort | "
	    "while IFS= read -r p; do "
	    "if [ -L \"$p\" ]; then t=$(readlink \"$p\"); "
	    "  printf '120000 %%s %%s %%s\\n' ${#t} $(printf %%s \"$t\" | b2sum | cut -c1-128) \"$p\"; "
	    "else m=100644; [ -x \"$p\" ] && m=100755; "
	    "  printf '%%s %%s %%s %%s\\n' $m $(stat -c %%s \"$p\") $(b2sum <\"$p\" | cut -c1-128) \"$p\"; fi; "
	    "done | b2sum | cut -c1-128 >%s/expected", root, root);
	assert_int_equal(system(cmd), 0);
	airlock_err_init(&err);
	assert_int_equal(airlock_read_file(sub("expected"), 1000, &out, &len, &err), AIRLOCK_OK);
	assert_int_equal(len, 129);
	out[128] = '\0';
	assert_string_equal(out, hex);
	free(out);

	assert_int_equal(airlock_tree_count(t), 7);
	const struct airlock_tree_entry *e = airlock_tree_find(t, "bin/run");
	assert_int_equal(e->mode, 0755);
	assert_int_equal(airlock_tree_find(t, "data/x.json")->mode, 0644);
	assert_int_equal(airlock_tree_find(t, "z/deep/er/f")->mode, 0644);
	e = airlock_tree_find(t, "data/link");
	assert_int_equal(e->type, AIRLOCK_ENTRY_SYMLINK);
	assert_int_equal(e->mode, 0777);
	assert_string_equal(e->link_target, "../a.txt");
	assert_int_equal(e->size, 8);
	assert_null(airlock_tree_find(t, "a.txt")->link_target);
	assert_int_equal(airlock_tree_total_bytes(t), 6 + 10 + 2 + 0 + 4);
	airlock_tree_free(t);
}

static void scan_stores_objects_and_is_deterministic(void **state)
{
	(void)state;
	struct airlock_objstore *os;
	struct airlock_err err;
	char name[64], data[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "src/d%d/f%03d", i % 7, i);
		snprintf(data, sizeof data, "content %d\n", i * 7919);
		put(name, data, 0644);
	}
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_open(&os, sub("store"), &err), AIRLOCK_OK);
	struct airlock_tree *a = scan_ok(os), *b = scan_ok(NULL);
	uint8_t ha[AIRLOCK_HASH_BYTES], hb[AIRLOCK_HASH_BYTES];
	airlock_tree_hash(a, ha);
	airlock_tree_hash(b, hb);
	assert_memory_equal(ha, hb, sizeof ha);
	assert_int_equal(airlock_tree_count(a), 300);
	for (size_t i = 0; i < 300; i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(a, i);
		assert_true(airlock_objstore_has(os, e->hash));
		assert_memory_equal(e->hash, airlock_tree_at(b, i)->hash, AIRLOCK_HASH_BYTES);
		airlock_err_init(&err);
		assert_int_equal(airlock_objstore_verify(os, e->hash, &err), AIRLOCK_OK);
	}
	airlock_tree_free(a);
	airlock_tree_free(b);
	airlock_objstore_free(os);
}

static void refuses_missing_empty_and_not_a_directory(void **state)
{
	(void)state;
	scan_fails(sub("nope"), AIRLOCK_E_FAILED, "does not exist", "check the path");
	assert_int_equal(mkdir(sub("empty"), 0755), 0);
	assert_int_equal(mkdir(sub("empty/sub"), 0755), 0);
	scan_fails(sub("empty"), AIRLOCK_E_FAILED, "contains no files", "at least one file");
	put("plain", "x", 0644);
	scan_fails(sub("plain"), AIRLOCK_E_FAILED, "is not a directory", NULL);
}

static void refuses_special_files(void **state)
{
	(void)state;
	put("src/ok", "x", 0644);
	assert_int_equal(mkfifo(sub("src/pipe"), 0644), 0);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "cannot carry 'pipe': it is a named pipe",
	    "remove it");
	assert_int_equal(unlink(sub("src/pipe")), 0);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(sub("src/sock")) < sizeof sa.sun_path);
	memcpy(sa.sun_path, sub("src/sock"), strlen(sub("src/sock")) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "cannot carry 'sock': it is a socket", NULL);
	close(s);
	assert_int_equal(unlink(sub("src/sock")), 0);

	if (mknod(sub("src/null"), S_IFCHR | 0600, makedev(1, 3)) == 0)
		scan_fails(sub("src"), AIRLOCK_E_FAILED, "cannot carry 'null': it is a device", NULL);
}

static void refuses_bad_symlinks(void **state)
{
	(void)state;
	put("src/a/b/f", "x", 0644);
	link_to("src/abs", "/etc/passwd");
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "'abs': it is a symlink with an absolute target",
	    "make the link relative");
	unlink(sub("src/abs"));
	link_to("src/a/b/up", "../../../outside");
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "'a/b/up': it is a symlink pointing outside", NULL);
	unlink(sub("src/a/b/up"));
	link_to("src/a/b/zig", "x/../../../../y");
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "pointing outside", NULL);
	unlink(sub("src/a/b/zig"));
	/* lexically inside, even through a name that may not exist */
	link_to("src/a/b/in", "x/../../../a/./b//f");
	struct airlock_tree *t = scan_ok(NULL);
	assert_string_equal(airlock_tree_find(t, "a/b/in")->link_target, "x/../../../a/./b//f");
	airlock_tree_free(t);
	/* a symlinked directory is an entry, never followed */
	link_to("src/dirlink", "a");
	t = scan_ok(NULL);
	assert_int_equal(airlock_tree_count(t), 3);
	assert_null(airlock_tree_find(t, "dirlink/b/f"));
	airlock_tree_free(t);
}

static void refuses_bad_names(void **state)
{
	(void)state;
	put("src/ok", "x", 0644);
	put("src/bad\xff", "x", 0644);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "cannot carry 'bad\\xff': its name is not valid UTF-8",
	    "rename it");
	unlink(sub("src/bad\xff"));
	put("src/d/back\\slash", "x", 0644);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "its name contains a backslash", NULL);
	unlink(sub("src/d/back\\slash"));
	put("src/tab\there", "x", 0644);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "contains a control character", NULL);
}

static void refuses_files_over_4gib(void **state)
{
	(void)state;
	put("src/big", "", 0644);
	assert_int_equal(truncate(sub("src/big"), (off_t)AIRLOCK_FILE_SIZE_MAX + 1), 0);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "'big': it is larger than 4 GiB", "split");
}

/* Root ignores permissions, so the scan runs in a child as nobody. */
static void expect_unreadable(const char *msg_part)
{
	if (geteuid() != 0) {
		scan_fails(sub("src"), AIRLOCK_E_FAILED, msg_part, "make it readable");
		return;
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct airlock_tree *t = NULL;
		struct airlock_err err;
		airlock_err_init(&err);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(10);
		enum airlock_code rc = airlock_tree_scan(&t, sub("src"), NULL, NULL, &err);
		_exit(rc == AIRLOCK_E_FAILED && strstr(err.msg, msg_part) != NULL &&
		    strstr(err.msg, "Permission denied") != NULL &&
		    strstr(err.hint, "make it readable") != NULL ? 0 : 11);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void refuses_unreadable(void **state)
{
	(void)state;
	put("src/ok", "x", 0644);
	put("src/secret", "x", 0600);
	assert_int_equal(chmod(sub("src/secret"), 0000), 0);
	expect_unreadable("cannot read file");
	unlink(sub("src/secret"));
	put("src/locked/f", "x", 0644);
	assert_int_equal(chmod(sub("src/locked"), 0000), 0);
	expect_unreadable("cannot read directory");
	chmod(sub("src/locked"), 0755);
}

struct writer {
	int fd;
	volatile int stop;
};

static void *keep_writing(void *arg)
{
	struct writer *w = arg;
	char c = 0;
	while (!w->stop) {
		c++;
		if (pwrite(w->fd, &c, 1, 0) != 1)
			break;
	}
	return NULL;
}

/* A file rewritten during the whole scan is read 4 times, then refused. */
static void refuses_a_file_that_keeps_changing(void **state)
{
	(void)state;
	put("src/ok", "x", 0644);
	put("src/busy", "", 0644);
	struct writer w = { .fd = open(sub("src/busy"), O_WRONLY) };
	assert_true(w.fd >= 0);
	assert_int_equal(ftruncate(w.fd, 64 << 20), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, keep_writing, &w), 0);
	scan_fails(sub("src"), AIRLOCK_E_FAILED, "'busy': it kept changing while it was read",
	    "stop whatever writes to it");
	w.stop = 1;
	pthread_join(th, NULL);
	close(w.fd);
	struct airlock_tree *t = scan_ok(NULL);  /* quiet again: accepted */
	assert_int_equal(airlock_tree_find(t, "busy")->size, 64 << 20);
	airlock_tree_free(t);
}

static int stop_now(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	(void)stage;
	(void)done;
	(void)total;
	++*(int *)ctx;
	return 1;
}

static void progress_can_cancel(void **state)
{
	(void)state;
	char name[32];
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "src/f%d", i);
		put(name, name, 0644);
	}
	int calls = 0;
	struct airlock_progress p = { .fn = stop_now, .ctx = &calls };
	struct airlock_tree *t = NULL;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_scan(&t, sub("src"), NULL, &p, &err), AIRLOCK_E_CANCELLED);
	assert_null(t);
	assert_int_equal(calls, 1);
	assert_string_equal(err.msg, "cancelled during hash");

	volatile sig_atomic_t flag = 1;
	struct airlock_progress q = { .cancel = &flag };
	airlock_err_init(&err);
	assert_int_equal(airlock_tree_scan(&t, sub("src"), NULL, &q, &err), AIRLOCK_E_CANCELLED);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_rules),
		cmocka_unit_test(sorts_bytewise_and_finds),
		cmocka_unit_test(finish_refuses_duplicates_and_file_dirs),
		cmocka_unit_test_setup_teardown(tree_hash_matches_the_shell_recipe, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_stores_objects_and_is_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_missing_empty_and_not_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_bad_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_files_over_4gib, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_file_that_keeps_changing, setup, teardown),
		cmocka_unit_test_setup_teardown(progress_can_cancel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
