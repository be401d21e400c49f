/* work.c - the progress screen of one long core call: its stages, a bar,
 * counts, rate and time left while it runs; then what happened. Leaving
 * while it runs is only possible through a cancel the core honours at a
 * safe point. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct work {
	struct work_spec spec;
	char title[64];
	char what[512];
	struct job job;
	void *arg;
	void (*free_arg)(void *);
	int done;
	int cancelling;
	struct job_view last;
	char rtitle[96];
	char rtext[2048];
	int good;
};

static const struct view_ops work_busy_ops, work_done_ops;

static int is_bytes_stage(const char *stage)
{
	/* The core reports these in bytes (airlock/importer.h, signer.h);
	 * other stages count entries. */
	static const char *const bytes[] = { "hash", "read", "write", "copy", "encrypt",
		"compress", "scan" };
	for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++)
		if (strcmp(stage, bytes[i]) == 0)
			return 1;
	return 0;
}

static void fmt_count(char *out, size_t outlen, const char *stage, uint64_t n)
{
	if (is_bytes_stage(stage))
		fmt_bytes(out, outlen, n);
	else
		snprintf(out, outlen, "%llu", (unsigned long long)n);
}

static int stage_index(const struct job_view *jv, const char *name)
{
	for (int i = 0; i < jv->nstages_seen; i++)
		if (strcmp(jv->stages_seen[i], name) == 0)
			return i;
	return -1;
}

static int draw_stages(struct work *w, struct ui *ui, struct rect r, int y)
{
	const struct job_view *jv = &w->last;
	int cur = stage_index(jv, jv->stage);
	for (size_t i = 0; i < w->spec.nstages && y < r.y + r.h; i++, y++) {
		const char *s = w->spec.stages[i];
		int seen = stage_index(jv, s);
		int active = !w->done && strcmp(s, jv->stage) == 0;
		int passed = seen >= 0 && (seen < cur || (w->done && w->good));
		put(ui, y, r.x + 3, 2, passed ? ROLE_OK : ROLE_HEAD,
		    passed ? ui->g.mark : active ? ui->g.arrow : " ");
		put(ui, y, r.x + 5, 12, active ? ROLE_HEAD : passed ? ROLE_NORMAL : ROLE_DIM, s);
	}
	return y;
}

static void draw_progress(struct work *w, struct ui *ui, struct rect r, int y)
{
	const struct job_view *jv = &w->last;
	char a[32], b[32], rate[32] = "", left[32] = "-", el[32];
	int bw = r.w - 12;
	putf(ui, y, r.x + 1, 12, ROLE_HEAD, "%-11s", jv->stage[0] ? jv->stage : "starting");
	draw_bar(ui, y, r.x + 13, bw - 8, jv->done, jv->total);
	if (jv->total > 0)
		putf(ui, y, r.x + 13 + bw - 6, 6, ROLE_NORMAL, "%3d%%",
		    (int)((double)(jv->done > jv->total ? jv->total : jv->done) * 100.0 /
		    (double)jv->total));
	fmt_count(a, sizeof a, jv->stage, jv->done);
	fmt_count(b, sizeof b, jv->stage, jv->total);
	if (jv->stage_elapsed > 0.2 && jv->done > 0) {
		double per = (double)jv->done / jv->stage_elapsed;
		fmt_count(rate, sizeof rate, jv->stage, (uint64_t)per);
		if (jv->total > jv->done)
			fmt_duration(left, sizeof left, (double)(jv->total - jv->done) / per);
	}
	fmt_duration(el, sizeof el, jv->elapsed);
	putf(ui, y + 2, r.x + 1, r.w - 2, ROLE_NORMAL, "%s of %s   %s%s   elapsed %s   left %s",
	    a, b, rate, rate[0] ? "/s" : "", el, left);
	if (w->cancelling)
		put(ui, y + 4, r.x + 1, r.w - 2, ROLE_WARN,
		    "Cancelling: the work stops at its next safe point; nothing is changed.");
}

