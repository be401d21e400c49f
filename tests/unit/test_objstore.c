/* test_objstore.c - layout, modes, streaming put, verify, enumeration, and
 * the failure paths: a full disk (a 64 KiB tmpfs) and a read-only store
 * must leave no temporary file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "airlock/hash.h"
#include "airlock/objstore.h"

static char root[64];
static char store_dir[128];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/airlock-os.XXXXXX");
	if (mkdtemp(root) == NULL || chmod(root, 0755) != 0)
		return -1;
	snprintf(store_dir, sizeof store_dir, "%s/store", root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct airlock_err err;
	char mnt[128];
	snprintf(mnt, sizeof mnt, "%s/small", root);
	umount2(mnt, MNT_DETACH);     /* when a failed assertion left it mounted */
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

static struct airlock_objstore *open_store(const char *dir)
{
	struct airlock_objstore *os = NULL;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_open(&os, dir, &err), AIRLOCK_OK);
	return os;
}

/* Number of entries in dir whose name starts with ".tmp-". */
static int temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, ".tmp-", 5) == 0;
	closedir(d);
	return n;
}

static void layout_and_mode(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES], want[AIRLOCK_HASH_BYTES];
	char path[512], hex[AIRLOCK_HASH_HEX_LEN + 1], expect[512];
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, "abc", 3, h, &err), AIRLOCK_OK);
	airlock_hash_buffer(want, "abc", 3);
	assert_memory_equal(h, want, sizeof h);
	assert_int_equal(airlock_objstore_path(os, h, path, sizeof path, &err), AIRLOCK_OK);
	airlock_hash_to_hex(hex, h);
	snprintf(expect, sizeof expect, "%s/%.2s/%s", store_dir, hex, hex + 2);
	assert_string_equal(path, expect);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, 3);
	assert_true(airlock_objstore_has(os, h));
	assert_int_equal(temp_files(store_dir), 0);
	char small[8];
	assert_int_equal(airlock_objstore_path(os, h, small, sizeof small, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "path too long"));
	airlock_objstore_free(os);
}

static void put_fd_streams_and_keeps_existing(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	size_t len = 3 * 256 * 1024 + 17;
	unsigned char *data = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 9));
	char src[128];
	snprintf(src, sizeof src, "%s/src", root);
	airlock_err_init(&err);
	assert_int_equal(airlock_write_file_atomic(src, data, len, 0644, &err), AIRLOCK_OK);
	uint8_t h[AIRLOCK_HASH_BYTES], want[AIRLOCK_HASH_BYTES];
	uint64_t size = 0;
	int fd = open(src, O_RDONLY);
	assert_int_equal(airlock_objstore_put_fd(os, fd, h, &size, &err), AIRLOCK_OK);
	close(fd);
	airlock_hash_buffer(want, data, len);
	assert_memory_equal(h, want, sizeof h);
	assert_int_equal(size, len);

	const uint8_t *map;
	size_t mlen;
	assert_int_equal(airlock_objstore_map(os, h, &map, &mlen, &err), AIRLOCK_OK);
	assert_int_equal(mlen, len);
	assert_memory_equal(map, data, len);
	munmap((void *)map, mlen);

	/* a second copy of the same content is dropped, the first kept */
	fd = open(src, O_RDONLY);
	assert_int_equal(airlock_objstore_put_fd(os, fd, h, NULL, &err), AIRLOCK_OK);
	close(fd);
	assert_int_equal(airlock_objstore_put_buffer(os, data, len, h, &err), AIRLOCK_OK);
	assert_int_equal(temp_files(store_dir), 0);
	assert_int_equal(airlock_objstore_verify(os, h, &err), AIRLOCK_OK);
	free(data);
	airlock_objstore_free(os);
}

/* A staging store that defers to a home store writes only what the home
 * lacks, and in deferred mode its objects appear once synced. */
