/* test_apply.c - forged bundles: a payload correctly signed by a trusted
 * key and encrypted to this site, but whose MANIFEST.json or tar members
 * disagree with the base version, with each other or with the signed
 * target tree (a compromised or buggy signer). Each must be refused by
 * the importer with AIRLOCK_E_VERIFY (exit 3), for its own reason, and
 * leave the store exactly as it was.
 *
 * The bundles are built here layer by layer (tar with libarchive, zstd,
 * age, bundle.json, minisign, container), so every byte of the manifest
 * and every member is under the test's control. An honest bundle made the
 * same way verifies and imports, so a refusal below is never the
 * builder's fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <locale.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "airlock/age.h"
#include "airlock/bundle.h"
#include "airlock/container.h"
#include "airlock/delta.h"
#include "airlock/header.h"
#include "airlock/importer.h"
#include "airlock/minisign.h"

#define FEED "threat-intel"
#define A1 3000                        /* a.txt in v1 */
#define APPEND "indicator,new.example,10.9.9.9\n"
#define A2 (A1 + sizeof(APPEND) - 1)   /* a.txt in v2: v1 plus a line */
#define B 1000
#define OLD 500
#define NEW 700
#define MAX_MEMBERS 8

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct fx {
	char dir[64], home[128], fp[160];
	struct airlock_importer *im;
	struct airlock_minisign_secret *sec;
	struct airlock_minisign_pub pub;
	uint8_t rcpt[1][32];
	struct airlock_objstore *os;
	struct airlock_tree *t1, *t2;
	uint8_t h1[AIRLOCK_HASH_BYTES], h2[AIRLOCK_HASH_BYTES];
	int64_t now;
	uint8_t a1[A1], a2[A2], b[B], old[OLD], nw[NEW];
	struct buf delta;                  /* honest frame: a2 against a1 */
	int n;                             /* bundles forged so far */
};

/* What one forged bundle holds besides MANIFEST.json. */
struct member {
	const char *name;
	const void *data;
	size_t len;
};

struct forge {
	char removed[512], frames[512], entries[2048];   /* JSON array contents */
	struct member m[MAX_MEMBERS];
	size_t nm;
	int entries_lie;                   /* added to the header's limits.entries */
	const uint8_t *target_tree;        /* NULL: v2's */
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

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 1024;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static enum airlock_code sink_buf(void *ctx, const void *d, size_t n, struct airlock_err *err)
{
	buf_put(ctx, d, n);
	return AIRLOCK_OK;
}

static la_ssize_t tar_buf(struct archive *a, void *ctx, const void *d, size_t n)
{
	buf_put(ctx, d, n);
	return (la_ssize_t)n;
}

static void text(uint8_t *out, size_t len, unsigned seed)
{
	uint32_t x = seed;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		out[i] = (uint8_t)"indicator,example.org,10.0.0.1 \n"[(x >> 16) % 32];
	}
}

static void put_file(const char *dir, const char *name, const void *d, size_t n)
{
	char p[256];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, n, f), n);
	fclose(f);
}

static void encode(const uint8_t *base, size_t blen, const uint8_t *t, size_t tlen,
    struct buf *out)
{
	struct airlock_err err;
	uint64_t flen;
	airlock_err_init(&err);
	memset(out, 0, sizeof(*out));
	assert_int_equal(airlock_delta_encode(base, blen, t, tlen, 19,
	    (struct airlock_sink){ sink_buf, out }, &flen, &err), AIRLOCK_OK);
	assert_int_equal(flen, out->len);
}

/* ---- the builder ---- */

