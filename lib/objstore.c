/* objstore.c - content-addressed object store: DIR/ab/<126 more hex digits>.
 * Objects appear only through rename(2) of a complete, fsync'ed temporary
 * file, so a crash or a full disk never leaves a partial object behind. */
#include "airlock/objstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/fault.h"
#include "airlock/hash.h"
#include "airlock/io.h"

#define CHUNK (256 * 1024)            /* streaming unit: bounded memory */
#define TMP_PREFIX ".tmp-"            /* temporary files live in the root */

struct airlock_objstore {
	char *dir;
	int dfd;
	const struct airlock_objstore *known;   /* objects there are not written here */
	int deferred;                           /* fsyncs left to airlock_objstore_sync */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Relative name "ab/cdef..." of an object; rel must hold 130 bytes. */
static void object_rel(char rel[AIRLOCK_HASH_HEX_LEN + 2], const uint8_t hash[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, hash);
	rel[0] = hex[0];
	rel[1] = hex[1];
	rel[2] = '/';
	memcpy(rel + 3, hex + 2, AIRLOCK_HASH_HEX_LEN - 2 + 1);
}

enum airlock_code airlock_objstore_open(struct airlock_objstore **os, const char *dir,
    struct airlock_err *err)
{
	*os = NULL;
	/* temporary names come from randombytes, which two scan threads share */
	if (sodium_init() < 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot initialise libsodium");
	if (airlock_mkdir_p(dir, 0755, err) != AIRLOCK_OK)
		return err->code;
	struct airlock_objstore *s = calloc(1, sizeof *s);
	if (s == NULL || (s->dir = strdup(dir)) == NULL) {
		free(s);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory opening object store");
	}
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open object store '%s'", dir);
		airlock_objstore_free(s);
		return err->code;
	}
	*os = s;
	return AIRLOCK_OK;
}

void airlock_objstore_free(struct airlock_objstore *os)
{
	if (os == NULL)
		return;
	if (os->dfd >= 0)
		close(os->dfd);
	free(os->dir);
	free(os);
}

static enum airlock_code fsync_at(int dfd, const char *name, const char *dir, struct airlock_err *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open directory '%s/%s'",
		    dir, name);
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, e, "cannot sync directory '%s/%s'",
		    dir, name);
	}
	close(fd);
	return AIRLOCK_OK;
}

/* Directory fsyncs of a store in deferred mode wait for airlock_objstore_sync. */
static enum airlock_code sync_dir(const struct airlock_objstore *os, const char *name,
    struct airlock_err *err)
{
	return os->deferred ? AIRLOCK_OK : fsync_at(os->dfd, name, os->dir, err);
}

/* Whether an object is here, or in the store this one defers to. */
static int present(const struct airlock_objstore *os, const uint8_t hash[AIRLOCK_HASH_BYTES])
{
	return airlock_objstore_has(os, hash) || (os->known != NULL && airlock_objstore_has(os->known, hash));
}

/* Renames the temporary file tmp (relative to the root) to the object's
 * place, or drops it when the object is already there. */
static enum airlock_code publish(struct airlock_objstore *os, const char *tmp,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2], sub[3] = { 0 };
	object_rel(rel, hash);
	memcpy(sub, rel, 2);
	int created = mkdirat(os->dfd, sub, 0755) == 0;
	if (!created && errno != EEXIST)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot create directory '%s/%s'", os->dir, sub);
	if (created && sync_dir(os, ".", err) != AIRLOCK_OK)
		return err->code;
	struct stat st;
	if (fstatat(os->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		unlinkat(os->dfd, tmp, 0);
		return AIRLOCK_OK;     /* same name, same content: keep the old one */
	}
	airlock_fault_point("objstore.rename");
	if (renameat(os->dfd, tmp, os->dfd, rel) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot move '%s/%s' into the object store", os->dir, tmp);
	return sync_dir(os, sub, err);
}

struct tmpfile {
	char name[64];
	int fd;
};

static enum airlock_code tmp_create(struct airlock_objstore *os, struct tmpfile *t,
    struct airlock_err *err)
{
	uint32_t r = randombytes_random();
	for (int tries = 0; tries < 100; tries++, r = randombytes_random()) {
		snprintf(t->name, sizeof t->name, TMP_PREFIX "%ld-%08x", (long)getpid(), (unsigned)r);
		t->fd = openat(os->dfd, t->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (t->fd >= 0)
			return AIRLOCK_OK;
		if (errno != EEXIST)
			break;
	}
	airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create a temporary file in '%s'",
	    os->dir);
	if (err->sys_errno == EROFS || err->sys_errno == EACCES)
		airlock_hint(err, "the object store must be on a writable disk");
	return err->code;
}

/* Makes a written temporary file read-only and durable, then publishes it. */
static enum airlock_code tmp_commit(struct airlock_objstore *os, struct tmpfile *t,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	if (present(os, hash)) {
		/* unchanged content: no fsync, no rename (re-snapshots stay cheap) */
		close(t->fd);
		t->fd = -1;
		unlinkat(os->dfd, t->name, 0);
		return AIRLOCK_OK;
	}
	if (fchmod(t->fd, 0444) != 0 || (!os->deferred && fsync(t->fd) != 0)) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot sync '%s/%s'", os->dir, t->name);
		if (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT)
			airlock_hint(err, "the disk holding '%s' is full: free some space and try again",
			    os->dir);
		return err->code;
	}
	int rc = close(t->fd);
	t->fd = -1;
	if (rc != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot close '%s/%s'",
		    os->dir, t->name);
	return publish(os, t->name, hash, err);
}