static void known_store_and_deferred_sync(void **state)
{
	(void)state;
	char staging_dir[160], src[160];
	struct airlock_err err;
	uint8_t old_hash[AIRLOCK_HASH_BYTES], new_hash[AIRLOCK_HASH_BYTES];
	struct airlock_objstore *home = open_store(store_dir);
	snprintf(staging_dir, sizeof staging_dir, "%s/staging", root);
	struct airlock_objstore *staging = open_store(staging_dir);
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(home, "old", 3, old_hash, &err), AIRLOCK_OK);
	airlock_objstore_set_known(staging, home);
	airlock_objstore_set_deferred(staging, 1);

	snprintf(src, sizeof src, "%s/src", root);
	assert_int_equal(airlock_write_file_atomic(src, "old", 3, 0644, &err), AIRLOCK_OK);
	int fd = open(src, O_RDONLY);
	uint8_t h[AIRLOCK_HASH_BYTES];
	assert_int_equal(airlock_objstore_put_fd(staging, fd, h, NULL, &err), AIRLOCK_OK);
	close(fd);
	assert_memory_equal(h, old_hash, sizeof h);
	assert_false(airlock_objstore_has(staging, old_hash));   /* the home has it */
	assert_int_equal(temp_files(staging_dir), 0);

	assert_int_equal(airlock_objstore_put_buffer(staging, "new", 3, new_hash, &err), AIRLOCK_OK);
	assert_true(airlock_objstore_has(staging, new_hash));
	assert_int_equal(airlock_objstore_sync(staging, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_verify(staging, new_hash, &err), AIRLOCK_OK);

	airlock_objstore_set_known(staging, NULL);
	assert_int_equal(airlock_objstore_put_buffer(staging, "old", 3, h, &err), AIRLOCK_OK);
	assert_true(airlock_objstore_has(staging, old_hash));
	airlock_objstore_free(staging);
	airlock_objstore_free(home);
}

static void empty_object_maps_to_null(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES];
	const uint8_t *map = (const uint8_t *)"x";
	size_t mlen = 9;
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, "", 0, h, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_map(os, h, &map, &mlen, &err), AIRLOCK_OK);
	assert_null(map);
	assert_int_equal(mlen, 0);
	airlock_objstore_free(os);
}

static void verify_finds_damage(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES];
	char path[512];
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, "payload", 7, h, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_path(os, h, path, sizeof path, &err), AIRLOCK_OK);
	assert_int_equal(chmod(path, 0644), 0);
	int fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "P", 1, 0), 1);
	close(fd);
	assert_int_equal(airlock_objstore_verify(os, h, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "is damaged"));
	airlock_objstore_free(os);
}

static void missing_object_and_remove(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES];
	int fd = -1;
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, "gone", 4, h, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_remove(os, h, &err), AIRLOCK_OK);
	assert_false(airlock_objstore_has(os, h));
	assert_int_equal(airlock_objstore_remove(os, h, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_open_object(os, h, &fd, &err), AIRLOCK_E_FAILED);
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, h);
	assert_non_null(strstr(err.msg, hex + 2));
	assert_non_null(strstr(err.msg, "No such file"));
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_verify(os, h, &err), AIRLOCK_E_FAILED);
	airlock_objstore_free(os);
}

static enum airlock_code collect(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	(void)err;
	uint8_t *sum = ctx;
	for (int i = 0; i < AIRLOCK_HASH_BYTES; i++)
		sum[i] ^= hash[i];
	sum[AIRLOCK_HASH_BYTES]++;
	return AIRLOCK_OK;
}

static enum airlock_code stop_walk(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES],
    struct airlock_err *err)
{
	(void)ctx;
	(void)hash;
	return airlock_fail(err, AIRLOCK_E_CANCELLED, "stop");
}

static void each_lists_objects_only(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES], want[AIRLOCK_HASH_BYTES + 1] = { 0 };
	uint8_t got[AIRLOCK_HASH_BYTES + 1] = { 0 };
	char buf[16], junk[512];
	airlock_err_init(&err);
	for (int i = 0; i < 40; i++) {
		snprintf(buf, sizeof buf, "obj %d", i);
		assert_int_equal(airlock_objstore_put_buffer(os, buf, strlen(buf), h, &err), AIRLOCK_OK);
		collect(want, h, &err);
	}
	/* junk an object walk must skip */
	snprintf(junk, sizeof junk, "%s/.tmp-1-deadbeef", store_dir);
	assert_int_equal(airlock_write_file_atomic(junk, "x", 1, 0644, &err), AIRLOCK_OK);
	snprintf(junk, sizeof junk, "%s/zz", store_dir);
	assert_int_equal(mkdir(junk, 0755), 0);
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, h);
	snprintf(junk, sizeof junk, "%s/%.2s/%s.x", store_dir, hex, hex + 2);
	assert_int_equal(airlock_write_file_atomic(junk, "x", 1, 0644, &err), AIRLOCK_OK);

	assert_int_equal(airlock_objstore_each(os, collect, got, &err), AIRLOCK_OK);
	assert_memory_equal(got, want, sizeof got);
	assert_int_equal(airlock_objstore_each(os, stop_walk, NULL, &err), AIRLOCK_E_CANCELLED);
	airlock_objstore_free(os);
}