static void make_tar(const struct forge *s, const char *manifest, struct buf *tar)
{
	struct archive *a = archive_write_new();
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = uselocale(loc);
	struct member all[MAX_MEMBERS + 1];
	all[0] = (struct member){ "MANIFEST.json", manifest, strlen(manifest) };
	memcpy(all + 1, s->m, s->nm * sizeof(*all));
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open2(a, tar, NULL, tar_buf, NULL, NULL), ARCHIVE_OK);
	for (size_t i = 0; i <= s->nm; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname_utf8(e, all[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 0, 0);
		archive_entry_set_size(e, (la_int64_t)all[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (all[i].len > 0)
			assert_int_equal(archive_write_data(a, all[i].data, all[i].len),
			    (la_ssize_t)all[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	uselocale(old);
	freelocale(loc);
}

static void compress(const struct buf *tar, struct buf *out)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(tar->len) + 64, n;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 20);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
	out->p = malloc(cap);
	assert_non_null(out->p);
	n = ZSTD_compress2(c, out->p, cap, tar->p, tar->len);
	assert_false(ZSTD_isError(n));
	out->len = n;
	out->cap = cap;
	ZSTD_freeCCtx(c);
}

static void encrypt(struct fx *f, const struct buf *z, struct buf *age)
{
	struct airlock_age_writer *w;
	struct airlock_err err;
	struct airlock_sink s;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_writer_new(&w, (struct airlock_sink){ sink_buf, age },
	    (const uint8_t (*)[32])f->rcpt, 1, &err), AIRLOCK_OK);
	s = airlock_age_writer_sink(w);
	assert_int_equal(s.write(s.ctx, z->p, z->len, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_writer_finish(w, &err), AIRLOCK_OK);
	airlock_age_writer_free(w);
}

/* The manifest names versions only; the trees are in the signed header
 * (fill_header), where a forged target tree goes. */
static void manifest_text(struct fx *f, const struct forge *s, char *out, size_t cap)
{
	(void)f;
	int n = snprintf(out, cap, "{\"format\":\"airlock-manifest\",\"format_version\":1,"
	    "\"feed\":\"" FEED "\",\"base\":1,\"target\":2,"
	    "\"removed\":[%s],\"frames\":[%s],\"entries\":[%s]}",
	    s->removed, s->frames, s->entries);
	assert_true(n > 0 && (size_t)n < cap);
}

static void fill_header(struct fx *f, const struct forge *s, const struct buf *tar,
    const struct buf *age, struct airlock_bundle_header *h)
{
	struct airlock_err err;
	uint8_t seg[1][AIRLOCK_HASH_BYTES];
	airlock_err_init(&err);
	airlock_header_init(h);
	randombytes_buf(h->bundle_id, sizeof(h->bundle_id));
	snprintf(h->feed, sizeof(h->feed), "%s", FEED);
	h->sequence = 2;
	h->created = f->now;
	h->expires = f->now + 86400;
	memcpy(h->signer_key_id, f->pub.key_id, sizeof(h->signer_key_id));
	h->has_base = 1;
	h->base_version = 1;
	memcpy(h->base_tree, f->h1, AIRLOCK_HASH_BYTES);
	h->target_version = 2;
	memcpy(h->target_tree, s->target_tree ? s->target_tree : f->h2, AIRLOCK_HASH_BYTES);
	h->target_files = airlock_tree_count(f->t2);
	h->target_bytes = airlock_tree_total_bytes(f->t2);
	assert_int_equal(airlock_header_set_recipients(h, (const uint8_t (*)[32])f->rcpt, 1, &err),
	    AIRLOCK_OK);
	/* A payload under 16 MiB is one segment: its hash is the payload's. */
	assert_true(age->len < AIRLOCK_SEGMENT_SIZE);
	h->payload_size = age->len;
	airlock_hash_buffer(h->payload_hash, age->p, age->len);
	h->segment_size = AIRLOCK_SEGMENT_SIZE;
	/* one segment: no segment hashes (payload_hash is the one) */
	assert_int_equal(airlock_header_set_segments(h, (const uint8_t (*)[AIRLOCK_HASH_BYTES])seg,
	    0, &err), AIRLOCK_OK);
	h->window_log = 22;
	h->unpacked_bytes = tar->len;
	h->entries = (uint64_t)((int)s->nm + 1 + s->entries_lie);
}

/* Signs the header and writes the container to out. */
static void write_bundle(struct fx *f, const struct airlock_bundle_header *h,
    const struct buf *age, const char *out)
{
	struct airlock_err err;
	char tc[AIRLOCK_BUNDLE_TRUSTED_MAX], *json, *sig, tmp[160];
	size_t jl, sl;
	int pfd, ofd;
	airlock_err_init(&err);
	if (airlock_header_to_json(h, &json, &jl, &err) != AIRLOCK_OK)
		fail_msg("header: %s", err.msg);
	airlock_bundle_trusted_comment(tc, h->created);
	assert_int_equal(airlock_minisign_sign(&sig, &sl, f->sec, (const uint8_t *)json, jl,
	    AIRLOCK_BUNDLE_UNTRUSTED_COMMENT, tc, &err), AIRLOCK_OK);
	snprintf(tmp, sizeof(tmp), "%s/payload.tmp", f->dir);
	pfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(pfd >= 0);
	assert_int_equal(write(pfd, age->p, age->len), (ssize_t)age->len);
	assert_int_equal(lseek(pfd, 0, SEEK_SET), 0);
	ofd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(ofd >= 0);
	assert_int_equal(airlock_container_write(ofd, json, jl, sig, sl, pfd, age->len, h->created,
	    &err), AIRLOCK_OK);
	close(ofd);
	close(pfd);
	unlink(tmp);
	free(json);
	free(sig);
}

/* Builds the bundle s describes into a new file; its path goes to out. */
static void forge(struct fx *f, const struct forge *s, char *out, size_t cap)
{
	char manifest[4096];
	struct buf tar = { 0 }, z = { 0 }, age = { 0 };
	struct airlock_bundle_header h;
	snprintf(out, cap, "%s/forged-%02d.airlock", f->dir, f->n++);
	manifest_text(f, s, manifest, sizeof(manifest));
	make_tar(s, manifest, &tar);
	compress(&tar, &z);
	encrypt(f, &z, &age);
	fill_header(f, s, &tar, &age, &h);
	write_bundle(f, &h, &age, out);
	airlock_header_release(&h);
	free(tar.p);
	free(z.p);
	free(age.p);
}

/* The honest v1 -> v2 bundle: a.txt delta (frame 0), c.txt a copy of
 * old.txt (a rename), new.txt whole, old.txt removed; b.txt and link are
 * unchanged. Cases start from it and change one thing. */
static void honest(struct fx *f, struct forge *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->removed, sizeof(s->removed), "\"old.txt\"");
	snprintf(s->frames, sizeof(s->frames), "{\"name\":\"deltas/000000.zst\",\"size\":%zu}",
	    (size_t)A2);
	snprintf(s->entries, sizeof(s->entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	s->m[0] = (struct member){ "files/new.txt", f->nw, NEW };
	s->m[1] = (struct member){ "deltas/000000.zst", f->delta.p, f->delta.len };
	s->nm = 2;
}

/* ---- the importer home ---- */

static void fingerprint(struct fx *f, const char *out)
{
	sh("cd %s && { sqlite3 importer.db 'SELECT * FROM feeds; SELECT feed, version, hex(tree),"
	    " retained FROM versions; SELECT feed, version, path, mode, size, hex(hash) FROM files;"
	    " SELECT * FROM bundles;' && find feeds objects staging -printf '%%p %%m %%s %%l\\n' |"
	    " LC_ALL=C sort; } >%s", f->home, out);
}

/* The store as consumers and the catalog see it is what it was after v1. */
static void store_unchanged(struct fx *f)
{
	char now[192];
	struct airlock_feed_status *st = NULL;
	struct airlock_err err;
	size_t n = 0;
	snprintf(now, sizeof(now), "%s.now", f->fp);
	fingerprint(f, now);
	sh("cmp -s %s %s || { diff %s %s >&2; false; }", f->fp, now, f->fp, now);
	airlock_err_init(&err);
	assert_int_equal(airlock_importer_status(f->im, &st, &n, &err), AIRLOCK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].version, 1);
	assert_int_equal(st[0].highest_version, 1);
	assert_int_equal(st[0].last_sequence, 1);
	assert_memory_equal(st[0].tree, f->h1, AIRLOCK_HASH_BYTES);
	free(st);
}

static void make_versions(struct fx *f)
{
	char v1[128], v2[128];
	text(f->a1, A1, 1);
	memcpy(f->a2, f->a1, A1);
	memcpy(f->a2 + A1, APPEND, sizeof(APPEND) - 1);
	text(f->b, B, 2);
	text(f->old, OLD, 3);
	text(f->nw, NEW, 4);
	snprintf(v1, sizeof(v1), "%s/v1", f->dir);
	snprintf(v2, sizeof(v2), "%s/v2", f->dir);
	sh("mkdir -p %s %s", v1, v2);
	put_file(v1, "a.txt", f->a1, A1);
	put_file(v1, "b.txt", f->b, B);
	put_file(v1, "old.txt", f->old, OLD);
	put_file(v2, "a.txt", f->a2, A2);
	put_file(v2, "b.txt", f->b, B);
	put_file(v2, "c.txt", f->old, OLD);
	put_file(v2, "new.txt", f->nw, NEW);
	sh("ln -s a.txt %s/link && ln -s a.txt %s/link", v1, v2);
	encode(f->a1, A1, f->a2, A2, &f->delta);
}

static void open_home(struct fx *f)
{
	struct airlock_err err;
	char rcp[AIRLOCK_AGE_RECIPIENT_LEN + 1], pubf[128];
	airlock_err_init(&err);
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	assert_int_equal(airlock_importer_open(&f->im, f->home, &err), AIRLOCK_OK);
	assert_int_equal(airlock_importer_keygen(f->im, NULL, AIRLOCK_KDF_INTERACTIVE, rcp, &err),
	    AIRLOCK_OK);
	assert_int_equal(airlock_importer_unlock(f->im, NULL, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_recipient_parse(f->rcpt[0], rcp, &err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_keygen(&f->sec, &f->pub, &err), AIRLOCK_OK);
	snprintf(pubf, sizeof(pubf), "%s/signer.pub", f->dir);
	assert_int_equal(airlock_minisign_pub_write_file(&f->pub, pubf, &err), AIRLOCK_OK);
	assert_int_equal(airlock_importer_trust_add(f->im, "forger", pubf, "*", &err), AIRLOCK_OK);
}

/* v1 arrives in a genuine full bundle made by airlock_bundle_create. */
static void import_v1(struct fx *f)
{
	struct airlock_bundle_params p;
	struct airlock_bundle_result r;
	struct airlock_verdict v;
	struct airlock_err err;
	char out[128];
	snprintf(out, sizeof(out), "%s/v1.airlock", f->dir);
	memset(&p, 0, sizeof(p));
	p.feed = FEED;
	p.sequence = 1;
	p.created = f->now - 60;
	p.expires = f->now + 86400;
	p.target = f->t1;
	p.target_version = 1;
	p.os = f->os;
	p.key = f->sec;
	p.recipients = (const uint8_t (*)[32])f->rcpt;
	p.nrecipients = 1;
	p.output = out;
	airlock_err_init(&err);
	if (airlock_bundle_create(&p, &r, &err) != AIRLOCK_OK)
		fail_msg("bundle v1: %s", err.msg);
	airlock_verdict_init(&v);
	if (airlock_importer_import(f->im, &(struct airlock_bundle_ref){ out, NULL }, NULL, &v,
	    &err) != AIRLOCK_OK)
		fail_msg("import v1: %s", err.msg);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct airlock_err err;
	char p[128];
	assert_non_null(f);
	airlock_err_init(&err);
	strcpy(f->dir, "/tmp/airlock-forgery.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->now = (int64_t)time(NULL);
	make_versions(f);
	snprintf(p, sizeof(p), "%s/objects", f->dir);
	assert_int_equal(airlock_objstore_open(&f->os, p, &err), AIRLOCK_OK);
	snprintf(p, sizeof(p), "%s/v1", f->dir);
	assert_int_equal(airlock_tree_scan(&f->t1, p, f->os, NULL, &err), AIRLOCK_OK);
	snprintf(p, sizeof(p), "%s/v2", f->dir);
	assert_int_equal(airlock_tree_scan(&f->t2, p, f->os, NULL, &err), AIRLOCK_OK);
	airlock_tree_hash(f->t1, f->h1);
	airlock_tree_hash(f->t2, f->h2);
	open_home(f);
	import_v1(f);
	snprintf(f->fp, sizeof(f->fp), "%s/fingerprint", f->dir);
	fingerprint(f, f->fp);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	sh("rm -rf %s", f->dir);
	airlock_importer_close(f->im);
	airlock_tree_free(f->t1);
	airlock_tree_free(f->t2);
	airlock_objstore_free(f->os);
	airlock_minisign_secret_free(f->sec);
	free(f->delta.p);
	free(f);
	return 0;
}

/* ---- the verdicts ---- */

/* With AIRLOCK_IMPORTER_CLI set (t5100 sets it), the program imports the
 * bundle first: exit 3 with want on stderr, and the store unchanged. */
static void refused_by_cli(struct fx *f, const char *path, const char *want)
{
	const char *cli = getenv("AIRLOCK_IMPORTER_CLI");
	char cmd[1024], errf[160];
	int st;
	if (cli == NULL)
		return;
	snprintf(errf, sizeof(errf), "%s/cli.err", f->dir);
	snprintf(cmd, sizeof(cmd), "'%s' --home '%s' import '%s' >/dev/null 2>'%s'", cli, f->home,
	    path, errf);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 3) {
		sh("cat '%s' >&2", errf);
		fail_msg("%s: the CLI's import should exit 3, status %d", path, st);
	}
	snprintf(cmd, sizeof(cmd), "grep -F -q -- \"%s\" '%s'", want, errf);
	if (system(cmd) != 0) {
		sh("cat '%s' >&2", errf);
		fail_msg("%s: the CLI does not say '%s'", path, want);
	}
	store_unchanged(f);
}

/* Imports the bundle s describes: AIRLOCK_E_VERIFY with want in the
 * message, and the store unchanged. */
static void refused(struct fx *f, const struct forge *s, const char *want)
{
	struct airlock_verdict v;
	struct airlock_err err;
	char path[128];
	enum airlock_code rc;
	forge(f, s, path, sizeof(path));
	refused_by_cli(f, path, want);
	airlock_err_init(&err);
	airlock_verdict_init(&v);
	rc = airlock_importer_import(f->im, &(struct airlock_bundle_ref){ path, NULL }, NULL, &v,
	    &err);
	if (rc != AIRLOCK_E_VERIFY || strstr(err.msg, want) == NULL)
		fail_msg("%s: want AIRLOCK_E_VERIFY '%s', got %d '%s'", path, want, (int)rc, err.msg);
	if (getenv("TEST_APPLY_VERBOSE") != NULL)
		print_message("refused %s: %s\n", path, err.msg);
	assert_int_equal(v.code, AIRLOCK_E_VERIFY);
	assert_int_equal(v.state, AIRLOCK_INBOX_TAMPERED);
	store_unchanged(f);
}

/* The builder is sound: the honest bundle verifies (a dry run that leaves
 * the store alone) with the expected counts. */
static void test_honest_verifies(void **state)
{
	struct fx *f = *state;
	struct forge s;
	struct airlock_verdict v;
	struct airlock_err err;
	char path[128];
	honest(f, &s);
	forge(f, &s, path, sizeof(path));
	airlock_err_init(&err);
	airlock_verdict_init(&v);
	if (airlock_importer_verify(f->im, &(struct airlock_bundle_ref){ path, NULL }, NULL, &v,
	    &err) != AIRLOCK_OK)
		fail_msg("honest bundle: %s", err.msg);
	assert_int_equal(v.info.files_added, 2);
	assert_int_equal(v.info.files_changed, 1);
	assert_int_equal(v.info.files_removed, 1);
	assert_int_equal(v.info.bytes_carried, A2 + NEW);
	store_unchanged(f);
}

/* A delta frame's base (explicit, or implicit: the entry's own path) that
 * is not a file of the base tree. */
static void test_delta_base_not_in_base(void **state)
{
	struct fx *f = *state;
	struct forge s;
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0,\"base\":\"nope.txt\"},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "'nope.txt' is not a file of the base version");
	/* a symlink of the base is not a file to patch */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0,\"base\":\"link\"},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "'link' is not a file of the base version");
	/* a new path coded as a delta against itself */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a0.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "'a0.txt' is not a file of the base version");
}

static void test_copy_from_not_in_base(void **state)
{
	struct fx *f = *state;
	struct forge s;
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"nope.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "'nope.txt' is not a file of the base version");
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"link\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "'link' is not a file of the base version");
	/* the copy's declared size is not its source's */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD + 1, NEW);
	refused(f, &s, "copy 'c.txt' does not have its source's size");
}

/* Removing a path the base does not have would change nothing in the
 * result (its tree hash still matches): only this check catches it. */
static void test_removed_not_in_base(void **state)
{
	struct fx *f = *state;
	struct forge s;
	honest(f, &s);
	snprintf(s.removed, sizeof(s.removed), "\"nope.txt\",\"old.txt\"");
	refused(f, &s, "removed path 'nope.txt' is not in the base version");
	honest(f, &s);
	snprintf(s.removed, sizeof(s.removed), "\"link/x\",\"old.txt\"");
	refused(f, &s, "removed path 'link/x' is not in the base version");
}

/* A whole file whose tar member is larger or smaller than the manifest
 * says: refused before anything past the declared size is written. */
static void test_whole_size_mismatch(void **state)
{
	struct fx *f = *state;
	struct forge s;
	uint8_t big[NEW + 1];
	memcpy(big, f->nw, NEW);
	big[NEW] = '\n';
	honest(f, &s);
	s.m[0].data = big;
	s.m[0].len = NEW + 1;
	refused(f, &s, "'new.txt' does not have the size the manifest says");
	honest(f, &s);
	s.m[0].len = NEW - 1;
	refused(f, &s, "'new.txt' does not have the size the manifest says");
	honest(f, &s);
	s.m[0].len = 0;
	refused(f, &s, "'new.txt' does not have the size the manifest says");
}

/* A delta frame that decodes to more or fewer bytes than its entries
 * declare (the frame's size and the entry's agree with each other, so the
 * manifest parser accepts them). */
static void test_delta_size_mismatch(void **state)
{
	struct fx *f = *state;
	struct forge s;
	char want[128];
	honest(f, &s);
	snprintf(s.frames, sizeof(s.frames), "{\"name\":\"deltas/000000.zst\",\"size\":%zu}",
	    (size_t)A2 - 1);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2 - 1, OLD, NEW);
	snprintf(want, sizeof(want), "delta frame decodes to %zu bytes, the manifest says %zu",
	    (size_t)A2, (size_t)A2 - 1);
	refused(f, &s, want);
	honest(f, &s);
	snprintf(s.frames, sizeof(s.frames), "{\"name\":\"deltas/000000.zst\",\"size\":%zu}",
	    (size_t)A2 + 1);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2 + 1, OLD, NEW);
	snprintf(want, sizeof(want), "delta frame decodes to %zu bytes, the manifest says %zu",
	    (size_t)A2, (size_t)A2 + 1);
	refused(f, &s, want);
}

/* A frame made against other bytes than the base file. First: the base
 * file with its first 200 bytes changed, and the same change in the
 * target; decoded against the real base it rebuilds nearly the honest v2
 * a.txt (the references land on the real bytes), which only the frame's
 * checksum shows as not what was encoded. Then: a base shifted by 7
 * bytes, so every reference lands elsewhere. */
static void test_delta_wrong_base(void **state)
{
	struct fx *f = *state;
	struct forge s;
	uint8_t base[A1], target[A2];
	struct buf frame;
	const char *want = "delta frame does not apply (wrong base or damaged frame)";
	memcpy(base, f->a1, A1);
	memcpy(target, f->a2, A2);
	text(base, 200, 9);
	text(target, 200, 9);
	encode(base, A1, target, A2, &frame);
	honest(f, &s);
	s.m[1].data = frame.p;
	s.m[1].len = frame.len;
	refused(f, &s, want);
	free(frame.p);
	text(base, 7, 10);
	memcpy(base + 7, f->a1, A1 - 7);
	encode(base, A1, f->a2, A2, &frame);
	honest(f, &s);
	s.m[1].data = frame.p;
	s.m[1].len = frame.len;
	refused(f, &s, want);
	free(frame.p);
}

/* Data that is consistent with the manifest but not with the signed
 * target tree. */
static void test_tree_mismatch(void **state)
{
	struct fx *f = *state;
	struct forge s;
	uint8_t other[NEW], a2x[A2];
	struct buf frame;
	uint8_t tree[AIRLOCK_HASH_BYTES];
	const char *want = "the tree hash of the result does not match the signed target tree";
	/* a whole file with the right size and other bytes */
	memcpy(other, f->nw, NEW);
	other[NEW / 2] ^= 1;
	honest(f, &s);
	s.m[0].data = other;
	refused(f, &s, want);
	/* a delta that decodes, checksum and all, to other bytes */
	memcpy(a2x, f->a2, A2);
	a2x[10] ^= 1;
	encode(f->a1, A1, a2x, A2, &frame);
	honest(f, &s);
	s.m[1].data = frame.p;
	s.m[1].len = frame.len;
	refused(f, &s, want);
	free(frame.p);
	/* a removal left out: old.txt stays in the result */
	honest(f, &s);
	s.removed[0] = '\0';
	refused(f, &s, want);
	/* a mode the target does not have */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"mode\":\"0755\",\"size\":%d,\"source\":\"whole\"}",
	    (size_t)A2, OLD, NEW);
	refused(f, &s, want);
	/* a copy from the wrong (same-sized) base file */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"a.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, A1, NEW);
	refused(f, &s, want);
	/* an honest payload under a header signed for another tree */
	memcpy(tree, f->h2, sizeof(tree));
	tree[0] ^= 0x80;
	honest(f, &s);
	s.target_tree = tree;
	refused(f, &s, want);
}

