/* tree.c - sorted file trees, their tree hash, and the directory scanner.
 * The scanner never follows a symlink (every open is relative to a directory
 * fd with O_NOFOLLOW) and reads each file exactly once, hashing it and
 * copying it into the object store in the same pass, on two threads. */
#include "airlock/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/objstore.h"

#define COMPONENT_MAX 255
#define CHUNK (256 * 1024)     /* files are streamed in chunks of this size */
#define REREADS 3              /* a file changing while read is read again this often */
#define WORKERS 2              /* the target machine has two cores */

struct airlock_tree {
	struct airlock_tree_entry *v;
	size_t n, cap;
	int finished;
};

struct airlock_tree *airlock_tree_new(void)
{
	return calloc(1, sizeof(struct airlock_tree));
}

void airlock_tree_free(struct airlock_tree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].link_target);
	}
	free(t->v);
	free(t);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Checks bytes shared by paths and link targets: UTF-8, no controls. */
static int text_check(const char *p, size_t len, const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < len;) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			*why = "contains a control character";
			return -1;
		}
		size_t k = utf8_seq(s + i, len - i);
		if (k == 0) {
			*why = "is not valid UTF-8";
			return -1;
		}
		i += k;
	}
	return 0;
}

static int component_check(const char *c, size_t len, const char **why)
{
	if (len == 0)
		*why = "has an empty component (a leading, trailing or double '/')";
	else if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
		*why = "has a '.' or '..' component";
	else if (len > COMPONENT_MAX)
		*why = "has a component longer than 255 bytes";
	else
		return 0;
	return -1;
}

int airlock_tree_path_check(const char *path, size_t len, const char **why)
{
	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (len > AIRLOCK_PATH_MAX) {
		*why = "is longer than 4095 bytes";
		return -1;
	}
	if (memchr(path, '\\', len) != NULL) {
		*why = "contains a backslash";
		return -1;
	}
	if (text_check(path, len, why) != 0)
		return -1;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (component_check(path + start, i - start, why) != 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

static enum airlock_code bad_path(struct airlock_err *err, const char *path, size_t len,
    const char *why)
{
	char shown[256];
	airlock_escape(shown, sizeof shown, path, len);
	return airlock_fail(err, AIRLOCK_E_VERIFY, "invalid path '%s': it %s", shown, why);
}

enum airlock_code airlock_tree_add(struct airlock_tree *t, const struct airlock_tree_entry *e,
    struct airlock_err *err)
{
	const char *why;
	size_t len = strlen(e->path);
	if (airlock_tree_path_check(e->path, len, &why) != 0)
		return bad_path(err, e->path, len, why);
	if ((e->type == AIRLOCK_ENTRY_SYMLINK) != (e->link_target != NULL))
		return airlock_fail(err, AIRLOCK_E_FAILED, "entry '%s' has a wrong link target", e->path);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *v = realloc(t->v, cap * sizeof *t->v);
		if (v == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory building a file list");
		t->v = v;
		t->cap = cap;
	}
	struct airlock_tree_entry *d = &t->v[t->n];
	*d = *e;
	d->path = strdup(e->path);
	d->link_target = e->link_target ? strdup(e->link_target) : NULL;
	if (d->path == NULL || (e->link_target != NULL && d->link_target == NULL)) {
		free(d->path);
		free(d->link_target);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory building a file list");
	}
	t->n++;
	t->finished = 0;
	return AIRLOCK_OK;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct airlock_tree_entry *)a)->path,
	    ((const struct airlock_tree_entry *)b)->path);
}

/* First index whose path is >= key (bytewise). */
static size_t lower_bound(const struct airlock_tree *t, const char *key)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* "a" and "a/b" cannot both exist: a path is a file or a directory. The
 * entries below "a/" need not follow "a" directly ("a-x" sorts between). */
static int has_children(const struct airlock_tree *t, const char *path)
{
	char key[AIRLOCK_PATH_MAX + 2];
	size_t len = strlen(path);
	memcpy(key, path, len);
	key[len] = '/';
	key[len + 1] = '\0';
	size_t i = lower_bound(t, key);
	return i < t->n && strncmp(t->v[i].path, key, len + 1) == 0;
}