static void adopt_moves_a_file_in(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES];
	char tmp[128], path[512];
	snprintf(tmp, sizeof tmp, "%s/store/incoming", root);
	airlock_err_init(&err);
	assert_int_equal(airlock_write_file_atomic(tmp, "adopted", 7, 0600, &err), AIRLOCK_OK);
	airlock_hash_buffer(h, "adopted", 7);
	assert_int_equal(airlock_objstore_adopt(os, tmp, h, &err), AIRLOCK_OK);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(airlock_objstore_path(os, h, path, sizeof path, &err), AIRLOCK_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(airlock_objstore_verify(os, h, &err), AIRLOCK_OK);
	/* adopting content already present drops the new file */
	assert_int_equal(airlock_write_file_atomic(tmp, "adopted", 7, 0600, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_adopt(os, tmp, h, &err), AIRLOCK_OK);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(airlock_objstore_adopt(os, tmp, h, &err), AIRLOCK_E_FAILED);
	airlock_objstore_free(os);
}

static void open_refuses_a_file(void **state)
{
	(void)state;
	struct airlock_objstore *os = (struct airlock_objstore *)&os;
	struct airlock_err err;
	char path[128];
	snprintf(path, sizeof path, "%s/file", root);
	airlock_err_init(&err);
	assert_int_equal(airlock_write_file_atomic(path, "x", 1, 0644, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_open(&os, path, &err), AIRLOCK_E_FAILED);
	assert_null(os);
	assert_non_null(strstr(err.msg, "not a directory"));
}

/* A full disk: tmpfs of 64 KiB (needs root); the put fails with a clear
 * message and hint, and no temporary file is left. */
static void full_disk_leaves_no_temp_file(void **state)
{
	(void)state;
	char mnt[128];
	snprintf(mnt, sizeof mnt, "%s/small", root);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
		print_message("# cannot mount a tmpfs (%s); read_only_store_fails_cleanly covers cleanup\n",
		    strerror(errno));
		skip();
	}
	struct airlock_objstore *os = open_store(mnt);
	struct airlock_err err;
	uint8_t h[AIRLOCK_HASH_BYTES];
	size_t len = 1 << 20;
	char *big = calloc(1, len);
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, big, len, h, &err), AIRLOCK_E_FAILED);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_non_null(strstr(err.msg, "No space left on device"));
	assert_non_null(strstr(err.hint, "full"));
	assert_int_equal(temp_files(mnt), 0);
	assert_false(airlock_objstore_has(os, h));

	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (int i = 0; i < 64; i++)
			if (write(fds[1], big, 16384) != 16384)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_fd(os, fds[0], h, NULL, &err), AIRLOCK_E_FAILED);
	assert_int_equal(err.sys_errno, ENOSPC);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	assert_int_equal(temp_files(mnt), 0);
	/* still usable once the data fits */
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(os, "fits", 4, h, &err), AIRLOCK_OK);
	airlock_objstore_free(os);
	free(big);
	assert_int_equal(umount(mnt), 0);
}

/* Read-only store (as nobody when root, since root ignores modes). */
static void read_only_store_fails_cleanly(void **state)
{
	(void)state;
	struct airlock_objstore *os = open_store(store_dir);
	assert_int_equal(chmod(store_dir, 0555), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct airlock_err err;
		uint8_t h[AIRLOCK_HASH_BYTES];
		airlock_err_init(&err);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		enum airlock_code rc = airlock_objstore_put_buffer(os, "ro", 2, h, &err);
		_exit(rc == AIRLOCK_E_FAILED && strstr(err.msg, "cannot create a temporary file") &&
		    strstr(err.hint, "writable") ? 0 : 11);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(temp_files(store_dir), 0);
	assert_int_equal(chmod(store_dir, 0755), 0);
	airlock_objstore_free(os);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(layout_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(put_fd_streams_and_keeps_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(known_store_and_deferred_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_object_maps_to_null, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_finds_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_object_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(each_lists_objects_only, setup, teardown),
		cmocka_unit_test_setup_teardown(adopt_moves_a_file_in, setup, teardown),
		cmocka_unit_test_setup_teardown(open_refuses_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_leaves_no_temp_file, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_store_fails_cleanly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