/* Symlinks leaving the tree: the manifest parser refuses them. */
static void test_symlink_escape(void **state)
{
	struct fx *f = *state;
	static const char *const targets[] = { "../outside", "/etc/passwd", "x/../../outside",
		"../../../../etc/shadow" };
	struct forge s;
	for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		honest(f, &s);
		snprintf(s.entries, sizeof(s.entries),
		    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
		    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
		    "{\"path\":\"evil\",\"type\":\"symlink\",\"target\":\"%s\"},"
		    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD,
		    targets[i], NEW);
		refused(f, &s, "symlink entry 'evil' has a target that is empty, absolute or leaves the tree");
	}
	/* one level down, one ".." too many */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"d/evil\",\"type\":\"symlink\",\"target\":\"../../a.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW);
	refused(f, &s, "leaves the tree");
}

/* Duplicate, unsorted or conflicting paths. */
static void test_paths_order(void **state)
{
	struct fx *f = *state;
	struct forge s;
	/* new.txt twice (each with its own member) */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW, NEW);
	s.m[2] = s.m[1];
	s.m[1] = s.m[0];
	s.nm = 3;
	refused(f, &s, "entries are not sorted and distinct at 'new.txt'");
	/* unsorted entries */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", OLD, (size_t)A2, NEW);
	refused(f, &s, "entries are not sorted and distinct at 'a.txt'");
	/* removed: unsorted, duplicate */
	honest(f, &s);
	snprintf(s.removed, sizeof(s.removed), "\"old.txt\",\"b.txt\"");
	refused(f, &s, "removed is not sorted and distinct at 'b.txt'");
	honest(f, &s);
	snprintf(s.removed, sizeof(s.removed), "\"old.txt\",\"old.txt\"");
	refused(f, &s, "removed is not sorted and distinct at 'old.txt'");
	/* a path both removed and an entry */
	honest(f, &s);
	snprintf(s.removed, sizeof(s.removed), "\"new.txt\",\"old.txt\"");
	refused(f, &s, "'new.txt' is both removed and an entry");
	/* a file below a path that stays a file (b.txt is unchanged) */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"b.txt/inner\",\"size\":%d,\"source\":\"whole\"},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, NEW, OLD, NEW);
	s.m[2] = s.m[1];
	s.m[1] = s.m[0];
	s.m[0] = (struct member){ "files/b.txt/inner", f->nw, NEW };
	s.nm = 3;
	refused(f, &s, "'b.txt' is both a file and a directory");
}

