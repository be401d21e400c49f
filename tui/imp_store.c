/* imp_store.c - the high side's store screens: feeds and their history
 * (with rollback), trusted signer keys, quarantine and the audit log. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/importer.h"
#include "airlock/minisign.h"
#include "tui.h"

/* A list view over one malloc'd array the core returned. */
struct arr {
	void *items;
	size_t n;
	char feed[AIRLOCK_FEED_NAME_MAX + 1];   /* history: which feed */
	char chain[600];                        /* audit: the chain's verdict */
	int chain_ok;
};

static void arr_release(struct view *v)
{
	struct arr *a = v->data;
	free(a->items);
	free(a);
}

static struct view *arr_view(const struct view_ops *ops, const char *feed)
{
	struct arr *a = calloc(1, sizeof *a);
	struct view *v = a != NULL ? view_new(ops, a, 1) : NULL;
	if (v == NULL) {
		free(a);
		return NULL;
	}
	if (feed != NULL)
		snprintf(a->feed, sizeof a->feed, "%s", feed);
	return v;
}

/* Loads into a->items; the previous array is freed only on success. */
#define ARR_LOAD(v, call, type) do {                                  \
	struct arr *a_ = (v)->data;                                   \
	type *items_ = NULL;                                          \
	size_t n_ = 0;                                                \
	enum airlock_code rc_ = (call);                               \
	if (rc_ != AIRLOCK_OK)                                        \
		return rc_;                                           \
	free(a_->items);                                              \
	a_->items = items_;                                           \
	a_->n = n_;                                                   \
	list_reset((v), n_);                                          \
} while (0)

static enum role row_role(int sel, enum role r)
{
	return sel ? ROLE_SEL : r;
}

/* ---- feeds ------------------------------------------------------------- */

static enum airlock_code feeds_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	ARR_LOAD(v, airlock_importer_status(ui->im, &items_, &n_, err), struct airlock_feed_status);
	return AIRLOCK_OK;
}

static void feeds_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_feed_status *f = (const struct airlock_feed_status *)
	    ((struct arr *)v->data)->items + i;
	snprintf(out, outlen, "%s %s %llu", f->feed, f->signer_name, (unsigned long long)f->version);
}

static void feeds_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_feed_status *f = (const struct airlock_feed_status *)
	    ((struct arr *)v->data)->items + i;
	char when[32], age[16];
	/* Age of the data: since the signer made the bundle. */
	int64_t t = f->created > 0 ? f->created : f->imported;
	int64_t secs = (int64_t)time(NULL) - t;
	int stale = secs > ui->stale_after;
	fmt_time(when, sizeof when, f->imported);
	fmt_age(age, sizeof age, secs);
	put(ui, y, x + 1, 20, row_role(sel, ROLE_NORMAL), f->feed);
	putf(ui, y, x + 22, 8, row_role(sel, ROLE_NORMAL), "%8llu", (unsigned long long)f->version);
	put(ui, y, x + 32, 16, row_role(sel, ROLE_NORMAL), f->signer_name);
	put(ui, y, x + 49, 17, row_role(sel, ROLE_NORMAL), when);
	putf(ui, y, x + 67, w - 68, row_role(sel, stale ? ROLE_BAD : ROLE_OK), "%5s%s", age,
	    stale ? " STALE" : "");
}

struct view *history_view(struct ui *ui, const char *feed);

static enum reaction feeds_open(struct view *v, struct ui *ui)
{
	size_t i;
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_feed_status *f = (const struct airlock_feed_status *)
	    ((struct arr *)v->data)->items + i;
	ui_push(ui, history_view(ui, f->feed));
	return R_REDRAW;
}

static enum reaction feeds_receipt(struct view *v, struct ui *ui)
{
	size_t i;
	char text[256];
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_feed_status *f = (const struct airlock_feed_status *)
	    ((struct arr *)v->data)->items + i;
	snprintf(text, sizeof text, "Receipt of %s to carry back to the signer:\n\n    %s",
	    f->feed, f->receipt);
	ui_message(ui, "Receipt", text);
	return R_REDRAW;
}

