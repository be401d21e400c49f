/* sig.c - the low side: feeds and their versions, snapshots, sites and
 * receipts, making a bundle, and the log of bundles issued. Every rule
 * (which base, which sites agree, sequences) is the core's
 * (airlock/signer.h); this file asks, shows and runs. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/signer.h"
#include "tui.h"

const struct tab signer_tabs[] = {
	{ "1", "Feeds", sfeeds_view }, { "2", "Sites", sites_view }, { "3", "Log", slog_view },
};
const int signer_ntabs = 3;

static enum role rrole(int sel, enum role r)
{
	return sel ? ROLE_SEL : r;
}

/* ---- feeds --------------------------------------------------------------- */

struct sfeeds { struct airlock_signer_status st; int have; };

static enum airlock_code sfeeds_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct sfeeds *f = v->data;
	struct airlock_signer_status st;
	memset(&st, 0, sizeof st);
	if (airlock_signer_status(ui->sg, &st, err) != AIRLOCK_OK)
		return err->code;
	if (f->have)
		airlock_signer_status_release(&f->st);
	f->st = st;
	f->have = 1;
	list_reset(v, st.nfeeds);
	return AIRLOCK_OK;
}

static void sfeeds_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	struct sfeeds *f = v->data;
	snprintf(out, outlen, "%s", f->st.feeds[i].name);
}

static void sfeeds_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_signer_feed_status *f = &((struct sfeeds *)v->data)->st.feeds[i];
	char when[32], bytes[32];
	fmt_time(when, sizeof when, f->latest.created);
	fmt_bytes(bytes, sizeof bytes, f->latest.bytes);
	put(ui, y, x + 1, 20, rrole(sel, ROLE_NORMAL), f->name);
	putf(ui, y, x + 22, 7, rrole(sel, ROLE_NORMAL), "%7llu",
	    (unsigned long long)f->latest.version);
	put(ui, y, x + 31, 17, rrole(sel, ROLE_NORMAL), when);
	putf(ui, y, x + 49, 8, rrole(sel, ROLE_NORMAL), "%7llu", (unsigned long long)f->latest.files);
	put(ui, y, x + 58, 11, rrole(sel, ROLE_NORMAL), bytes);
	putf(ui, y, x + 70, w - 71, rrole(sel, ROLE_DIM), "%llu/%llu",
	    (unsigned long long)f->retained, (unsigned long long)f->versions);
}

static void sfeeds_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct sfeeds *f = v->data;
	if (f->have)
		putf(ui, r.y, r.x + 1, r.w - 2, f->st.has_key ? ROLE_NORMAL : ROLE_BAD,
		    "signing key %s%s   %zu sites   %llu bundles issued",
		    f->st.has_key ? f->st.key_id : "MISSING (run airlock-signer keygen)",
		    f->st.has_key && f->st.key_encrypted ? " (passphrase)" : "", f->st.sites.n,
		    (unsigned long long)f->st.bundles);
	list_draw(v, ui, (struct rect){ r.y + 1, r.x, r.h - 1, r.w });
}

static void sfeeds_release(struct view *v)
{
	struct sfeeds *f = v->data;
	if (f->have)
		airlock_signer_status_release(&f->st);
	free(f);
}

static const char *selected_feed(struct view *v)
{
	size_t i;
	struct sfeeds *f = v->data;
	return list_selected(v, &i) ? f->st.feeds[i].name : NULL;
}

struct view *versions_view(struct ui *ui, const char *feed);
static enum reaction sfeeds_open(struct view *v, struct ui *ui)
{
	const char *feed = selected_feed(v);
	if (feed != NULL)
		ui_push(ui, versions_view(ui, feed));
	return R_REDRAW;
}

/* ---- snapshot ---------------------------------------------------------------- */