/* Tar members other than the manifest's, with the header's counts true
 * (the manifest parser counts them) or lying (the applier notices). */
static void test_members_mismatch(void **state)
{
	struct fx *f = *state;
	struct forge s;
	/* files/new.txt missing */
	honest(f, &s);
	s.m[0] = s.m[1];
	s.nm = 1;
	refused(f, &s, "1 whole files and 1 frames do not make the 2 payload entries the header"
	    " declares");
	honest(f, &s);
	s.m[0] = s.m[1];
	s.nm = 1;
	s.entries_lie = 1;
	refused(f, &s, "payload: unexpected member 'deltas/000000.zst'");
	/* the delta frame missing: the reader's end-of-tar count check speaks
	 * first (apply's own "member is missing" cannot be reached: with a true
	 * count the manifest parser refuses) */
	honest(f, &s);
	s.nm = 1;
	s.entries_lie = 1;
	refused(f, &s, "payload: the tar has 2 members, the header says 3");
	/* an extra file between the whole files and the frames */
	honest(f, &s);
	s.m[2] = s.m[1];
	s.m[1] = (struct member){ "files/zz.txt", f->b, B };
	s.nm = 3;
	refused(f, &s, "1 whole files and 1 frames do not make the 4 payload entries");
	honest(f, &s);
	s.m[2] = s.m[1];
	s.m[1] = (struct member){ "files/zz.txt", f->b, B };
	s.nm = 3;
	s.entries_lie = -1;
	refused(f, &s, "unexpected member 'files/zz.txt'");
	/* an extra frame at the end */
	honest(f, &s);
	s.m[2] = (struct member){ "deltas/000001.zst", f->delta.p, f->delta.len };
	s.nm = 3;
	s.entries_lie = -1;
	refused(f, &s, "payload: more members than the signed 3");
	honest(f, &s);
	s.m[2] = (struct member){ "deltas/000001.zst", f->delta.p, f->delta.len };
	s.nm = 3;
	refused(f, &s, "1 whole files and 1 frames do not make the 4 payload entries");
	/* the data of a copy carried as a file as well */
	honest(f, &s);
	s.m[2] = s.m[1];
	s.m[1] = s.m[0];
	s.m[0] = (struct member){ "files/c.txt", f->old, OLD };
	s.nm = 3;
	s.entries_lie = -1;
	refused(f, &s, "unexpected member 'files/c.txt'");
	/* another name than the manifest's */
	honest(f, &s);
	s.m[0].name = "files/New.txt";
	refused(f, &s, "unexpected member 'files/New.txt'");
	/* wrong order: the frame before the whole file */
	honest(f, &s);
	s.m[0] = s.m[1];
	s.m[1] = (struct member){ "files/new.txt", f->nw, NEW };
	refused(f, &s, "payload: unexpected member 'deltas/000000.zst'");
	/* wrong order: two whole files swapped */
	honest(f, &s);
	snprintf(s.entries, sizeof(s.entries),
	    "{\"path\":\"a.txt\",\"size\":%zu,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"c.txt\",\"size\":%d,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"new.txt\",\"size\":%d,\"source\":\"whole\"},"
	    "{\"path\":\"zz.txt\",\"size\":%d,\"source\":\"whole\"}", (size_t)A2, OLD, NEW, B);
	s.m[2] = s.m[1];
	s.m[1] = s.m[0];
	s.m[0] = (struct member){ "files/zz.txt", f->b, B };
	s.nm = 3;
	refused(f, &s, "payload: unexpected member 'files/zz.txt'");
}