static const struct binding feeds_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "History",
	  "the feed's versions; roll back from there", feeds_open, B_FOOTER },
	{ { 'c', 0, 0 }, "c", "Receipt", "show the receipt to carry back to the signer",
	  feeds_receipt, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops feeds_ops = {
	.title = "Feeds", .keys = feeds_keys, .load = feeds_load, .release = arr_release,
	.row_text = feeds_row_text, .draw_row = feeds_draw_row,
	.columns = " FEED                  VERSION  SIGNER           IMPORTED (UTC)      AGE",
};

struct view *feeds_view(struct ui *ui)
{
	return arr_view(&feeds_ops, NULL);
}

/* ---- history and rollback ------------------------------------------------ */

static enum airlock_code history_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct arr *a = v->data;
	ARR_LOAD(v, airlock_importer_history(ui->im, a->feed, &items_, &n_, err),
	    struct airlock_version_info);
	return AIRLOCK_OK;
}

static const struct airlock_version_info *hist_item(struct view *v, size_t i)
{
	return (const struct airlock_version_info *)((struct arr *)v->data)->items + i;
}

static void history_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_version_info *h = hist_item(v, i);
	snprintf(out, outlen, "%llu %s", (unsigned long long)h->version, h->signer_name);
}

static void history_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w,
    int sel)
{
	const struct airlock_version_info *h = hist_item(v, i);
	const struct airlock_version_info *older = i + 1 < ((struct arr *)v->data)->n ?
	    hist_item(v, i + 1) : NULL;
	char when[32], bytes[32], delta[48] = "first";
	fmt_time(when, sizeof when, h->imported);
	fmt_bytes(bytes, sizeof bytes, h->bytes);
	if (h->has_changes)
		snprintf(delta, sizeof delta, "+%llu ~%llu -%llu", (unsigned long long)h->added,
		    (unsigned long long)h->changed, (unsigned long long)h->removed);
	else if (older != NULL)
		snprintf(delta, sizeof delta, "%+lld files",
		    (long long)h->files - (long long)older->files);
	putf(ui, y, x + 1, 8, row_role(sel, ROLE_NORMAL), "%7llu", (unsigned long long)h->version);
	putf(ui, y, x + 10, 8, row_role(sel, ROLE_NORMAL), "%7llu", (unsigned long long)h->files);
	put(ui, y, x + 19, 11, row_role(sel, ROLE_NORMAL), bytes);
	put(ui, y, x + 31, 12, row_role(sel, ROLE_DIM), delta);
	put(ui, y, x + 44, 17, row_role(sel, ROLE_NORMAL), when);
	put(ui, y, x + 62, w - 63, row_role(sel, h->published ? ROLE_OK : h->retained ?
	    ROLE_NORMAL : ROLE_DIM), h->published ? "published" : h->retained ? "retained" :
	    "pruned");
}

static enum reaction history_rollback(struct view *v, struct ui *ui)
{
	struct arr *a = v->data;
	size_t i;
	char text[512];
	struct airlock_err err;
	uint64_t now = 0;
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_version_info *h = hist_item(v, i);
	if (h->published || !h->retained) {
		ui_set_status(ui, 1, "version %llu is %s: choose a retained older version",
		    (unsigned long long)h->version, h->published ? "already published" :
		    "pruned (no longer on disk)");
		return R_REDRAW;
	}
	snprintf(text, sizeof text, "Publish version %llu of %s again instead of the current "
	    "one? Later bundles must still be newer than the highest version accepted.\n\n"
	    "Type the feed's name (%s) to confirm:", (unsigned long long)h->version, a->feed,
	    a->feed);
	if (!ui_confirm_typed(ui, "Rollback", text, a->feed))
		return R_REDRAW;
	airlock_err_init(&err);
	if (airlock_importer_rollback(ui->im, a->feed, h->version, &now, &err) != AIRLOCK_OK) {
		ui_error(ui, "Rollback", &err);
		return R_RELOAD;
	}
	ui_set_status(ui, 0, "%s rolled back: version %llu is published", a->feed,
	    (unsigned long long)now);
	return R_RELOAD;
}