struct snap_job {
	struct ui *ui;
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	char dir[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_signer_version out;
	int created;
};

static enum airlock_code run_snapshot(void *arg, const struct airlock_progress *p,
    struct airlock_err *err)
{
	struct snap_job *j = arg;
	return airlock_signer_snapshot(j->ui->sg, j->feed, j->dir, p, &j->out, &j->created, err);
}

static void snapshot_done(void *arg, struct ui *ui, enum airlock_code rc,
    const struct airlock_err *err, char *title, size_t tlen, char *text, size_t len, int *good)
{
	struct snap_job *j = arg;
	char bytes[32];
	*good = rc == AIRLOCK_OK;
	if (rc == AIRLOCK_OK) {
		fmt_bytes(bytes, sizeof bytes, j->out.bytes);
		snprintf(title, tlen, j->created ? "Snapshot taken: %s version %llu" :
		    "No change: %s stays at version %llu", j->feed,
		    (unsigned long long)j->out.version);
		snprintf(text, len, "%llu files, %s, from %s", (unsigned long long)j->out.files, bytes,
		    j->dir);
	} else if (rc == AIRLOCK_E_CANCELLED) {
		snprintf(title, tlen, "Cancelled: no version was recorded");
		text[0] = '\0';
	} else {
		snprintf(title, tlen, "Snapshot failed");
		snprintf(text, len, "%s\n\nWhat to do: %s", err->msg,
		    err->hint[0] ? err->hint : "check the folder and try again");
	}
}

static const char *const snapshot_stages[] = { "hash", "store" };

static enum reaction sfeeds_snapshot(struct view *v, struct ui *ui)
{
	struct snap_job *j = calloc(1, sizeof *j);
	const char *sel = selected_feed(v);
	char what[512];
	if (j == NULL)
		return R_NONE;
	j->ui = ui;
	snprintf(j->feed, sizeof j->feed, "%s", sel != NULL ? sel : "");
	if (!ui_input(ui, "Snapshot", "Feed (a new name makes a new feed):", j->feed,
	    sizeof j->feed, 0) || j->feed[0] == '\0' ||
	    !ui_input(ui, "Snapshot", "Folder to take the snapshot from:", j->dir, sizeof j->dir, 0) ||
	    j->dir[0] == '\0') {
		free(j);
		return R_REDRAW;
	}
	snprintf(what, sizeof what, "Snapshot of %s from %.400s", j->feed, j->dir);
	struct work_spec spec = { "Snapshot", what, snapshot_stages, 2,
		"Cancel the snapshot? No version is recorded.", snapshot_done };
	ui_push(ui, work_start(ui, &spec, run_snapshot, j, free));
	return R_REDRAW;
}

/* ---- bundle ---------------------------------------------------------------- */

struct bundle_job {
	struct ui *ui;
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	char sitebuf[1024];
	const char *sites[AIRLOCK_SIGNER_SITES_MAX];
	char output[AIRLOCK_SIGNER_PATH_MAX];
	char *pass;
	struct airlock_signer_bundle_req req;
	struct airlock_signer_bundle_info info;
	int have_info;
};

static void bundle_free(void *arg)
{
	struct bundle_job *j = arg;
	ui_passphrase_free(j->pass);
	if (j->have_info)
		airlock_signer_bundle_info_release(&j->info);
	free(j);
}

static enum airlock_code run_bundle(void *arg, const struct airlock_progress *p,
    struct airlock_err *err)
{
	struct bundle_job *j = arg;
	enum airlock_code rc = airlock_signer_bundle(j->ui->sg, &j->req, p, &j->info, err);
	j->have_info = rc == AIRLOCK_OK;
	return rc;
}

static void bundle_done(void *arg, struct ui *ui, enum airlock_code rc,
    const struct airlock_err *err, char *title, size_t tlen, char *text, size_t len, int *good)
{
	struct bundle_job *j = arg;
	char size[32], exp[32];
	*good = rc == AIRLOCK_OK;
	ui_passphrase_free(j->pass);
	j->pass = NULL;
	if (rc == AIRLOCK_OK) {
		fmt_bytes(size, sizeof size, j->info.size);
		fmt_time(exp, sizeof exp, j->info.expires);
		snprintf(title, tlen, "Bundle written: %s %s%llu -> %llu, sequence %llu", j->feed,
		    j->info.has_base ? "" : "full ", (unsigned long long)j->info.base,
		    (unsigned long long)j->info.target, (unsigned long long)j->info.sequence);
		snprintf(text, len, "File: %s\nSize: %s   expires %s UTC\nFor: %s\n\nThe sites are "
		    "now believed to hold version %llu.", j->info.path, size, exp, j->info.sites,
		    (unsigned long long)j->info.target);
	} else if (rc == AIRLOCK_E_CANCELLED) {
		snprintf(title, tlen, "Cancelled: no bundle was written or recorded");
		text[0] = '\0';
	} else {
		snprintf(title, tlen, "Bundle failed");
		snprintf(text, len, "%s\n\nWhat to do: %s\n\nNothing was written or recorded.",
		    err->msg, err->hint[0] ? err->hint : "check the settings and try again");
	}
}

static size_t split_sites(struct bundle_job *j)
{
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(j->sitebuf, ", ", &save); t != NULL && n < AIRLOCK_SIGNER_SITES_MAX;
	    t = strtok_r(NULL, ", ", &save))
		j->sites[n++] = t;
	return n;
}