/* After every refusal, the honest bundle still imports: the store was
 * left able to take v2. */
static void test_honest_imports(void **state)
{
	struct fx *f = *state;
	struct forge s;
	struct airlock_verdict v;
	struct airlock_err err;
	struct airlock_feed_status *st = NULL;
	size_t n = 0;
	char path[128];
	honest(f, &s);
	forge(f, &s, path, sizeof(path));
	airlock_err_init(&err);
	airlock_verdict_init(&v);
	if (airlock_importer_import(f->im, &(struct airlock_bundle_ref){ path, NULL }, NULL, &v,
	    &err) != AIRLOCK_OK)
		fail_msg("honest bundle: %s", err.msg);
	assert_int_equal(airlock_importer_status(f->im, &st, &n, &err), AIRLOCK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].version, 2);
	assert_memory_equal(st[0].tree, f->h2, AIRLOCK_HASH_BYTES);
	free(st);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* TEST_APPLY_ONLY=test_name runs one case (after the shared setup). */
	if (getenv("TEST_APPLY_ONLY") != NULL)
		cmocka_set_test_filter(getenv("TEST_APPLY_ONLY"));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_verifies),
		cmocka_unit_test(test_delta_base_not_in_base),
		cmocka_unit_test(test_copy_from_not_in_base),
		cmocka_unit_test(test_removed_not_in_base),
		cmocka_unit_test(test_whole_size_mismatch),
		cmocka_unit_test(test_delta_size_mismatch),
		cmocka_unit_test(test_delta_wrong_base),
		cmocka_unit_test(test_tree_mismatch),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_paths_order),
		cmocka_unit_test(test_members_mismatch),
		cmocka_unit_test(test_honest_imports),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