static const struct binding history_keys[] = {
	{ { 'b', 0, 0 }, "b", "Rollback", "publish the selected retained version again "
	  "(type the feed's name to confirm)", history_rollback, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops history_ops = {
	.title = "History", .keys = history_keys, .load = history_load, .release = arr_release,
	.row_text = history_row_text, .draw_row = history_draw_row,
	.columns = " VERSION    FILES  BYTES       CHANGE       IMPORTED (UTC)    STATE",
};

struct view *history_view(struct ui *ui, const char *feed)
{
	return arr_view(&history_ops, feed);
}

/* ---- trust ------------------------------------------------------------------ */

static enum airlock_code trust_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	ARR_LOAD(v, airlock_importer_trust_list(ui->im, &items_, &n_, err),
	    struct airlock_trust_entry);
	return AIRLOCK_OK;
}

static const struct airlock_trust_entry *trust_item(struct view *v, size_t i)
{
	return (const struct airlock_trust_entry *)((struct arr *)v->data)->items + i;
}

static void trust_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_trust_entry *t = trust_item(v, i);
	snprintf(out, outlen, "%s %s %s", t->name, t->key_id, t->feeds);
}

static void trust_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_trust_entry *t = trust_item(v, i);
	put(ui, y, x + 1, 16, row_role(sel, ROLE_NORMAL), t->name);
	put(ui, y, x + 18, 17, row_role(sel, ROLE_NORMAL), t->key_id);
	put(ui, y, x + 36, 9, row_role(sel, t->revoked ? ROLE_BAD : ROLE_OK),
	    t->revoked ? "revoked" : "trusted");
	put(ui, y, x + 46, w - 47, row_role(sel, ROLE_NORMAL), t->feeds);
}

static enum reaction trust_show(struct view *v, struct ui *ui)
{
	size_t i;
	char text[1024], added[32], rev[32];
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_trust_entry *t = trust_item(v, i);
	fmt_time(added, sizeof added, t->added);
	fmt_time(rev, sizeof rev, t->revoked_at);
	snprintf(text, sizeof text, "Name: %s\nKey id: %s\nPublic key: %s\nFeeds: %.400s\n"
	    "Added: %s UTC\nState: %s%s%s", t->name, t->key_id, t->pubkey, t->feeds, added,
	    t->revoked ? "revoked " : "trusted", t->revoked ? rev : "", t->revoked ? " UTC" : "");
	ui_message(ui, "Signer key", text);
	return R_REDRAW;
}

/* Shows the key's fingerprint from the file before anything is trusted,
 * so the operator can compare it by hand with what the publisher gave. */
static enum reaction trust_add(struct view *v, struct ui *ui)
{
	char path[1024] = "", name[AIRLOCK_NAME_MAX + 1] = "", feeds[512] = "*";
	char id[AIRLOCK_MINISIGN_KEYID_HEX], b64[57], text[1024];
	struct airlock_minisign_pub pub;
	struct airlock_err err;
	airlock_err_init(&err);
	if (!ui_input(ui, "Add a signer key", "Path of the minisign public key file (on the "
	    "medium):", path, sizeof path, 0) || path[0] == '\0')
		return R_REDRAW;
	if (airlock_minisign_pub_read_file(&pub, path, &err) != AIRLOCK_OK) {
		ui_error(ui, "Add a signer key", &err);
		return R_REDRAW;
	}
	airlock_minisign_key_id_format(id, pub.key_id);
	airlock_minisign_pub_base64(b64, &pub);
	snprintf(text, sizeof text, "Compare with the fingerprint the publisher gave you, by "
	    "hand, every character:\n\nKey id:     %s\nPublic key: %s\n\nIs it the same key?",
	    id, b64);
	if (!ui_confirm(ui, "Fingerprint", text))
		return R_REDRAW;
	if (!ui_input(ui, "Add a signer key", "Name for this signer:", name, sizeof name, 0) ||
	    !ui_input(ui, "Add a signer key", "Feeds it may publish (patterns, comma-separated):",
	    feeds, sizeof feeds, 0))
		return R_REDRAW;
	snprintf(text, sizeof text, "Trust key %s as '%s' for feeds '%s'?", id, name, feeds);
	if (!ui_confirm(ui, "Add a signer key", text))
		return R_REDRAW;
	if (airlock_importer_trust_add(ui->im, name, path, feeds, &err) != AIRLOCK_OK) {
		ui_error(ui, "Add a signer key", &err);
		return R_REDRAW;
	}
	ui_set_status(ui, 0, "trusted %s (key %s)", name, id);
	return R_RELOAD;
}

