/* imp_inbox.c - the high side's inbox, a bundle's detail, and the import
 * itself. Every verdict, check and change is the core's
 * (airlock/importer.h); this file only asks and shows. */
#include <curses.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "airlock/importer.h"
#include "tui.h"

const struct tab importer_tabs[] = {
	{ "1", "Inbox", inbox_view }, { "2", "Feeds", feeds_view }, { "3", "Trust", trust_view },
	{ "4", "Quarantine", quarantine_view }, { "5", "Audit", audit_view },
};
const int importer_ntabs = 5;

static enum role verdict_role(enum airlock_inbox_state s)
{
	switch (s) {
	case AIRLOCK_INBOX_READY: return ROLE_OK;
	case AIRLOCK_INBOX_GAP: return ROLE_WARN;
	case AIRLOCK_INBOX_IMPORTED: return ROLE_DIM;
	default: return ROLE_BAD;
	}
}

/* ---- the site key ------------------------------------------------------ */

/* Opens the site key once per session, asking for its passphrase only
 * when it has one. Returns 0 when verify and import can run. */
static int unlock_site_key(struct ui *ui)
{
	struct airlock_err err;
	airlock_err_init(&err);
	if (ui->key_unlocked)
		return 0;
	int need = airlock_importer_key_needs_passphrase(ui->im, &err);
	if (need < 0) {
		ui_error(ui, "Site key", &err);
		return -1;
	}
	char *pass = need ? ui_passphrase(ui, "Passphrase of the site key:") : NULL;
	if (need && pass == NULL)
		return -1;
	enum airlock_code rc = airlock_importer_unlock(ui->im, pass, &err);
	ui_passphrase_free(pass);
	if (rc != AIRLOCK_OK) {
		ui_error(ui, "Site key", &err);
		return -1;
	}
	ui->key_unlocked = 1;
	return 0;
}

/* ---- inbox ----------------------------------------------------------------- */

struct inbox_row { struct airlock_bundle_list *l; size_t i; const char *dir; };

struct inbox {
	struct airlock_bundle_list *lists[64];
	char *dirs[64];
	size_t nlists;
	struct inbox_row *rows;
	size_t nrows;
	char problems[600];
	uint64_t stamp;          /* of the watched folders at the last scan */
	unsigned ticks;
	/* The payload check behind the list: the listing's precheck does not
	 * read payloads, so a worker hashes each ready bundle's payload and
	 * the verdicts change as it goes. */
	struct airlock_importer *im;
	struct job job;
	int checking;
	struct airlock_verdict *deep;   /* per row, written by the worker under job.mu */
	unsigned char *deep_state;      /* 0 pending, 1 written (worker), 2 shown */
	size_t deep_done;               /* rows checked, under job.mu */
	size_t deep_total;
};

/* A cheap summary of the watched folders and the media mounted in them:
 * it changes when a medium is mounted or a bundle is written. */
static uint64_t watch_stamp(struct ui *ui)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t w = 0; w < ui->nwatch; w++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		if (stat(ui->watch[w], &st) == 0)
			h = (h ^ (uint64_t)st.st_mtim.tv_sec ^ (uint64_t)st.st_mtim.tv_nsec ^
			    (uint64_t)st.st_ino) * 1099511628211ull;
		if ((d = opendir(ui->watch[w])) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", ui->watch[w], e->d_name);
			if (e->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				h = (h ^ (uint64_t)st.st_mtim.tv_sec ^ (uint64_t)st.st_mtim.tv_nsec ^
				    (uint64_t)st.st_ino) * 1099511628211ull;
		}
		closedir(d);
	}
	return h;
}

static void stop_deep(struct inbox *ib)
{
	if (!ib->checking)
		return;
	job_cancel(&ib->job);
	job_join(&ib->job, NULL);
	job_destroy(&ib->job);
	ib->checking = 0;
}

