/* importer_inbox.c - finding bundles in a file, a folder or an ISO image,
 * and the quarantine of refused bundles. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/audit.h"
#include "airlock/store.h"
#include "importer_int.h"

#define COPY_CHUNK (1024 * 1024)
#define BUNDLE_MAGIC "bundle.json"      /* the container's first tar name */
#define ISO_MAGIC_OFFSET 32769          /* "CD001" of the primary volume descriptor */

/* ---- quarantine ---- */

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ok = 0;
	char *buf = malloc(COPY_CHUNK);
	ssize_t n;
	if (in >= 0 && buf != NULL)
		out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out >= 0) {
		ok = 1;
		while (ok && (n = read(in, buf, COPY_CHUNK)) != 0)
			ok = n > 0 && write(out, buf, (size_t)n) == n;
		ok = ok && fsync(out) == 0;
		close(out);
		if (!ok)
			unlink(to);
	}
	if (in >= 0)
		close(in);
	free(buf);
	return ok;
}

static int64_t insert_quarantine(sqlite3 *db, const char *source, const struct airlock_verdict *v)
{
	sqlite3_stmt *st = NULL;
	const struct airlock_bundle_info *in = &v->info;
	if (sqlite3_prepare_v2(db, "INSERT INTO quarantine(at, source, file, code, reason, bundle_id,"
	    " feed, key_id) VALUES(?, ?, '', ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, airlock_code_name(v->code), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->have_header ? in->bundle_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->have_header ? in->feed : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, in->signer_key_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(db) : -1;
}

static void set_quarantine_file(sqlite3 *db, int64_t id, const char *file)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "UPDATE quarantine SET file = ? WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

void importer_quarantine(struct airlock_importer *im, const char *source, const char *copy_from,
    const struct airlock_verdict *v)
{
	sqlite3 *db = airlock_store_db(im->store);
	char shown[512], dst[PATH_MAX], tv[24] = "";
	struct airlock_err ignore;
	airlock_err_init(&ignore);
	airlock_escape(shown, sizeof shown, source, strlen(source));
	int64_t id = insert_quarantine(db, shown, v);
	if (id < 0)
		return;
	if (copy_from != NULL && airlock_path(dst, sizeof dst, &ignore, "%s/quarantine/%lld.bundle",
	    im->home, (long long)id) == AIRLOCK_OK && copy_file(copy_from, dst))
		set_quarantine_file(db, id, dst);
	if (v->info.have_header)
		snprintf(tv, sizeof tv, "%llu", (unsigned long long)v->info.target_version);
	struct airlock_audit_event ev = { .event = "refuse", .bundle_id = v->info.bundle_id,
	    .key_id = v->info.signer_key_id, .feed = v->info.feed, .to_version = tv,
	    .result = airlock_code_name(v->code), .detail = v->reason };
	(void)airlock_audit_append(db, &ev, &ignore);
}

/* ---- listing ---- */

static int starts_like_bundle(const char *buf, size_t n)
{
	return n >= sizeof BUNDLE_MAGIC && memcmp(buf, BUNDLE_MAGIC, sizeof BUNDLE_MAGIC) == 0;
}

static int file_is_bundle(const char *path)
{
	char buf[sizeof BUNDLE_MAGIC];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n > 0 && starts_like_bundle(buf, (size_t)n);
}

static int file_is_iso(const char *path)
{
	char buf[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, buf, sizeof buf, ISO_MAGIC_OFFSET);
	close(fd);
	return n == 5 && memcmp(buf, "CD001", 5) == 0;
}

static enum airlock_code list_add(struct airlock_bundle_list *l, size_t *cap, const char *path,
    const char *member, const char *name, struct airlock_err *err)
{
	if (l->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		void *p = realloc(l->items, nc * sizeof *l->items);
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
		l->items = p;
		*cap = nc;
	}
	struct airlock_bundle_list_item *it = &l->items[l->n];
	memset(it, 0, sizeof *it);
	it->ref.path = strdup(path);
	it->ref.iso_member = member ? strdup(member) : NULL;
	if (it->ref.path == NULL || (member && it->ref.iso_member == NULL)) {
		free(it->ref.path);
		free(it->ref.iso_member);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	airlock_escape(it->name, sizeof it->name, name, strlen(name));
	l->n++;
	return AIRLOCK_OK;
}

static enum airlock_code list_iso(struct airlock_bundle_list *l, size_t *cap, const char *path,
    struct airlock_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char head[sizeof BUNDLE_MAGIC];
	enum airlock_code rc = AIRLOCK_OK;
	if (a == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		rc = airlock_fail(err, AIRLOCK_E_FAILED, "cannot read disc image '%s': %s", path,
		    archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	while (rc == AIRLOCK_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		la_ssize_t n = archive_read_data(a, head, sizeof head);
		if (n > 0 && starts_like_bundle(head, (size_t)n))
			rc = list_add(l, cap, path, archive_entry_pathname(e), archive_entry_pathname(e), err);
	}
	archive_read_free(a);
	return rc;
}


static enum airlock_code list_dir(struct airlock_bundle_list *l, size_t *cap, const char *path,
    struct airlock_err *err)
{
	struct dirent **names = NULL;
	int n = scandir(path, &names, NULL, alphasort);
	char p[PATH_MAX];
	enum airlock_code rc = AIRLOCK_OK;
	if (n < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read folder '%s'", path);
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (rc == AIRLOCK_OK && names[i]->d_name[0] != '.' &&
		    airlock_path(p, sizeof p, err, "%s/%s", path, names[i]->d_name) == AIRLOCK_OK &&
		    stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (file_is_bundle(p))
				rc = list_add(l, cap, p, NULL, names[i]->d_name, err);
			else if (file_is_iso(p))
				rc = list_iso(l, cap, p, err);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Import order: by feed, then sequence; bundles nothing is known about last. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct airlock_bundle_list_item *a = pa, *b = pb;
	const struct airlock_bundle_info *x = &a->verdict.info, *y = &b->verdict.info;
	if (x->have_header != y->have_header)
		return x->have_header ? -1 : 1;
	if (!x->have_header)
		return strcmp(a->name, b->name);
	int c = strcmp(x->feed, y->feed);
	if (c != 0)
		return c;
	return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* A GAP bundle whose base is the target of a READY bundle before it is
 * ready too: it imports right after that one. */
static void mark_queued(struct airlock_bundle_list *l)
{
	for (size_t i = 1; i < l->n; i++) {
		struct airlock_verdict *v = &l->items[i].verdict;
		for (size_t j = 0; j < i && v->state == AIRLOCK_INBOX_GAP && v->info.has_base; j++) {
			const struct airlock_verdict *p = &l->items[j].verdict;
			if (p->state == AIRLOCK_INBOX_READY && strcmp(p->info.feed, v->info.feed) == 0 &&
			    p->info.target_version == v->info.base_version &&
			    memcmp(p->info.target_tree, v->info.base_tree, AIRLOCK_HASH_BYTES) == 0) {
				v->state = AIRLOCK_INBOX_READY;
				v->code = AIRLOCK_OK;
				snprintf(v->reason, sizeof v->reason, "queued after %s", l->items[j].name);
				v->hint[0] = '\0';
			}
		}
	}
}

enum airlock_code airlock_importer_list_bundles(struct airlock_importer *im, const char *path,
    struct airlock_bundle_list **out, struct airlock_err *err)
{
	struct stat st;
	size_t cap = 0;
	struct airlock_bundle_list *l = calloc(1, sizeof *l);
	*out = NULL;
	if (l == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	enum airlock_code rc;
	if (stat(path, &st) != 0)
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", path);
	else if (S_ISDIR(st.st_mode))
		rc = list_dir(l, &cap, path, err);
	else if (file_is_iso(path))
		rc = list_iso(l, &cap, path, err);
	else {
		const char *base = strrchr(path, '/');
		rc = list_add(l, &cap, path, NULL, base ? base + 1 : path, err);
	}
	for (size_t i = 0; rc == AIRLOCK_OK && i < l->n; i++) {
		struct airlock_err e;
		airlock_err_init(&e);
		(void)airlock_importer_precheck(im, &l->items[i].ref, 0, NULL, &l->items[i].verdict, &e);
	}
	if (rc != AIRLOCK_OK) {
		airlock_bundle_list_free(l);
		return rc;
	}
	qsort(l->items, l->n, sizeof *l->items, item_cmp);
	mark_queued(l);
	*out = l;
	return AIRLOCK_OK;
}

void airlock_bundle_list_free(struct airlock_bundle_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].ref.path);
		free(l->items[i].ref.iso_member);
	}
	free(l->items);
	free(l);
}