static enum reaction trust_revoke(struct view *v, struct ui *ui)
{
	size_t i;
	char text[512];
	struct airlock_err err;
	airlock_err_init(&err);
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_trust_entry *t = trust_item(v, i);
	if (t->revoked) {
		ui_set_status(ui, 1, "%s is already revoked", t->name);
		return R_REDRAW;
	}
	snprintf(text, sizeof text, "Revoke %s (key %s) for good? Every bundle it signed will be "
	    "refused, whenever it was made. This cannot be undone.", t->name, t->key_id);
	if (!ui_confirm(ui, "Revoke", text))
		return R_REDRAW;
	char name[AIRLOCK_NAME_MAX + 1];
	snprintf(name, sizeof name, "%s", t->name);
	if (airlock_importer_trust_revoke(ui->im, name, &err) != AIRLOCK_OK) {
		ui_error(ui, "Revoke", &err);
		return R_RELOAD;
	}
	ui_set_status(ui, 0, "revoked %s", name);
	return R_RELOAD;
}

static const struct binding trust_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Show", "the key's full fingerprint",
	  trust_show, B_FOOTER },
	{ { 'a', 0, 0 }, "a", "Add", "trust a key from a file (shows its fingerprint first)",
	  trust_add, B_FOOTER },
	{ { 'x', 0, 0 }, "x", "Revoke", "revoke the selected key (asks first)", trust_revoke,
	  B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops trust_ops = {
	.title = "Trust", .keys = trust_keys, .load = trust_load, .release = arr_release,
	.row_text = trust_row_text, .draw_row = trust_draw_row,
	.columns = " NAME             KEY ID            STATE     FEEDS",
};

struct view *trust_view(struct ui *ui)
{
	return arr_view(&trust_ops, NULL);
}

/* ---- quarantine ----------------------------------------------------------------- */

static enum airlock_code quar_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	ARR_LOAD(v, airlock_importer_quarantine_list(ui->im, &items_, &n_, err),
	    struct airlock_quarantine_item);
	return AIRLOCK_OK;
}

static const struct airlock_quarantine_item *quar_item(struct view *v, size_t i)
{
	return (const struct airlock_quarantine_item *)((struct arr *)v->data)->items + i;
}

static void quar_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_quarantine_item *q = quar_item(v, i);
	snprintf(out, outlen, "%s %s %s %s", q->feed, q->code, q->reason, q->source);
}

static void quar_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_quarantine_item *q = quar_item(v, i);
	char when[32];
	fmt_time(when, sizeof when, q->when);
	put(ui, y, x + 1, 16, row_role(sel, ROLE_NORMAL), when);
	put(ui, y, x + 18, 14, row_role(sel, ROLE_NORMAL), q->feed[0] ? q->feed : "?");
	put(ui, y, x + 33, 8, row_role(sel, ROLE_BAD), q->code);
	put(ui, y, x + 42, w - 43, row_role(sel, ROLE_NORMAL), q->reason);
}

static enum reaction quar_show(struct view *v, struct ui *ui)
{
	size_t i;
	char text[2200], when[32];
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_quarantine_item *q = quar_item(v, i);
	fmt_time(when, sizeof when, q->when);
	snprintf(text, sizeof text, "When: %s UTC\nFrom: %s\nKept as: %s\nFeed: %s\n"
	    "Bundle id: %s\nSigner key: %s\nRefused (%s): %s", when, q->source,
	    q->file[0] ? q->file : "(no copy)", q->feed[0] ? q->feed : "(not read)",
	    q->bundle_id[0] ? q->bundle_id : "(not read)", q->signer_key_id, q->code, q->reason);
	ui_message(ui, "Quarantined bundle", text);
	return R_REDRAW;
}

static const struct binding quar_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Show", "everything known about the bundle",
	  quar_show, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops quar_ops = {
	.title = "Quarantine", .keys = quar_keys, .load = quar_load, .release = arr_release,
	.row_text = quar_row_text, .draw_row = quar_draw_row,
	.columns = " WHEN (UTC)       FEED           CODE     REASON",
};

struct view *quarantine_view(struct ui *ui)
{
	return arr_view(&quar_ops, NULL);
}

/* ---- audit --------------------------------------------------------------------- */