static void tmp_discard(struct airlock_objstore *os, struct tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	unlinkat(os->dfd, t->name, 0);
}

static enum airlock_code tmp_write(struct airlock_objstore *os, struct tmpfile *t,
    const void *buf, size_t len, struct airlock_err *err)
{
	char what[96];
	snprintf(what, sizeof what, "%s/%s", os->dir, t->name);
	if (airlock_write_all(t->fd, buf, len, what, err) != AIRLOCK_OK &&
	    (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT))
		airlock_hint(err, "the disk holding '%s' is full: free some space and try again", os->dir);
	return err->code;
}

static enum airlock_code copy_hashing(struct airlock_objstore *os, struct tmpfile *t, int fd,
    uint8_t hash[AIRLOCK_HASH_BYTES], uint64_t *size, struct airlock_err *err)
{
	unsigned char *buf = malloc(CHUNK);
	if (buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory copying into the object store");
	struct airlock_hasher h;
	airlock_hasher_init(&h);
	uint64_t total = 0;
	for (;;) {
		size_t got = 0;
		if (airlock_read_full(fd, buf, CHUNK, &got, "input file", err) != AIRLOCK_OK)
			break;
		if (got == 0)
			break;
		airlock_hasher_update(&h, buf, got);
		total += got;
		if (tmp_write(os, t, buf, got, err) != AIRLOCK_OK)
			break;
	}
	free(buf);
	airlock_hasher_final(&h, hash);
	*size = total;
	return err->code;
}

enum airlock_code airlock_objstore_put_fd(struct airlock_objstore *os, int fd,
    uint8_t hash[AIRLOCK_HASH_BYTES], uint64_t *size, struct airlock_err *err)
{
	struct tmpfile t;
	uint64_t n = 0;
	if (tmp_create(os, &t, err) != AIRLOCK_OK)
		return err->code;
	if (copy_hashing(os, &t, fd, hash, &n, err) != AIRLOCK_OK ||
	    tmp_commit(os, &t, hash, err) != AIRLOCK_OK) {
		tmp_discard(os, &t);
		return err->code;
	}
	if (size != NULL)
		*size = n;
	return AIRLOCK_OK;
}

enum airlock_code airlock_objstore_put_buffer(struct airlock_objstore *os, const void *buf,
    size_t len, uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	airlock_hash_buffer(hash, buf, len);
	if (present(os, hash))
		return AIRLOCK_OK;
	struct tmpfile t;
	if (tmp_create(os, &t, err) != AIRLOCK_OK)
		return err->code;
	if (tmp_write(os, &t, buf, len, err) != AIRLOCK_OK ||
	    tmp_commit(os, &t, hash, err) != AIRLOCK_OK) {
		tmp_discard(os, &t);
		return err->code;
	}
	return AIRLOCK_OK;
}

enum airlock_code airlock_objstore_adopt(struct airlock_objstore *os, const char *tmp_path,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2], sub[3] = { 0 };
	object_rel(rel, hash);
	memcpy(sub, rel, 2);
	if (chmod(tmp_path, 0444) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot change mode of '%s'",
		    tmp_path);
	int created = mkdirat(os->dfd, sub, 0755) == 0;
	if (!created && errno != EEXIST)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot create directory '%s/%s'", os->dir, sub);
	if (airlock_objstore_has(os, hash)) {
		unlink(tmp_path);
		return AIRLOCK_OK;
	}
	if (renameat(AT_FDCWD, tmp_path, os->dfd, rel) != 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot move '%s' into the object store '%s'", tmp_path, os->dir);
		if (err->sys_errno == EXDEV)
			airlock_hint(err, "the file must be on the same filesystem as the store");
		return err->code;
	}
	if (created && sync_dir(os, ".", err) != AIRLOCK_OK)
		return err->code;
	return sync_dir(os, sub, err);
}

void airlock_objstore_set_known(struct airlock_objstore *os, const struct airlock_objstore *known)
{
	os->known = known;
}

void airlock_objstore_set_deferred(struct airlock_objstore *os, int deferred)
{
	os->deferred = deferred;
}