static void inbox_clear(struct inbox *ib)
{
	stop_deep(ib);
	free(ib->deep);
	free(ib->deep_state);
	ib->deep = NULL;
	ib->deep_state = NULL;
	for (size_t i = 0; i < ib->nlists; i++) {
		airlock_bundle_list_free(ib->lists[i]);
		free(ib->dirs[i]);
	}
	ib->nlists = 0;
	free(ib->rows);
	ib->rows = NULL;
	ib->nrows = 0;
	ib->problems[0] = '\0';
}

static void scan_one(struct ui *ui, struct inbox *ib, const char *path)
{
	struct airlock_err err;
	airlock_err_init(&err);
	if (ib->nlists == 64)
		return;
	if (airlock_importer_list_bundles(ui->im, path, &ib->lists[ib->nlists], &err) != AIRLOCK_OK) {
		if (ib->problems[0] == '\0')
			snprintf(ib->problems, sizeof ib->problems, "%s", err.msg);
		return;
	}
	ib->dirs[ib->nlists++] = strdup(path);
}

/* A watched folder and, one level down, each medium mounted in it. */
static void scan_watch(struct ui *ui, struct inbox *ib, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return;
	scan_one(ui, ib, dir);
	if (!S_ISDIR(st.st_mode))
		return;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char sub[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			scan_one(ui, ib, sub);
	}
	if (d != NULL)
		closedir(d);
}

static const struct airlock_bundle_list_item *row_item(struct inbox *ib, size_t i);

static enum airlock_code run_deep(void *arg, const struct airlock_progress *p,
    struct airlock_err *err)
{
	struct inbox *ib = arg;
	for (size_t i = 0; i < ib->nrows; i++) {
		const struct airlock_bundle_list_item *it = row_item(ib, i);
		struct airlock_verdict v;
		struct airlock_err e;
		if (it->verdict.state != AIRLOCK_INBOX_READY)
			continue;
		if (*p->cancel)
			return airlock_fail(err, AIRLOCK_E_CANCELLED, "cancelled");
		airlock_err_init(&e);
		airlock_verdict_init(&v);
		airlock_importer_precheck(ib->im, &it->ref, 1, p, &v, &e);
		pthread_mutex_lock(&ib->job.mu);
		/* Reading the payload adds one thing the listing did not know:
		 * whether it matches the signed hash. Its policy and gap verdicts
		 * stay the listing's, which knows about bundles queued in order. */
		if (v.state == AIRLOCK_INBOX_TAMPERED || v.state == AIRLOCK_INBOX_ERROR) {
			ib->deep[i] = v;
			ib->deep_state[i] = 1;
		}
		ib->deep_done++;
		pthread_mutex_unlock(&ib->job.mu);
	}
	return AIRLOCK_OK;
}

static void start_deep(struct inbox *ib)
{
	ib->deep_total = 0;
	ib->deep_done = 0;
	for (size_t i = 0; i < ib->nrows; i++)
		ib->deep_total += row_item(ib, i)->verdict.state == AIRLOCK_INBOX_READY;
	ib->deep = calloc(ib->nrows > 0 ? ib->nrows : 1, sizeof *ib->deep);
	ib->deep_state = calloc(ib->nrows > 0 ? ib->nrows : 1, 1);
	if (ib->deep_total == 0 || ib->deep == NULL || ib->deep_state == NULL)
		return;
	job_init(&ib->job, run_deep, ib);
	ib->checking = job_start(&ib->job) == 0;
}

/* Shows the verdicts the worker has reached; the list's items are only
 * ever written here, on the main thread. */
static enum reaction deep_tick(struct view *v, struct inbox *ib)
{
	enum reaction r = R_NONE;
	int finished = job_finished(&ib->job);
	pthread_mutex_lock(&ib->job.mu);
	for (size_t i = 0; i < ib->nrows; i++) {
		if (ib->deep_state[i] != 1)
			continue;
		struct airlock_bundle_list_item *it = &ib->rows[i].l->items[ib->rows[i].i];
		it->verdict = ib->deep[i];
		ib->deep_state[i] = 2;
		r = R_REDRAW;
	}
	pthread_mutex_unlock(&ib->job.mu);
	if (finished) {
		stop_deep(ib);
		list_refilter(v);
		r = R_REDRAW;
	}
	return r;
}