/* Asks for the base: the core's choice shown and kept on Enter, or a
 * version number, or "full". */
static int ask_base(struct ui *ui, struct bundle_job *j)
{
	int has_base = 0;
	uint64_t base = 0, target = 0;
	char text[256], buf[32];
	struct airlock_err err;
	airlock_err_init(&err);
	if (airlock_signer_bundle_resolve(ui->sg, &j->req, &has_base, &base, &target, &err) !=
	    AIRLOCK_OK) {
		ui_error(ui, "Bundle", &err);
		return -1;
	}
	snprintf(buf, sizeof buf, has_base ? "%llu" : "full", (unsigned long long)base);
	snprintf(text, sizeof text, "Target: version %llu. Base (what the sites hold): %s.\n"
	    "Keep it, or type another version number or 'full':", (unsigned long long)target, buf);
	if (!ui_input(ui, "Bundle", text, buf, sizeof buf, 0))
		return -1;
	if (strcmp(buf, "full") == 0) {
		j->req.full = 1;
	} else if (airlock_parse_u64(buf, UINT64_MAX, &j->req.from) == 0) {
		j->req.has_from = !has_base || j->req.from != base;
	} else {
		ui_set_status(ui, 1, "'%s' is not a version number or 'full'", buf);
		return -1;
	}
	airlock_err_init(&err);
	if (airlock_signer_bundle_resolve(ui->sg, &j->req, &has_base, &base, &target, &err) !=
	    AIRLOCK_OK) {
		ui_error(ui, "Bundle", &err);
		return -1;
	}
	if (has_base)
		snprintf(j->output, sizeof j->output, "%s-%llu-%llu.airlock", j->feed,
		    (unsigned long long)base, (unsigned long long)target);
	else
		snprintf(j->output, sizeof j->output, "%s-full-%llu.airlock", j->feed,
		    (unsigned long long)target);
	return 0;
}

static int ask_output(struct ui *ui, struct bundle_job *j)
{
	char dir[AIRLOCK_SIGNER_PATH_MAX - 128] = "";
	char name[128];
	snprintf(name, sizeof name, "%.127s", j->output);
	if (!ui_input(ui, "Bundle", "Folder or medium to write the bundle to:", dir, sizeof dir, 0)
	    || dir[0] == '\0')
		return -1;
	if (!ui_input(ui, "Bundle", "File name:", name, sizeof name, 0) || name[0] == '\0')
		return -1;
	snprintf(j->output, sizeof j->output, "%s/%s", dir, name);
	return 0;
}

static int ask_pass(struct ui *ui, struct bundle_job *j)
{
	int enc = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	if (airlock_signer_key_state(ui->sg, &enc, &err) != 1) {
		if (err.msg[0] == '\0')
			airlock_fail(&err, AIRLOCK_E_FAILED, "there is no signing key");
		airlock_hint(&err, "run airlock-signer keygen");
		ui_error(ui, "Bundle", &err);
		return -1;
	}
	if (!enc)
		return 0;
	j->pass = ui_passphrase(ui, "Passphrase of the signing key:");
	return j->pass != NULL ? 0 : -1;
}

static void all_sites(struct ui *ui, struct view *v, struct bundle_job *j)
{
	const struct airlock_signer_site_list *l = &((struct sfeeds *)v->data)->st.sites;
	size_t o = 0;
	for (size_t i = 0; i < l->n && o + 2 < sizeof j->sitebuf; i++)
		o += (size_t)snprintf(j->sitebuf + o, sizeof j->sitebuf - o, "%s%s",
		    i ? "," : "", l->sites[i].name);
}