enum airlock_code airlock_tree_finish(struct airlock_tree *t, struct airlock_err *err)
{
	char shown[256];
	if (t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, entry_cmp);
	for (size_t i = 0; i < t->n; i++) {
		const char *p = t->v[i].path;
		airlock_escape(shown, sizeof shown, p, strlen(p));
		if (i > 0 && strcmp(t->v[i - 1].path, p) == 0)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "duplicate path '%s'", shown);
		if (has_children(t, p))
			return airlock_fail(err, AIRLOCK_E_VERIFY,
			    "'%s' is both a file and a directory", shown);
	}
	t->finished = 1;
	return AIRLOCK_OK;
}

size_t airlock_tree_count(const struct airlock_tree *t)
{
	return t->n;
}

const struct airlock_tree_entry *airlock_tree_at(const struct airlock_tree *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

const struct airlock_tree_entry *airlock_tree_find(const struct airlock_tree *t, const char *path)
{
	size_t i = lower_bound(t, path);
	return i < t->n && strcmp(t->v[i].path, path) == 0 ? &t->v[i] : NULL;
}

uint64_t airlock_tree_total_bytes(const struct airlock_tree *t)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == AIRLOCK_ENTRY_FILE)
			sum += t->v[i].size;
	return sum;
}

/* One listing line: "<mode> <size> <hash> <path>\n" (airlock-bundle(5)). */
static void hash_line(struct airlock_hasher *h, const struct airlock_tree_entry *e)
{
	char head[64], hex[AIRLOCK_HASH_HEX_LEN + 1];
	const char *mode = e->type == AIRLOCK_ENTRY_SYMLINK ? "120000" :
	    (e->mode & 0111) ? "100755" : "100644";
	int n = snprintf(head, sizeof head, "%s %" PRIu64 " ", mode, e->size);
	airlock_hash_to_hex(hex, e->hash);
	airlock_hasher_update(h, head, (size_t)n);
	airlock_hasher_update(h, hex, AIRLOCK_HASH_HEX_LEN);
	airlock_hasher_update(h, " ", 1);
	airlock_hasher_update(h, e->path, strlen(e->path));
	airlock_hasher_update(h, "\n", 1);
}

void airlock_tree_hash(const struct airlock_tree *t, uint8_t out[AIRLOCK_HASH_BYTES])
{
	struct airlock_hasher h;
	airlock_hasher_init(&h);
	for (size_t i = 0; i < t->n; i++)
		hash_line(&h, &t->v[i]);
	airlock_hasher_final(&h, out);
}

/* ---- scanning a directory ---- */

struct job {
	char *path;
	uint64_t size;
	uint32_t mode;
	uint8_t hash[AIRLOCK_HASH_BYTES];
};

struct scan {
	int root;
	const char *dir;
	struct airlock_tree *tree;
	struct airlock_objstore *store;
	const struct airlock_progress *progress;
	struct job *jobs;
	size_t njobs, cap;
	uint64_t total_bytes;
	pthread_mutex_t lock;      /* guards the fields below */
	size_t next;
	int stop;
	uint64_t done_bytes;
	size_t err_job;            /* the failing job with the lowest index wins */
	struct airlock_err werr;
};

static void shown_path(char *out, size_t outlen, const char *rel)
{
	airlock_escape(out, outlen, rel, strlen(rel));
}

static enum airlock_code refuse(struct airlock_err *err, const char *rel, const char *what,
    const char *hint)
{
	char shown[300];
	shown_path(shown, sizeof shown, rel);
	airlock_fail(err, AIRLOCK_E_FAILED, "cannot carry '%s': %s", shown, what);
	airlock_hint(err, "%s", hint);
	return err->code;
}

static enum airlock_code fail_access(struct airlock_err *err, int e, const char *dir,
    const char *rel, const char *kind)
{
	char shown[300];
	shown_path(shown, sizeof shown, rel);
	airlock_fail_errno(err, AIRLOCK_E_FAILED, e, "cannot read %s '%s/%s'", kind, dir, shown);
	if (e == EACCES || e == EPERM)
		airlock_hint(err, "make it readable (chmod) or remove it from the source directory");
	return err->code;
}