static enum airlock_code inbox_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct inbox *ib = v->data;
	size_t total = 0, k = 0;
	inbox_clear(ib);
	ib->stamp = watch_stamp(ui);
	for (size_t w = 0; w < ui->nwatch; w++)
		scan_watch(ui, ib, ui->watch[w]);
	for (size_t i = 0; i < ib->nlists; i++)
		total += ib->lists[i]->n;
	ib->rows = calloc(total > 0 ? total : 1, sizeof *ib->rows);
	if (ib->rows == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory listing bundles");
	for (size_t i = 0; i < ib->nlists; i++)
		for (size_t j = 0; j < ib->lists[i]->n; j++)
			ib->rows[k++] = (struct inbox_row){ ib->lists[i], j, ib->dirs[i] };
	ib->nrows = k;
	list_reset(v, k);
	if (ib->problems[0] != '\0')
		ui_set_status(ui, 1, "%s", ib->problems);
	start_deep(ib);
	return AIRLOCK_OK;
}

static const struct airlock_bundle_list_item *row_item(struct inbox *ib, size_t i)
{
	return &ib->rows[i].l->items[ib->rows[i].i];
}

static void versions_text(char *out, size_t outlen, const struct airlock_bundle_info *b)
{
	if (!b->have_header)
		snprintf(out, outlen, "-");
	else if (b->has_base)
		snprintf(out, outlen, "%llu->%llu", (unsigned long long)b->base_version,
		    (unsigned long long)b->target_version);
	else
		snprintf(out, outlen, "full->%llu", (unsigned long long)b->target_version);
}

static void inbox_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_bundle_list_item *it = row_item(v->data, i);
	snprintf(out, outlen, "%s %s %s %s", airlock_inbox_state_name(it->verdict.state),
	    it->verdict.info.feed, it->name, it->verdict.reason);
}

static void inbox_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_bundle_list_item *it = row_item(v->data, i);
	const struct airlock_bundle_info *b = &it->verdict.info;
	char ver[48];
	versions_text(ver, sizeof ver, b);
	put(ui, y, x + 1, 16, sel ? ROLE_SEL : verdict_role(it->verdict.state),
	    airlock_inbox_state_name(it->verdict.state));
	put(ui, y, x + 18, 16, sel ? ROLE_SEL : ROLE_NORMAL, b->have_header ? b->feed : "?");
	put(ui, y, x + 35, 13, sel ? ROLE_SEL : ROLE_NORMAL, ver);
	put(ui, y, x + 49, w - 50, sel ? ROLE_SEL : ROLE_NORMAL, it->name);
}

static void inbox_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct inbox *ib = v->data;
	if (ui->nwatch == 0)
		put(ui, r.y, 1, r.w - 2, ROLE_WARN, "no watched folders: start with --watch DIR");
	list_draw(v, ui, r);
	if (ib->checking)
		putf(ui, r.y + r.h - 1, r.x + 1, r.w - 14, ROLE_DIM,
		    "checking payloads: %zu of %zu bundles", ib->deep_done, ib->deep_total);
}

/* About every 2 seconds: a medium mounted or a bundle copied in shows up
 * without a key press. */
static enum reaction inbox_tick(struct view *v, struct ui *ui)
{
	struct inbox *ib = v->data;
	if (ib->checking)
		return deep_tick(v, ib);
	if (++ib->ticks % 20 != 0 || watch_stamp(ui) == ib->stamp)
		return R_NONE;
	return R_RELOAD;
}

static void inbox_release(struct view *v)
{
	inbox_clear(v->data);
	free(v->data);
}

struct view *detail_view(struct ui *ui, const struct airlock_bundle_list_item *it,
    const char *dir);