static enum reaction sfeeds_bundle(struct view *v, struct ui *ui)
{
	const char *feed = selected_feed(v);
	char what[512], q[AIRLOCK_SIGNER_PATH_MAX + 256];
	if (feed == NULL)
		return R_NONE;
	struct bundle_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return R_NONE;
	j->ui = ui;
	snprintf(j->feed, sizeof j->feed, "%s", feed);
	all_sites(ui, v, j);
	j->req.feed = j->feed;
	j->req.sites = j->sites;
	if (!ui_input(ui, "Bundle", "For which sites (names, comma-separated):", j->sitebuf,
	    sizeof j->sitebuf, 0) || (j->req.nsites = split_sites(j)) == 0 ||
	    ask_base(ui, j) != 0 || ask_output(ui, j) != 0) {
		bundle_free(j);
		return R_REDRAW;
	}
	j->req.output = j->output;
	snprintf(q, sizeof q, "Make the bundle of %s for %zu site(s) and write it to %s?",
	    j->feed, j->req.nsites, j->output);
	if (!ui_confirm(ui, "Bundle", q) || ask_pass(ui, j) != 0) {
		bundle_free(j);
		return R_REDRAW;
	}
	j->req.passphrase = j->pass;
	snprintf(what, sizeof what, "Bundle of %s to %.400s", j->feed, j->output);
	struct work_spec spec = { "Bundle", what, NULL, 0,
		"Cancel the bundle? Nothing is written or recorded.", bundle_done };
	ui_push(ui, work_start(ui, &spec, run_bundle, j, bundle_free));
	return R_REDRAW;
}

static const struct binding sfeeds_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Versions", "the feed's versions",
	  sfeeds_open, B_FOOTER },
	{ { 's', 0, 0 }, "s", "Snapshot", "take a snapshot of a folder as a new version",
	  sfeeds_snapshot, B_FOOTER },
	{ { 'b', 0, 0 }, "b", "Bundle", "make a bundle of the selected feed for chosen sites",
	  sfeeds_bundle, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops sfeeds_ops = {
	.title = "Feeds", .keys = sfeeds_keys, .load = sfeeds_load, .draw = sfeeds_draw,
	.release = sfeeds_release, .row_text = sfeeds_row_text, .draw_row = sfeeds_draw_row,
	.columns = " FEED                 LATEST  CREATED (UTC)        FILES  BYTES       KEPT",
};

struct view *sfeeds_view(struct ui *ui)
{
	struct sfeeds *f = calloc(1, sizeof *f);
	struct view *v = f != NULL ? view_new(&sfeeds_ops, f, 1) : NULL;
	if (v == NULL)
		free(f);
	return v;
}

/* ---- versions of a feed ------------------------------------------------------ */

struct sversions {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	struct airlock_signer_version *items;
	size_t n;
};

static enum airlock_code versions_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct sversions *s = v->data;
	struct airlock_signer_version *items = NULL;
	size_t n = 0;
	if (airlock_signer_versions(ui->sg, s->feed, &items, &n, err) != AIRLOCK_OK)
		return err->code;
	free(s->items);
	s->items = items;
	s->n = n;
	list_reset(v, n);
	v->list.sel = n > 0 ? n - 1 : 0;
	return AIRLOCK_OK;
}

static void versions_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	snprintf(out, outlen, "%llu", (unsigned long long)((struct sversions *)v->data)->items[i].version);
}

static void versions_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w,
    int sel)
{
	const struct airlock_signer_version *s = &((struct sversions *)v->data)->items[i];
	char when[32], bytes[32], tree[20];
	fmt_time(when, sizeof when, s->created);
	fmt_bytes(bytes, sizeof bytes, s->bytes);
	fmt_hex(tree, sizeof tree, s->tree, 4);
	putf(ui, y, x + 1, 8, rrole(sel, ROLE_NORMAL), "%7llu", (unsigned long long)s->version);
	put(ui, y, x + 10, 17, rrole(sel, ROLE_NORMAL), when);
	putf(ui, y, x + 28, 8, rrole(sel, ROLE_NORMAL), "%7llu", (unsigned long long)s->files);
	put(ui, y, x + 37, 11, rrole(sel, ROLE_NORMAL), bytes);
	put(ui, y, x + 49, 9, rrole(sel, ROLE_DIM), tree);
	put(ui, y, x + 59, w - 60, rrole(sel, s->retained ? ROLE_OK : ROLE_DIM),
	    s->retained ? "retained" : "pruned");
}

static void versions_release(struct view *v)
{
	free(((struct sversions *)v->data)->items);
	free(v->data);
}