static enum airlock_code add_job(struct scan *s, const char *rel, struct airlock_err *err)
{
	if (s->njobs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *v = realloc(s->jobs, cap * sizeof *s->jobs);
		if (v == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory listing files");
		s->jobs = v;
		s->cap = cap;
	}
	struct job *j = &s->jobs[s->njobs];
	memset(j, 0, sizeof *j);
	if ((j->path = strdup(rel)) == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory listing files");
	s->njobs++;
	return AIRLOCK_OK;
}

/* Lexical check that target, relative to the directory of the link at rel,
 * stays inside the tree; the tree's real names hold no ".." of their own. */
static int link_escapes(const char *rel, const char *target)
{
	long depth = 0;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *c = target; *c;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (!(len == 0 || (len == 1 && c[0] == '.'))) {
			depth++;
		}
		c += len + (end != NULL);
	}
	return 0;
}

static enum airlock_code scan_symlink(struct scan *s, int dfd, const char *name,
    const char *rel, struct airlock_err *err)
{
	char target[AIRLOCK_PATH_MAX + 2];
	const char *why;
	ssize_t n = readlinkat(dfd, name, target, sizeof target);
	if (n < 0)
		return fail_access(err, errno, s->dir, rel, "symlink");
	if ((size_t)n > AIRLOCK_PATH_MAX)
		return refuse(err, rel, "its symlink target is longer than 4095 bytes",
		    "shorten the link or replace it with the file it points to");
	target[n] = '\0';
	if (n == 0 || memchr(target, '\0', (size_t)n) != NULL)
		return refuse(err, rel, "its symlink target is empty", "remove the link");
	if (text_check(target, (size_t)n, &why) != 0)
		return refuse(err, rel, "its symlink target is not plain UTF-8 text",
		    "rename the link target or replace the link with a copy");
	if (target[0] == '/' || link_escapes(rel, target))
		return refuse(err, rel, target[0] == '/' ? "it is a symlink with an absolute target" :
		    "it is a symlink pointing outside the source directory",
		    "make the link relative and inside the tree, or replace it with a copy of its target");
	struct airlock_tree_entry e = { .path = (char *)rel, .type = AIRLOCK_ENTRY_SYMLINK,
		.mode = 0777, .size = (uint64_t)n, .link_target = target };
	airlock_hash_buffer(e.hash, target, (size_t)n);
	return airlock_tree_add(s->tree, &e, err);
}

static enum airlock_code walk_dir(struct scan *s, int dfd, char *rel, size_t rlen,
    struct airlock_err *err);

static const char *special_kind(mode_t m)
{
	if (S_ISSOCK(m))
		return "it is a socket";
	if (S_ISFIFO(m))
		return "it is a named pipe (fifo)";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "it is a device";
	return "it is not a regular file, directory or symlink";
}

static enum airlock_code scan_one(struct scan *s, int dfd, const char *name, char *rel,
    size_t rlen, struct airlock_err *err)
{
	struct stat st;
	const char *why;
	if (airlock_tree_path_check(rel, rlen, &why) != 0) {
		char what[128];
		snprintf(what, sizeof what, "its name %s", why);
		return refuse(err, rel, what, "rename it, or remove it from the source directory");
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return fail_access(err, errno, s->dir, rel, "file");
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return fail_access(err, errno, s->dir, rel, "directory");
		return walk_dir(s, fd, rel, rlen, err);
	}
	if (S_ISLNK(st.st_mode))
		return scan_symlink(s, dfd, name, rel, err);
	if (!S_ISREG(st.st_mode))
		return refuse(err, rel, special_kind(st.st_mode),
		    "only regular files and symlinks can be carried: remove it from the source directory");
	if ((uint64_t)st.st_size > AIRLOCK_FILE_SIZE_MAX)
		return refuse(err, rel, "it is larger than 4 GiB",
		    "split the file or leave it out of the feed");
	s->total_bytes += (uint64_t)st.st_size;
	return add_job(s, rel, err);
}

/* Walks the directory open at dfd (consumed) whose path is rel[0..rlen). */
static enum airlock_code walk_dir(struct scan *s, int dfd, char *rel, size_t rlen,
    struct airlock_err *err)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return fail_access(err, errno, s->dir, rlen ? rel : ".", "directory");
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		size_t nlen = strlen(name), len = rlen + (rlen > 0) + nlen;
		if (len > AIRLOCK_PATH_MAX) {
			refuse(err, rlen ? rel : ".", "a path below it is longer than 4095 bytes",
			    "shorten the names or move the files up");
			break;
		}
		if (rlen > 0)
			rel[rlen] = '/';
		memcpy(rel + len - nlen, name, nlen + 1);
		enum airlock_code rc = scan_one(s, dirfd(d), name, rel, len, err);
		rel[rlen] = '\0';
		if (rc != AIRLOCK_OK)
			break;
		errno = 0;
	}
	int e = errno;
	closedir(d);
	if (err->code == AIRLOCK_OK && e != 0)
		return fail_access(err, e, s->dir, rlen ? rel : ".", "directory");
	return err->code;
}