static enum reaction inbox_open(struct view *v, struct ui *ui)
{
	size_t i;
	if (!list_selected(v, &i))
		return R_NONE;
	struct inbox *ib = v->data;
	/* The handle is used by one thread at a time: the detail's own
	 * checks follow the background ones. */
	if (ib->checking) {
		deep_tick(v, ib);
		stop_deep(ib);
	}
	ui_push(ui, detail_view(ui, row_item(ib, i), ib->rows[i].dir));
	return R_REDRAW;
}

static enum reaction inbox_rescan(struct view *v, struct ui *ui)
{
	return R_RELOAD;
}

static const struct binding inbox_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Open", "show the bundle's details",
	  inbox_open, B_FOOTER },
	{ { 'r', KEYFN(KEY_F(5)), 0 }, "r", "Rescan", "look at the watched folders again",
	  inbox_rescan, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops inbox_ops = {
	.title = "Inbox", .keys = inbox_keys, .load = inbox_load, .draw = inbox_draw,
	.tick = inbox_tick, .release = inbox_release, .row_text = inbox_row_text, .draw_row = inbox_draw_row,
	.columns = " STATE            FEED             VERSIONS     BUNDLE",
};

struct view *inbox_view(struct ui *ui)
{
	struct inbox *ib = calloc(1, sizeof *ib);
	struct view *v = ib != NULL ? view_new(&inbox_ops, ib, 1) : NULL;
	if (v == NULL) {
		free(ib);
		return NULL;
	}
	ib->im = ui->im;
	return v;
}

/* ---- bundle detail --------------------------------------------------------- */

struct detail {
	struct ui *ui;
	char path[4096];
	char member[1024];
	int has_member;
	char name[256];
	char dir[4096];
	struct airlock_bundle_ref ref;
	struct airlock_verdict v;
	int verified;                 /* v comes from a full verify */
	struct job job;               /* the background verify */
	int verifying;
	struct airlock_verdict jv;    /* written by the worker only */
	struct airlock_err jerr;
	struct job_view last;
};

static enum airlock_code run_verify(void *arg, const struct airlock_progress *p,
    struct airlock_err *err)
{
	struct detail *d = arg;
	airlock_verdict_init(&d->jv);
	return airlock_importer_verify(d->ui->im, &d->ref, p, &d->jv, err);
}

static void stop_verify(struct detail *d)
{
	if (!d->verifying)
		return;
	job_cancel(&d->job);
	job_join(&d->job, NULL);
	job_destroy(&d->job);
	d->verifying = 0;
}

/* A full verification (a dry run of the import) gives the change
 * summary; it runs behind the screen and can be left at any time. */
static void start_verify(struct ui *ui, struct detail *d)
{
	if (d->verifying || unlock_site_key(ui) != 0)
		return;
	job_init(&d->job, run_verify, d);
	if (job_start(&d->job) != 0) {
		ui_set_status(ui, 1, "cannot start a worker thread");
		return;
	}
	d->verifying = 1;
}

static enum airlock_code detail_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct detail *d = v->data;
	struct airlock_verdict nv;
	stop_verify(d);
	airlock_verdict_init(&nv);
	/* The precheck's code is the verdict itself, not a failure to show. */
	airlock_importer_precheck(ui->im, &d->ref, 0, NULL, &nv, err);
	airlock_err_init(err);
	d->v = nv;
	d->verified = 0;
	if (d->v.state == AIRLOCK_INBOX_READY &&
	    (ui->key_unlocked || airlock_importer_key_needs_passphrase(ui->im, err) == 0))
		start_verify(ui, d);
	airlock_err_init(err);
	return AIRLOCK_OK;
}

static enum reaction detail_tick(struct view *v, struct ui *ui)
{
	struct detail *d = v->data;
	if (!d->verifying)
		return R_NONE;
	job_snapshot(&d->job, &d->last);
	if (!d->last.finished)
		return R_REDRAW;
	job_join(&d->job, NULL);
	job_destroy(&d->job);
	d->verifying = 0;
	if (d->jv.code != AIRLOCK_E_CANCELLED) {
		d->v = d->jv;
		d->verified = 1;
	}
	return R_REDRAW;
}