static const struct binding versions_keys[] = { { { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 } };

static const struct view_ops versions_ops = {
	.title = "Versions", .keys = versions_keys, .load = versions_load,
	.release = versions_release, .row_text = versions_row_text,
	.draw_row = versions_draw_row,
	.columns = " VERSION  CREATED (UTC)        FILES  BYTES       TREE     STATE",
};

struct view *versions_view(struct ui *ui, const char *feed)
{
	struct sversions *s = calloc(1, sizeof *s);
	struct view *v = s != NULL ? view_new(&versions_ops, s, 1) : NULL;
	if (v == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->feed, sizeof s->feed, "%s", feed);
	return v;
}

/* ---- sites ---------------------------------------------------------------------- */

/* One row per site and feed held, so every holding is visible. */
struct site_row { size_t site; size_t holding; int has; };
struct ssites {
	struct airlock_signer_site_list l;
	int have;
	struct site_row *rows;
};

static enum airlock_code sites_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct ssites *s = v->data;
	struct airlock_signer_site_list l;
	size_t n = 0, k = 0;
	memset(&l, 0, sizeof l);
	if (airlock_signer_site_list(ui->sg, &l, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < l.n; i++)
		n += l.sites[i].nholdings > 0 ? l.sites[i].nholdings : 1;
	struct site_row *rows = calloc(n > 0 ? n : 1, sizeof *rows);
	if (rows == NULL) {
		airlock_signer_site_list_release(&l);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < l.n; i++) {
		for (size_t h = 0; h < l.sites[i].nholdings; h++)
			rows[k++] = (struct site_row){ i, h, 1 };
		if (l.sites[i].nholdings == 0)
			rows[k++] = (struct site_row){ i, 0, 0 };
	}
	if (s->have)
		airlock_signer_site_list_release(&s->l);
	free(s->rows);
	s->l = l;
	s->have = 1;
	s->rows = rows;
	list_reset(v, k);
	return AIRLOCK_OK;
}

static void sites_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	struct ssites *s = v->data;
	const struct airlock_signer_site *site = &s->l.sites[s->rows[i].site];
	snprintf(out, outlen, "%s %s", site->name,
	    s->rows[i].has ? site->holdings[s->rows[i].holding].feed : "");
}

static void sites_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	struct ssites *s = v->data;
	const struct airlock_signer_site *site = &s->l.sites[s->rows[i].site];
	put(ui, y, x + 1, 16, rrole(sel, ROLE_NORMAL), site->name);
	if (!s->rows[i].has) {
		put(ui, y, x + 18, w - 19, rrole(sel, ROLE_DIM), "(holds nothing yet)");
		return;
	}
	const struct airlock_signer_holding *h = &site->holdings[s->rows[i].holding];
	char since[32], tree[20];
	fmt_time(since, sizeof since, h->since);
	fmt_hex(tree, sizeof tree, h->tree, 4);
	put(ui, y, x + 18, 20, rrole(sel, ROLE_NORMAL), h->feed);
	putf(ui, y, x + 39, 8, rrole(sel, ROLE_NORMAL), "%7llu", (unsigned long long)h->version);
	put(ui, y, x + 48, 9, rrole(sel, ROLE_DIM), tree);
	put(ui, y, x + 58, 17, rrole(sel, ROLE_NORMAL), since);
	put(ui, y, x + 76, w - 77, rrole(sel, h->retained ? ROLE_OK : ROLE_WARN),
	    h->retained ? "" : "!");
}

static enum reaction sites_receipt(struct view *v, struct ui *ui)
{
	struct ssites *s = v->data;
	size_t i;
	char receipt[AIRLOCK_RECEIPT_MAX + 16] = "", prompt[160], name[AIRLOCK_FEED_NAME_MAX + 1];
	struct airlock_signer_holding held;
	struct airlock_err err;
	if (!list_selected(v, &i))
		return R_NONE;
	snprintf(name, sizeof name, "%s", s->l.sites[s->rows[i].site].name);
	snprintf(prompt, sizeof prompt, "Receipt from %s, as its console or importer printed it "
	    "(FEED@VERSION:PREFIX):", name);
	if (!ui_input(ui, "Record a receipt", prompt, receipt, sizeof receipt, 0) ||
	    receipt[0] == '\0')
		return R_REDRAW;
	airlock_err_init(&err);
	if (airlock_signer_site_set(ui->sg, name, receipt, &held, &err) != AIRLOCK_OK) {
		ui_error(ui, "Record a receipt", &err);
		return R_REDRAW;
	}
	ui_set_status(ui, 0, "%s now holds %s version %llu", name, held.feed,
	    (unsigned long long)held.version);
	return R_RELOAD;
}