static int same_version(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static enum airlock_code hash_stream(int fd, unsigned char *buf, const char *what,
    uint8_t hash[AIRLOCK_HASH_BYTES], uint64_t *size, struct airlock_err *err)
{
	struct airlock_hasher h;
	uint64_t total = 0;
	airlock_hasher_init(&h);
	for (;;) {
		size_t got = 0;
		if (airlock_read_full(fd, buf, CHUNK, &got, what, err) != AIRLOCK_OK)
			return err->code;
		if (got == 0)
			break;
		airlock_hasher_update(&h, buf, got);
		total += got;
	}
	airlock_hasher_final(&h, hash);
	*size = total;
	return AIRLOCK_OK;
}

/* Reads one file once: 1 = done, 0 = it changed while read, -1 = error. */
static int read_once(struct scan *s, struct job *j, unsigned char *buf, struct airlock_err *err)
{
	struct stat before, after;
	uint64_t n = 0;
	int fd = openat(s->root, j->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail_access(err, errno, s->dir, j->path, "file"), -1;
	if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
		close(fd);
		return 0;      /* replaced by something else since the walk */
	}
	if ((uint64_t)before.st_size > AIRLOCK_FILE_SIZE_MAX) {
		close(fd);
		return refuse(err, j->path, "it is larger than 4 GiB",
		    "split the file or leave it out of the feed"), -1;
	}
	enum airlock_code rc = s->store != NULL ?
	    airlock_objstore_put_fd(s->store, fd, j->hash, &n, err) :
	    hash_stream(fd, buf, j->path, j->hash, &n, err);
	int ok = rc == AIRLOCK_OK && fstat(fd, &after) == 0;
	close(fd);
	if (rc != AIRLOCK_OK)
		return -1;
	if (!ok || !same_version(&before, &after) || n != (uint64_t)after.st_size)
		return 0;
	j->size = n;
	j->mode = (after.st_mode & 0111) ? 0755 : 0644;
	return 1;
}

static enum airlock_code read_job(struct scan *s, struct job *j, unsigned char *buf,
    struct airlock_err *err)
{
	for (int attempt = 0; attempt <= REREADS; attempt++) {
		int r = read_once(s, j, buf, err);
		if (r != 0)
			return r > 0 ? AIRLOCK_OK : err->code;
	}
	return refuse(err, j->path, "it kept changing while it was read (4 times)",
	    "stop whatever writes to it, or scan a stable copy, and try again");
}

static int cancelled(const struct scan *s)
{
	return s->progress != NULL && s->progress->cancel != NULL && *s->progress->cancel;
}

/* Takes jobs until none is left or another worker failed. */
static void run_jobs(struct scan *s, int reporter)
{
	unsigned char *buf = s->store == NULL ? malloc(CHUNK) : NULL;
	struct airlock_err err;
	for (;;) {
		airlock_err_init(&err);
		pthread_mutex_lock(&s->lock);
		size_t i = s->next++;
		int stop = s->stop || i >= s->njobs;
		uint64_t done = s->done_bytes;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		if (s->store == NULL && buf == NULL)
			airlock_fail(&err, AIRLOCK_E_NOMEM, "out of memory reading files");
		else if (cancelled(s))
			airlock_fail(&err, AIRLOCK_E_CANCELLED, "cancelled while reading files");
		else if (reporter)
			airlock_progress_step(s->progress, "hash", done, s->total_bytes, &err);
		if (err.code == AIRLOCK_OK)
			read_job(s, &s->jobs[i], buf, &err);
		pthread_mutex_lock(&s->lock);
		s->done_bytes += s->jobs[i].size;
		if (err.code != AIRLOCK_OK && i < s->err_job) {
			s->err_job = i;
			s->werr = err;
			s->stop = 1;
		}
		pthread_mutex_unlock(&s->lock);
	}
	free(buf);
}

static void *worker_main(void *arg)
{
	run_jobs(arg, 0);
	return NULL;
}

static enum airlock_code read_all(struct scan *s, struct airlock_err *err)
{
	pthread_t helpers[WORKERS - 1];
	int started = 0;
	s->err_job = SIZE_MAX;
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot create a lock");
	for (int i = 0; i < WORKERS - 1 && s->njobs > 1; i++)
		if (pthread_create(&helpers[started], NULL, worker_main, s) == 0)
			started++;
	run_jobs(s, 1);
	for (int i = 0; i < started; i++)
		pthread_join(helpers[i], NULL);
	pthread_mutex_destroy(&s->lock);
	if (s->werr.code != AIRLOCK_OK) {
		*err = s->werr;
		return err->code;
	}
	return airlock_progress_step(s->progress, "hash", s->done_bytes, s->total_bytes, err);
}

static enum airlock_code add_files(struct scan *s, struct airlock_err *err)
{
	for (size_t i = 0; i < s->njobs; i++) {
		struct job *j = &s->jobs[i];
		struct airlock_tree_entry e = { .path = j->path, .type = AIRLOCK_ENTRY_FILE,
			.mode = j->mode, .size = j->size };
		memcpy(e.hash, j->hash, sizeof e.hash);
		if (airlock_tree_add(s->tree, &e, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code open_root(const char *dir, int *fd, struct airlock_err *err)
{
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0)
		return AIRLOCK_OK;
	int e = errno;
	if (e == ENOENT) {
		airlock_fail(err, AIRLOCK_E_FAILED, "source directory '%s' does not exist", dir);
		airlock_hint(err, "check the path and try again");
	} else if (e == ENOTDIR) {
		airlock_fail(err, AIRLOCK_E_FAILED, "'%s' is not a directory", dir);
		airlock_hint(err, "give the directory that holds the feed version");
	} else {
		fail_access(err, e, dir, ".", "directory");
	}
	return err->code;
}

static enum airlock_code scan_into(struct scan *s, struct airlock_err *err)
{
	char rel[AIRLOCK_PATH_MAX + 2] = "";
	int fd = dup(s->root);
	if (fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", s->dir);
	if (walk_dir(s, fd, rel, 0, err) != AIRLOCK_OK)
		return err->code;
	if (s->njobs == 0 && airlock_tree_count(s->tree) == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "source directory '%s' contains no files", s->dir);
		airlock_hint(err, "a feed version needs at least one file");
		return err->code;
	}
	if (read_all(s, err) != AIRLOCK_OK || add_files(s, err) != AIRLOCK_OK)
		return err->code;
	return airlock_tree_finish(s->tree, err);
}

enum airlock_code airlock_tree_scan(struct airlock_tree **out, const char *dir,
    struct airlock_objstore *store, const struct airlock_progress *progress,
    struct airlock_err *err)
{
	struct scan s = { .dir = dir, .store = store, .progress = progress };
	*out = NULL;
	if (open_root(dir, &s.root, err) != AIRLOCK_OK)
		return err->code;
	s.tree = airlock_tree_new();
	enum airlock_code rc = s.tree == NULL ?
	    airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory scanning '%s'", dir) :
	    scan_into(&s, err);
	close(s.root);
	for (size_t i = 0; i < s.njobs; i++)
		free(s.jobs[i].path);
	free(s.jobs);
	if (rc != AIRLOCK_OK) {
		airlock_tree_free(s.tree);
		return rc;
	}
	*out = s.tree;
	return AIRLOCK_OK;
}