static int detail_header(struct ui *ui, struct rect r, const struct airlock_bundle_info *b, int y)
{
	char t1[32], t2[32], sz[32], bytes[32], hex[20];
	fmt_time(t1, sizeof t1, b->created);
	fmt_time(t2, sizeof t2, b->expires);
	fmt_bytes(sz, sizeof sz, b->size);
	fmt_bytes(bytes, sizeof bytes, b->target_bytes);
	y = put_field(ui, r, y, "Feed", ROLE_NORMAL, "%s (bundle %llu of this feed)", b->feed,
	    (unsigned long long)b->sequence);
	fmt_hex(hex, sizeof hex, b->base_tree, 4);
	if (b->has_base)
		y = put_field(ui, r, y, "Base version", ROLE_NORMAL, "%llu  (tree %s...)",
		    (unsigned long long)b->base_version, hex);
	else
		y = put_field(ui, r, y, "Base version", ROLE_NORMAL, "none: a full bundle");
	fmt_hex(hex, sizeof hex, b->target_tree, 4);
	y = put_field(ui, r, y, "Target version", ROLE_NORMAL, "%llu  (tree %s..., %llu files, %s)",
	    (unsigned long long)b->target_version, hex, (unsigned long long)b->target_files, bytes);
	y = put_field(ui, r, y, "Signer", ROLE_NORMAL, "%s  key %s",
	    b->signer_name[0] ? b->signer_name : "(not trusted)", b->signer_key_id);
	y = put_field(ui, r, y, "Created", ROLE_NORMAL, "%s UTC   expires %s UTC", t1, t2);
	y = put_field(ui, r, y, "Size", ROLE_NORMAL, "%s", sz);
	y = put_field(ui, r, y, "Recipients", b->for_this_site ? ROLE_NORMAL : ROLE_BAD, "%zu%s",
	    b->nrecipients, b->for_this_site ? ", this site among them" : ", NOT this site");
	return y;
}

static int detail_changes(struct ui *ui, struct detail *d, struct rect r, int y)
{
	const struct airlock_bundle_info *b = &d->v.info;
	char carried[32];
	if (d->verifying) {
		char pct[16] = "";
		if (d->last.total > 0)
			snprintf(pct, sizeof pct, " %d%%",
			    (int)((double)d->last.done * 100.0 / (double)d->last.total));
		return put_field(ui, r, y, "Changes", ROLE_DIM, "verifying (%s%s)...",
		    d->last.stage[0] ? d->last.stage : "starting", pct);
	}
	if (!b->have_changes)
		return put_field(ui, r, y, "Changes", ROLE_DIM, "%s",
		    d->v.state == AIRLOCK_INBOX_READY ? "not verified yet: press v" : "-");
	fmt_bytes(carried, sizeof carried, b->bytes_carried);
	return put_field(ui, r, y, "Changes", ROLE_NORMAL,
	    "%llu added, %llu changed, %llu removed; %s carried",
	    (unsigned long long)b->files_added, (unsigned long long)b->files_changed,
	    (unsigned long long)b->files_removed, carried);
}