static void sites_release(struct view *v)
{
	struct ssites *s = v->data;
	if (s->have)
		airlock_signer_site_list_release(&s->l);
	free(s->rows);
	free(s);
}

static const struct binding sites_keys[] = {
	{ { 'r', 0, 0 }, "r", "Receipt", "record a receipt the selected site carried back",
	  sites_receipt, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops sites_ops = {
	.title = "Sites", .keys = sites_keys, .load = sites_load, .release = sites_release,
	.row_text = sites_row_text, .draw_row = sites_draw_row,
	.columns = " SITE             FEED                  VERSION  TREE     SINCE (UTC)",
};

struct view *sites_view(struct ui *ui)
{
	struct ssites *s = calloc(1, sizeof *s);
	struct view *v = s != NULL ? view_new(&sites_ops, s, 1) : NULL;
	if (v == NULL)
		free(s);
	return v;
}

/* ---- log ------------------------------------------------------------------------- */

struct slog { struct airlock_signer_bundle_info *items; size_t n; };

static enum airlock_code slog_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct slog *s = v->data;
	struct airlock_signer_bundle_info *items = NULL;
	size_t n = 0;
	if (airlock_signer_log(ui->sg, NULL, &items, &n, err) != AIRLOCK_OK)
		return err->code;
	airlock_signer_log_free(s->items, s->n);
	s->items = items;
	s->n = n;
	list_reset(v, n);
	v->list.sel = n > 0 ? n - 1 : 0;
	return AIRLOCK_OK;
}

static void slog_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_signer_bundle_info *b = &((struct slog *)v->data)->items[i];
	snprintf(out, outlen, "%s %s %s", b->feed, b->sites, b->path);
}

static void slog_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_signer_bundle_info *b = &((struct slog *)v->data)->items[i];
	char when[32], size[32], vers[48];
	fmt_time(when, sizeof when, b->created);
	fmt_bytes(size, sizeof size, b->size);
	if (b->has_base)
		snprintf(vers, sizeof vers, "%llu->%llu", (unsigned long long)b->base,
		    (unsigned long long)b->target);
	else
		snprintf(vers, sizeof vers, "full->%llu", (unsigned long long)b->target);
	put(ui, y, x + 1, 17, rrole(sel, ROLE_NORMAL), when);
	put(ui, y, x + 19, 14, rrole(sel, ROLE_NORMAL), b->feed);
	putf(ui, y, x + 34, 4, rrole(sel, ROLE_DIM), "%4llu", (unsigned long long)b->sequence);
	put(ui, y, x + 39, 12, rrole(sel, ROLE_NORMAL), vers);
	put(ui, y, x + 52, 10, rrole(sel, ROLE_NORMAL), size);
	put(ui, y, x + 63, w - 64, rrole(sel, ROLE_NORMAL), b->sites);
}

static enum reaction slog_show(struct view *v, struct ui *ui)
{
	size_t i;
	char text[AIRLOCK_SIGNER_PATH_MAX + 512], c[32], e[32];
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_signer_bundle_info *b = &((struct slog *)v->data)->items[i];
	fmt_time(c, sizeof c, b->created);
	fmt_time(e, sizeof e, b->expires);
	snprintf(text, sizeof text, "Bundle %s\nFeed %s, sequence %llu, version %llu (base %s%llu)"
	    "\nSites: %s\nCreated %s UTC, expires %s UTC\nFile: %s", b->id, b->feed,
	    (unsigned long long)b->sequence, (unsigned long long)b->target,
	    b->has_base ? "" : "none, full ", (unsigned long long)b->base, b->sites, c, e, b->path);
	ui_message(ui, "Bundle issued", text);
	return R_REDRAW;
}

static void slog_release(struct view *v)
{
	struct slog *s = v->data;
	airlock_signer_log_free(s->items, s->n);
	free(s);
}

static const struct binding slog_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Show", "the bundle's details", slog_show,
	  B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops slog_ops = {
	.title = "Log", .keys = slog_keys, .load = slog_load, .release = slog_release,
	.row_text = slog_row_text, .draw_row = slog_draw_row,
	.columns = " CREATED (UTC)     FEED            SEQ VERSIONS     SIZE       SITES",
};

struct view *slog_view(struct ui *ui)
{
	struct slog *s = calloc(1, sizeof *s);
	struct view *v = s != NULL ? view_new(&slog_ops, s, 1) : NULL;
	if (v == NULL)
		free(s);
	return v;
}