static enum airlock_code audit_load(struct view *v, struct ui *ui, struct airlock_err *err)
{
	struct arr *a = v->data;
	struct airlock_err cerr;
	uint64_t rows = 0;
	ARR_LOAD(v, airlock_importer_audit_list(ui->im, &items_, &n_, err),
	    struct airlock_audit_row);
	airlock_err_init(&cerr);
	a->chain_ok = airlock_importer_audit_verify(ui->im, &rows, &cerr) == AIRLOCK_OK;
	if (a->chain_ok)
		snprintf(a->chain, sizeof a->chain, "hash chain verified: %llu rows",
		    (unsigned long long)rows);
	else
		snprintf(a->chain, sizeof a->chain, "HASH CHAIN BROKEN: %s", cerr.msg);
	/* Newest events are what an operator looks for first. */
	v->list.sel = v->list.nshown > 0 ? v->list.nshown - 1 : 0;
	return AIRLOCK_OK;
}

static const struct airlock_audit_row *audit_item(struct view *v, size_t i)
{
	return (const struct airlock_audit_row *)((struct arr *)v->data)->items + i;
}

static void audit_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	const struct airlock_audit_row *r = audit_item(v, i);
	snprintf(out, outlen, "%s %s %s %s %s", r->event, r->feed, r->result, r->user, r->detail);
}

static void audit_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	const struct airlock_audit_row *r = audit_item(v, i);
	char when[32], vers[52] = "";
	fmt_time(when, sizeof when, r->when);
	if (r->to_version[0] != '\0')
		snprintf(vers, sizeof vers, "%s->%s", r->from_version[0] ? r->from_version : "new",
		    r->to_version);
	putf(ui, y, x + 1, 5, row_role(sel, ROLE_DIM), "%4llu", (unsigned long long)r->seq);
	put(ui, y, x + 6, 16, row_role(sel, ROLE_NORMAL), when);
	put(ui, y, x + 23, 12, row_role(sel, ROLE_NORMAL), r->event);
	put(ui, y, x + 36, 12, row_role(sel, ROLE_NORMAL), r->feed);
	put(ui, y, x + 49, 9, row_role(sel, ROLE_NORMAL), vers);
	put(ui, y, x + 59, 8, row_role(sel, strcmp(r->result, "ok") == 0 ? ROLE_OK : ROLE_BAD),
	    r->result);
	put(ui, y, x + 68, w - 69, row_role(sel, ROLE_DIM), r->detail);
}

static void audit_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct arr *a = v->data;
	put(ui, r.y, r.x + 1, r.w - 2, a->chain_ok ? ROLE_OK : ROLE_BAD, a->chain);
	list_draw(v, ui, (struct rect){ r.y + 1, r.x, r.h - 1, r.w });
}

static enum reaction audit_show(struct view *v, struct ui *ui)
{
	size_t i;
	char text[1400], when[32], hash[20];
	if (!list_selected(v, &i))
		return R_NONE;
	const struct airlock_audit_row *r = audit_item(v, i);
	fmt_time(when, sizeof when, r->when);
	fmt_hex(hash, sizeof hash, r->hash, 8);
	snprintf(text, sizeof text, "#%llu  %s UTC  by %s\nEvent: %s  result: %s\nFeed: %s  "
	    "versions: %s -> %s\nBundle: %s\nKey: %s\n%s\nChain hash: %s...",
	    (unsigned long long)r->seq, when, r->user, r->event, r->result, r->feed,
	    r->from_version, r->to_version, r->bundle_id, r->key_id, r->detail, hash);
	ui_message(ui, "Audit event", text);
	return R_REDRAW;
}

static const struct binding audit_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Show", "the whole event", audit_show,
	  B_FOOTER },
	{ { 'r', 0, 0 }, "r", "Recheck", "read the log and verify its hash chain again", NULL, 0 },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static enum reaction audit_key(struct view *v, struct ui *ui, int key)
{
	return key == 'r' ? R_RELOAD : R_UNHANDLED;
}

static const struct view_ops audit_ops = {
	.title = "Audit", .keys = audit_keys, .load = audit_load, .draw = audit_draw,
	.key = audit_key, .release = arr_release, .row_text = audit_row_text,
	.draw_row = audit_draw_row,
	.columns = " SEQ WHEN (UTC)       EVENT        FEED         VERSIONS  RESULT   DETAIL",
};

struct view *audit_view(struct ui *ui)
{
	return arr_view(&audit_ops, NULL);
}