enum airlock_code airlock_objstore_sync(struct airlock_objstore *os, struct airlock_err *err)
{
	if (syncfs(os->dfd) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot sync the disk of '%s'",
		    os->dir);
	/* syncfs flushes data and metadata of the whole filesystem; the
	 * directory fsyncs make the renames durable where syncfs is lax */
	static const char hexd[] = "0123456789abcdef";
	for (int i = 0; i < 256; i++) {
		char sub[3] = { hexd[i >> 4], hexd[i & 15], '\0' };
		struct stat st;
		if (fstatat(os->dfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    fsync_at(os->dfd, sub, os->dir, err) != AIRLOCK_OK)
			return err->code;
	}
	return fsync_at(os->dfd, ".", os->dir, err);
}

int airlock_objstore_has(const struct airlock_objstore *os, const uint8_t hash[AIRLOCK_HASH_BYTES])
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2];
	struct stat st;
	object_rel(rel, hash);
	return fstatat(os->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

enum airlock_code airlock_objstore_path(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], char *out, size_t outlen, struct airlock_err *err)
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2];
	object_rel(rel, hash);
	return airlock_path(out, outlen, err, "%s/%s", os->dir, rel);
}

enum airlock_code airlock_objstore_open_object(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], int *fd, struct airlock_err *err)
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2];
	object_rel(rel, hash);
	*fd = openat(os->dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd >= 0)
		return AIRLOCK_OK;
	airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open object '%s/%s'", os->dir, rel);
	if (err->sys_errno == ENOENT)
		airlock_hint(err, "the object store is incomplete: run fsck");
	return err->code;
}

enum airlock_code airlock_objstore_map(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], const uint8_t **data, size_t *len,
    struct airlock_err *err)
{
	int fd;
	struct stat st;
	*data = NULL;
	*len = 0;
	if (airlock_objstore_open_object(os, hash, &fd, err) != AIRLOCK_OK)
		return err->code;
	if (fstat(fd, &st) != 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot stat an object in '%s'", os->dir);
		close(fd);
		return err->code;
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot map an object in '%s'",
			    os->dir);
			close(fd);
			return err->code;
		}
		*data = p;
		*len = (size_t)st.st_size;
	}
	close(fd);
	return AIRLOCK_OK;
}

/* A missing object is not an error: removing is idempotent. */
enum airlock_code airlock_objstore_remove(struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	char rel[AIRLOCK_HASH_HEX_LEN + 2], sub[3] = { 0 };
	object_rel(rel, hash);
	memcpy(sub, rel, 2);
	if (unlinkat(os->dfd, rel, 0) != 0) {
		if (errno == ENOENT)
			return AIRLOCK_OK;
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot remove '%s/%.16s...'",
		    os->dir, rel);
	}
	return fsync_at(os->dfd, sub, os->dir, err);
}

enum airlock_code airlock_objstore_verify(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err)
{
	int fd;
	uint8_t got[AIRLOCK_HASH_BYTES];
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	if (airlock_objstore_open_object(os, hash, &fd, err) != AIRLOCK_OK)
		return err->code;
	airlock_hash_to_hex(hex, hash);
	enum airlock_code rc = airlock_hash_fd(fd, got, NULL, hex, err);
	close(fd);
	if (rc != AIRLOCK_OK)
		return rc;
	if (sodium_memcmp(got, hash, AIRLOCK_HASH_BYTES) != 0) {
		airlock_fail(err, AIRLOCK_E_VERIFY, "object %s in '%s' is damaged (its content has another hash)",
		    hex, os->dir);
		airlock_hint(err, "remove it and import or sign that version again");
		return err->code;
	}
	return AIRLOCK_OK;
}

/* Fills hash from "ab" + 126 hex digits; -1 for names that are not objects. */
static int name_to_hash(uint8_t hash[AIRLOCK_HASH_BYTES], const char *sub, const char *name)
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	if (strlen(name) != AIRLOCK_HASH_HEX_LEN - 2)
		return -1;
	for (const char *c = name; *c; c++)
		if (hexval(*c) < 0)
			return -1;     /* only the canonical lowercase names are objects */
	hex[0] = sub[0];
	hex[1] = sub[1];
	memcpy(hex + 2, name, AIRLOCK_HASH_HEX_LEN - 2 + 1);
	return airlock_hash_from_hex(hash, hex);
}

static enum airlock_code each_in_sub(const struct airlock_objstore *os, const char *sub,
    enum airlock_code (*fn)(void *, const uint8_t *, struct airlock_err *), void *ctx,
    struct airlock_err *err)
{
	int fd = openat(os->dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s/%s'", os->dir, sub);
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot list '%s/%s'", os->dir, sub);
	}
	struct dirent *de;
	uint8_t hash[AIRLOCK_HASH_BYTES];
	enum airlock_code rc = AIRLOCK_OK;
	while (rc == AIRLOCK_OK && (de = readdir(d)) != NULL) {
		if (name_to_hash(hash, sub, de->d_name) == 0)
			rc = fn(ctx, hash, err);
	}
	closedir(d);
	return rc;
}

enum airlock_code airlock_objstore_each(const struct airlock_objstore *os,
    enum airlock_code (*fn)(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err),
    void *ctx, struct airlock_err *err)
{
	int fd = openat(os->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot list '%s'", os->dir);
	}
	struct dirent *de;
	enum airlock_code rc = AIRLOCK_OK;
	while (rc == AIRLOCK_OK && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strlen(n) == 2 && hexval(n[0]) >= 0 && hexval(n[1]) >= 0)
			rc = each_in_sub(os, n, fn, ctx, err);
	}
	closedir(d);
	return rc;
}