static void work_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct work *w = v->data;
	put(ui, r.y + 1, r.x + 1, r.w - 2, ROLE_HEAD, w->what);
	int y = draw_stages(w, ui, r, r.y + 3);
	if (!w->done) {
		draw_progress(w, ui, r, y + 1);
		return;
	}
	put(ui, y + 1, r.x + 1, r.w - 2, w->good ? ROLE_OK : ROLE_BAD, w->rtitle);
	/* The result may be several lines (a receipt to carry back). */
	const char *p = w->rtext;
	for (int row = y + 3; *p != '\0' && row < r.y + r.h; row++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), p);
		put(ui, row, r.x + 1, r.w - 2, ROLE_NORMAL, line);
		p += len + (nl ? 1 : 0);
	}
}

static enum reaction work_tick(struct view *v, struct ui *ui)
{
	struct work *w = v->data;
	if (w->done)
		return R_NONE;
	job_snapshot(&w->job, &w->last);
	if (!w->last.finished)
		return R_REDRAW;
	struct airlock_err err;
	airlock_err_init(&err);
	enum airlock_code rc = job_join(&w->job, &err);
	w->done = 1;
	v->ops = &work_done_ops;
	w->spec.on_done(w->arg, ui, rc, &err, w->rtitle, sizeof w->rtitle, w->rtext,
	    sizeof w->rtext, &w->good);
	ui_set_status(ui, !w->good, "%s", w->rtitle);
	return R_REDRAW;
}

static enum reaction work_key(struct view *v, struct ui *ui, int key)
{
	struct work *w = v->data;
	if (w->done)
		return R_UNHANDLED;
	if (key == 'c' || key == 'q' || key == K_ESC || key == CTRL('c') || key == CTRL('z') ||
	    key == CTRL('\\')) {
		if (!w->cancelling && ui_confirm(ui, "Cancel", w->spec.cancel_text)) {
			w->cancelling = 1;
			job_cancel(&w->job);
		}
		return R_REDRAW;
	}
	return R_NONE;
}

static enum reaction work_close(struct view *v, struct ui *ui)
{
	return ((struct work *)v->data)->done ? R_BACK : R_NONE;
}

static void work_release(struct view *v)
{
	struct work *w = v->data;
	job_destroy(&w->job);     /* cancels and waits if still running */
	if (w->free_arg != NULL)
		w->free_arg(w->arg);
	free(w);
}

static const struct binding busy_keys[] = {
	{ { 'c', 0, 0 }, "c", "Cancel", "stop safely at the next safe point; nothing changes",
	  NULL, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct binding done_keys[] = {
	{ { '\r', '\n', KEYFN(KEY_ENTER) }, "Enter", "Close", "back to the previous screen",
	  work_close, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct view_ops work_busy_ops = {
	.title = "Working", .keys = busy_keys, .draw = work_draw, .key = work_key,
	.tick = work_tick, .release = work_release, .busy = 1,
};

static const struct view_ops work_done_ops = {
	.title = "Result", .keys = done_keys, .draw = work_draw, .key = work_key,
	.tick = work_tick, .release = work_release,
};

struct view *work_start(struct ui *ui, const struct work_spec *spec,
    enum airlock_code (*run)(void *, const struct airlock_progress *, struct airlock_err *),
    void *arg, void (*free_arg)(void *))
{
	struct work *w = calloc(1, sizeof *w);
	struct view *v = w != NULL ? view_new(&work_busy_ops, w, 0) : NULL;
	if (v == NULL) {
		free(w);
		if (free_arg != NULL)
			free_arg(arg);
		ui_set_status(ui, 1, "out of memory");
		return NULL;
	}
	w->spec = *spec;
	snprintf(w->what, sizeof w->what, "%s", spec->what);
	w->arg = arg;
	w->free_arg = free_arg;
	job_init(&w->job, run, arg);
	if (job_start(&w->job) != 0) {
		struct airlock_err err;
		airlock_err_init(&err);
		airlock_fail(&err, AIRLOCK_E_FAILED, "cannot start a worker thread");
		w->done = 1;
		v->ops = &work_done_ops;
		spec->on_done(arg, ui, err.code, &err, w->rtitle, sizeof w->rtitle, w->rtext,
		    sizeof w->rtext, &w->good);
	}
	return v;
}