static void detail_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct detail *d = v->data;
	const struct airlock_verdict *vd = &d->v;
	int y = r.y;
	y = put_field(ui, r, y, "Bundle", ROLE_NORMAL, "%s", d->name);
	y = put_field(ui, r, y, "Verdict", verdict_role(vd->state), "%s%s",
	    airlock_inbox_state_name(vd->state),
	    d->verified && vd->code == AIRLOCK_OK ? " (fully verified)" : "");
	if (vd->reason[0] != '\0')
		y = put_field(ui, r, y, "Reason", verdict_role(vd->state), "%s", vd->reason);
	if (vd->hint[0] != '\0')
		y = put_field(ui, r, y, "What to do", ROLE_NORMAL, "%s", vd->hint);
	y++;
	if (!vd->info.have_header) {
		put(ui, y, r.x + 1, r.w - 2, ROLE_DIM,
		    "Nothing in this bundle was read: its signature did not verify first.");
		return;
	}
	y = detail_header(ui, r, &vd->info, y);
	y = detail_changes(ui, d, r, y);
	if (vd->state == AIRLOCK_INBOX_GAP) {
		char rc[AIRLOCK_RECEIPT_MAX] = "none: this site holds no version of the feed";
		if (vd->info.store_has_feed)
			airlock_receipt_format(rc, vd->info.feed, vd->info.store_version,
			    vd->info.store_tree);
		y++;
		put_field(ui, r, y, "Receipt", ROLE_WARN, "%s", rc);
		put(ui, y + 1, r.x + 18, r.w - 19, ROLE_NORMAL,
		    "carry this back to the signer (airlock-signer site set)");
	}
}

static void detail_release(struct view *v)
{
	struct detail *d = v->data;
	stop_verify(d);
	free(d);
}

static enum reaction detail_verify(struct view *v, struct ui *ui)
{
	struct detail *d = v->data;
	if (d->v.state != AIRLOCK_INBOX_READY) {
		ui_set_status(ui, 1, "this bundle is %s: %s", airlock_inbox_state_name(d->v.state),
		    d->v.reason);
		return R_REDRAW;
	}
	start_verify(ui, d);
	return R_REDRAW;
}

struct view *import_view(struct ui *ui, const struct detail *d);

static enum reaction detail_import(struct view *v, struct ui *ui)
{
	struct detail *d = v->data;
	const struct airlock_bundle_info *b = &d->v.info;
	char q[512];
	if (d->v.state != AIRLOCK_INBOX_READY) {
		ui_set_status(ui, 1, "cannot import: the bundle is %s%s%s",
		    airlock_inbox_state_name(d->v.state), d->v.reason[0] ? ": " : "", d->v.reason);
		return R_REDRAW;
	}
	snprintf(q, sizeof q, "Import feed %s version %llu%s? Every check runs again; the store "
	    "changes only if all pass.", b->feed, (unsigned long long)b->target_version,
	    b->has_base ? "" : " (full bundle)");
	if (!ui_confirm(ui, "Import", q))
		return R_REDRAW;
	/* The handle is not shared with a worker: the dry run stops first. */
	stop_verify(d);
	if (unlock_site_key(ui) != 0)
		return R_REDRAW;
	ui_push(ui, import_view(ui, d));
	return R_REDRAW;
}

static const struct binding detail_keys[] = {
	{ { 'i', 0, 0 }, "i", "Import", "import this bundle (asks first)", detail_import, B_FOOTER },
	{ { 'v', 0, 0 }, "v", "Verify", "verify fully without changing the store", detail_verify,
	  B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops detail_ops = {
	.title = "Bundle", .keys = detail_keys, .load = detail_load, .draw = detail_draw,
	.tick = detail_tick, .release = detail_release,
};

struct view *detail_view(struct ui *ui, const struct airlock_bundle_list_item *it,
    const char *dir)
{
	struct detail *d = calloc(1, sizeof *d);
	struct view *v = d != NULL ? view_new(&detail_ops, d, 0) : NULL;
	if (v == NULL) {
		free(d);
		return NULL;
	}
	d->ui = ui;
	snprintf(d->path, sizeof d->path, "%s", it->ref.path);
	d->ref.path = d->path;
	if (it->ref.iso_member != NULL) {
		snprintf(d->member, sizeof d->member, "%s", it->ref.iso_member);
		d->ref.iso_member = d->member;
	}
	snprintf(d->name, sizeof d->name, "%s", it->name);
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	d->v = it->verdict;
	return v;
}

/* ---- import ---------------------------------------------------------------- */

struct import_job {
	struct ui *ui;
	char path[4096];
	char member[1024];
	struct airlock_bundle_ref ref;
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	struct airlock_verdict v;
};

static const char *const import_stages[] = {
	AIRLOCK_STAGE_SIGNATURE, AIRLOCK_STAGE_HASH, AIRLOCK_STAGE_DECRYPT,
	AIRLOCK_STAGE_APPLY, AIRLOCK_STAGE_CHECK, AIRLOCK_STAGE_COMMIT,
};

static enum airlock_code run_import(void *arg, const struct airlock_progress *p,
    struct airlock_err *err)
{
	struct import_job *j = arg;
	airlock_verdict_init(&j->v);
	return airlock_importer_import(j->ui->im, &j->ref, p, &j->v, err);
}

static void gap_text(struct import_job *j, char *text, size_t len)
{
	const struct airlock_bundle_info *b = &j->v.info;
	char rc[AIRLOCK_RECEIPT_MAX];
	struct airlock_err err;
	airlock_err_init(&err);
	if (airlock_importer_receipt(j->ui->im, j->feed, rc, &err) != AIRLOCK_OK) {
		snprintf(text, len, "%s\n\nThis site holds no version of %s: ask the signer for a "
		    "full bundle.", j->v.reason, j->feed);
		return;
	}
	snprintf(text, len, "%s\n\nThe bundle starts from version %llu; this site holds %llu.\n"
	    "Carry this receipt back to the signer:\n\n    %s\n\n"
	    "(airlock-signer site set SITE %s), then bring a new bundle.",
	    j->v.reason, (unsigned long long)b->base_version, (unsigned long long)b->store_version,
	    rc, rc);
}

static void import_done(void *arg, struct ui *ui, enum airlock_code rc,
    const struct airlock_err *err, char *title, size_t tlen, char *text, size_t len, int *good)
{
	struct import_job *j = arg;
	char receipt[AIRLOCK_RECEIPT_MAX] = "";
	struct airlock_err e2;
	airlock_err_init(&e2);
	*good = rc == AIRLOCK_OK;
	if (rc == AIRLOCK_OK) {
		airlock_importer_receipt(ui->im, j->feed, receipt, &e2);
		snprintf(title, tlen, "Imported: %s is now at version %llu", j->feed,
		    (unsigned long long)j->v.info.target_version);
		snprintf(text, len, "Every check passed and the new version is published.\n"
		    "Receipt for the signer: %s", receipt);
	} else if (rc == AIRLOCK_E_CANCELLED) {
		snprintf(title, tlen, "Cancelled: the store is unchanged");
		snprintf(text, len, "Nothing was imported. The bundle can be imported again later.");
	} else if (rc == AIRLOCK_E_GAP) {
		snprintf(title, tlen, "Not imported: gap");
		gap_text(j, text, len);
	} else {
		snprintf(title, tlen, "Not imported: %s", airlock_inbox_state_name(j->v.state));
		snprintf(text, len, "%s\n\nWhat to do: %s\n\nThe store is unchanged.%s",
		    err->msg, err->hint[0] ? err->hint : "see the audit log",
		    rc == AIRLOCK_E_VERIFY || rc == AIRLOCK_E_POLICY ?
		    " The bundle was kept in quarantine with this reason." : "");
	}
}

struct view *import_view(struct ui *ui, const struct detail *d)
{
	struct import_job *j = calloc(1, sizeof *j);
	char what[512];
	if (j == NULL)
		return NULL;
	j->ui = ui;
	snprintf(j->path, sizeof j->path, "%s", d->path);
	j->ref.path = j->path;
	if (d->ref.iso_member != NULL) {
		snprintf(j->member, sizeof j->member, "%s", d->member);
		j->ref.iso_member = j->member;
	}
	snprintf(j->feed, sizeof j->feed, "%s", d->v.info.feed);
	snprintf(what, sizeof what, "Importing %s: version %llu from %s", d->v.info.feed,
	    (unsigned long long)d->v.info.target_version, d->name);
	struct work_spec spec = {
		"Import", what, import_stages, 6,
		"Cancel the import? It stops at the next safe point and the store stays as it was.",
		import_done,
	};
	return work_start(ui, &spec, run_import, j, free);
}
