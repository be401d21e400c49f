/* loop.c - the one loop: view stack, key dispatch through binding tables
 * (which also make the footer and the help screen), resizing, filtering,
 * modal dialogs, and the kiosk rules for quitting. */
#include <curses.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "airlock/passphrase.h"
#include "tui.h"

#define MIN_COLS 80
#define MIN_LINES 24
#define KEY_NONE (-1)
#define KEY_RESIZED (-2)

static const struct binding global_keys[] = {
	{ { '?', KEYFN(KEY_F(1)), 0 }, "?", "Help", "show every key of this screen", NULL, B_FOOTER },
	{ { 'q', K_ESC, 0 }, "q", "Back", "go back; on a first screen, quit", NULL, B_FOOTER },
	{ { '\t', 0, 0 }, "Tab", "Next", "next screen (also the digit keys in the top bar)", NULL, 0 },
	{ { CTRL('l'), 0, 0 }, "^L", "Redraw", "redraw the screen", NULL, 0 },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static const struct binding list_keys[] = {
	{ { KEYFN(KEY_UP), 'k', 0 }, "Up/k", "Up", "move up", NULL, 0 },
	{ { KEYFN(KEY_DOWN), 'j', 0 }, "Down/j", "Down", "move down", NULL, 0 },
	{ { KEYFN(KEY_PPAGE), 0, 0 }, "PgUp", "Page up", "scroll one page up", NULL, 0 },
	{ { KEYFN(KEY_NPAGE), 0, 0 }, "PgDn", "Page down", "scroll one page down", NULL, 0 },
	{ { KEYFN(KEY_HOME), 'g', 0 }, "Home/g", "First", "first row", NULL, 0 },
	{ { KEYFN(KEY_END), 'G', 0 }, "End/G", "Last", "last row", NULL, 0 },
	{ { '/', 0, 0 }, "/", "Filter", "show only rows containing a text (Esc clears)", NULL, B_FOOTER },
	{ { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 },
};

static struct view *top(struct ui *ui)
{
	return ui->depth > 0 ? ui->stack[ui->depth - 1] : NULL;
}

struct view *view_new(const struct view_ops *ops, void *data, int has_list)
{
	struct view *v = calloc(1, sizeof *v);
	if (v == NULL)
		return NULL;
	v->ops = ops;
	v->data = data;
	v->has_list = has_list;
	return v;
}

static void view_free(struct view *v)
{
	if (v == NULL)
		return;
	if (v->ops->release != NULL)
		v->ops->release(v);
	list_free(&v->list);
	free(v);
}

void ui_set_status(struct ui *ui, int bad, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof ui->status, fmt, ap);
	va_end(ap);
	ui->status_bad = bad;
}

static int load(struct ui *ui, struct view *v)
{
	struct airlock_err err;
	airlock_err_init(&err);
	v->loaded = 1;
	if (v->ops->load == NULL || v->ops->load(v, ui, &err) == AIRLOCK_OK)
		return 0;
	ui_error(ui, v->ops->title, &err);
	return -1;
}

void ui_push(struct ui *ui, struct view *v)
{
	if (v == NULL) {
		ui_set_status(ui, 1, "out of memory");
		return;
	}
	if (ui->depth == UI_STACK_MAX) {
		view_free(v);
		return;
	}
	ui->stack[ui->depth++] = v;
	/* A screen that cannot load is not shown half-filled; a first
	 * screen stays, empty, with the error in the status line. */
	if (load(ui, v) != 0 && ui->depth > 1) {
		ui->depth--;
		view_free(v);
	}
}

static void pop(struct ui *ui)
{
	if (ui->depth <= 1)
		return;
	view_free(ui->stack[--ui->depth]);
	load(ui, top(ui));
}

static void clear_stack(struct ui *ui)
{
	while (ui->depth > 0)
		view_free(ui->stack[--ui->depth]);
}

static void switch_tab(struct ui *ui, int t)
{
	if (t < 0 || t >= ui->ntabs)
		return;
	clear_stack(ui);
	ui->tab = t;
	ui->status[0] = '\0';
	ui_push(ui, ui->tabs[t].make(ui));
}

/* ---- drawing ----------------------------------------------------------- */

static void draw_top(struct ui *ui)
{
	int x = 0;
	fill(ui, 0, 0, COLS, ROLE_TITLE);
	x += putf(ui, 0, x, COLS, ROLE_TITLE, " airlock %s ",
	    ui->side == SIDE_IMPORTER ? "importer" : "signer");
	for (int t = 0; t < ui->ntabs; t++) {
		enum role r = t == ui->tab ? ROLE_TAB_ON : ROLE_TAB;
		x += putf(ui, 0, x, COLS - x, r, " %s %s ", ui->tabs[t].key_label, ui->tabs[t].name);
	}
	put(ui, 0, x + 1, COLS - x - 1, ROLE_TITLE, ui->home);
	/* Breadcrumb: where the operator is, from the first screen down. */
	x = 0;
	for (int i = 0; i < ui->depth; i++)
		x += putf(ui, 1, x, COLS - x, i == ui->depth - 1 ? ROLE_HEAD : ROLE_DIM, "%s%s",
		    i > 0 ? " > " : "", ui->stack[i]->ops->title);
}

static int footer_item(struct ui *ui, int x, const struct binding *b)
{
	int need = (int)strlen(b->label) + (int)strlen(b->name) + 2;
	if (x + need > COLS)
		return x;
	x += put(ui, LINES - 1, x, COLS - x, ROLE_KEY, b->label);
	x += putf(ui, LINES - 1, x, COLS - x, ROLE_KEYTEXT, " %s", b->name);
	return x + 1;
}

static void draw_footer(struct ui *ui, struct view *v)
{
	int x = 0;
	fill(ui, LINES - 1, 0, COLS, ROLE_NORMAL);
	for (const struct binding *b = v->ops->keys; b != NULL && b->label != NULL; b++)
		if (b->flags & B_FOOTER)
			x = footer_item(ui, x, b);
	if (v->has_list)
		x = footer_item(ui, x, &list_keys[6]);
	for (const struct binding *b = global_keys; b->label != NULL; b++) {
		if (!(b->flags & B_FOOTER))
			continue;
		if (b->keys[0] == 'q' && v->ops->busy)
			continue;   /* work in progress: only its cancel leaves */
		if (b->keys[0] == 'q') {
			struct binding q = *b;
			q.name = ui->depth > 1 ? "Back" : "Quit";
			x = footer_item(ui, x, &q);
		} else {
			x = footer_item(ui, x, b);
		}
	}
}

static void draw_status(struct ui *ui, struct view *v)
{
	int y = LINES - 2, right = COLS;
	if (v->has_list && v->list.nshown > 0) {
		char pos[48];
		snprintf(pos, sizeof pos, " %zu/%zu", v->list.sel + 1, v->list.nshown);
		right -= (int)strlen(pos);
		put(ui, y, right, COLS - right, ROLE_DIM, pos);
	}
	if (v->has_list && v->list.filter[0] != '\0') {
		char f[96];
		snprintf(f, sizeof f, " filter: %s", v->list.filter);
		int w = (int)strlen(f) < 40 ? (int)strlen(f) : 40;
		right -= w;
		put(ui, y, right, w, ROLE_WARN, f);
	}
	put(ui, y, 0, right - 1, ui->status_bad ? ROLE_BAD : ROLE_NORMAL, ui->status);
}

void ui_draw(struct ui *ui)
{
	struct view *v = top(ui);
	erase();
	ui->too_small = COLS < MIN_COLS || LINES < MIN_LINES;
	if (ui->too_small) {
		putf(ui, LINES / 2, 0, COLS, ROLE_BAD, "terminal too small: need %dx%d, have %dx%d",
		    MIN_COLS, MIN_LINES, COLS, LINES);
		put(ui, LINES / 2 + 1, 0, COLS, ROLE_NORMAL, "make it larger; keys wait until then");
		return;
	}
	draw_top(ui);
	if (v == NULL)
		return;
	struct rect r = { 2, 0, LINES - 4, COLS };
	if (v->has_list && v->ops->draw == NULL)
		list_draw(v, ui, r);
	else if (v->ops->draw != NULL)
		v->ops->draw(v, ui, r);
	draw_status(ui, v);
	draw_footer(ui, v);
}

/* ---- keys -------------------------------------------------------------- */

static int read_key(void)
{
	wint_t wc;
	int rc = get_wch(&wc);
	if (rc == ERR)
		return KEY_NONE;
	if (rc == KEY_CODE_YES)
		return wc == KEY_RESIZE ? KEY_RESIZED : KEYFN((int)wc);
	return (int)wc;
}

static const struct binding *find_binding(const struct binding *b, int key)
{
	for (; b != NULL && b->label != NULL; b++)
		for (int i = 0; i < 3 && b->keys[i] != 0; i++)
			if (b->keys[i] == key)
				return b;
	return NULL;
}

/* ---- dialogs ----------------------------------------------------------- */

enum dialog_kind { D_MESSAGE, D_CONFIRM, D_TYPED, D_INPUT };

struct dialog {
	enum dialog_kind kind;
	const char *title;
	const char *text;
	const char *word;          /* D_TYPED: what must be typed */
	char *buf;                 /* D_TYPED, D_INPUT: the line being edited */
	size_t len;
	int hidden;
	int bad;                   /* an error box */
};

/* Wraps text at spaces into at most maxl lines of width w. */
static int wrap(const char *text, int w, char lines[][128], int maxl)
{
	int n = 0;
	const char *p = text;
	while (*p != '\0' && n < maxl) {
		int len = 0, cut = -1;
		while (p[len] != '\0' && p[len] != '\n' && len < w && len < 127) {
			if (p[len] == ' ')
				cut = len;
			len++;
		}
		if (p[len] != '\0' && p[len] != '\n' && len == w && cut > 0)
			len = cut;
		snprintf(lines[n++], 128, "%.*s", len, p);
		p += len;
		if (*p == ' ' || *p == '\n')
			p++;
	}
	return n;
}

static void draw_dialog(struct ui *ui, const struct dialog *d)
{
	char lines[14][128];
	int w = COLS - 4 < 76 ? COLS - 4 : 76;
	int n = wrap(d->text, w - 4, lines, 14);
	int h = n + 4 + (d->kind == D_TYPED || d->kind == D_INPUT ? 2 : 0);
	struct rect r = { (LINES - h) / 2, (COLS - w) / 2, h, w };
	enum role role = d->bad ? ROLE_BAD : ROLE_DIALOG;
	draw_box(ui, r, ROLE_DIALOG, d->title);
	for (int i = 0; i < n; i++)
		put(ui, r.y + 1 + i, r.x + 2, w - 4, i == 0 ? role : ROLE_DIALOG, lines[i]);
	if (d->kind == D_TYPED || d->kind == D_INPUT) {
		int y = r.y + n + 2;
		fill(ui, y, r.x + 2, w - 4, ROLE_NORMAL);
		if (d->hidden) {
			putf(ui, y, r.x + 2, w - 4, ROLE_NORMAL, "(hidden, %zu typed)_", strlen(d->buf));
		} else {
			size_t bl = strlen(d->buf);
			size_t skip = bl > (size_t)(w - 6) ? bl - (size_t)(w - 6) : 0;
			putf(ui, y, r.x + 2, w - 4, ROLE_NORMAL, "%s_", d->buf + skip);
		}
	}
	const char *keys = d->kind == D_MESSAGE ? "Enter: close" :
	    d->kind == D_CONFIRM ? "y: yes   n/Esc: no" : "Enter: accept   Esc: cancel";
	put(ui, r.y + h - 2, r.x + 2, w - 4, ROLE_DIALOG, keys);
}

/* Line editing: characters append (as UTF-8), Backspace removes one
 * character, ^U clears. Returns 1 when the key was used. */
static int edit_key(char *buf, size_t len, int key)
{
	size_t bl = strlen(buf);
	if (key == KEYFN(KEY_BACKSPACE) || key == 127 || key == CTRL('h')) {
		while (bl > 0 && ((unsigned char)buf[bl - 1] & 0xc0) == 0x80)
			bl--;
		if (bl > 0)
			bl--;
		sodium_memzero(buf + bl, strlen(buf) - bl);
		return 1;
	}
	if (key == CTRL('u')) {
		sodium_memzero(buf, bl);
		return 1;
	}
	if (key < 32 || key >= 0x110000 || key == 127)
		return 0;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = wcrtomb(mb, (wchar_t)key, &st);
	if (n == (size_t)-1 || bl + n + 1 > len)
		return 1;
	memcpy(buf + bl, mb, n);
	buf[bl + n] = '\0';
	return 1;
}

static enum reaction tick_top(struct ui *ui)
{
	struct view *v = top(ui);
	if (v != NULL && v->ops->tick != NULL)
		return v->ops->tick(v, ui);
	return R_NONE;
}

/* Returns 1 accepted, 0 refused or cancelled. */
static int modal(struct ui *ui, struct dialog *d)
{
	for (;;) {
		ui_draw(ui);
		if (!ui->too_small)
			draw_dialog(ui, d);
		refresh();
		if (term_hangup()) {
			ui->hangup = 1;
			return 0;
		}
		term_take_interrupt();   /* a dialog is already a question */
		int key = read_key();
		if (key == KEY_NONE) {
			tick_top(ui);
			continue;
		}
		/* Nothing is answered that cannot be seen. */
		if (key == KEY_RESIZED || ui->too_small)
			continue;
		switch (d->kind) {
		case D_MESSAGE:
			if (key == '\r' || key == '\n' || key == K_ESC || key == 'q' || key == ' ' ||
			    key == KEYFN(KEY_ENTER))
				return 1;
			break;
		case D_CONFIRM:
			if (key == 'y' || key == 'Y')
				return 1;
			if (key == 'n' || key == 'N' || key == K_ESC || key == 'q' || key == CTRL('c'))
				return 0;
			break;
		case D_TYPED:
		case D_INPUT:
			if (key == '\r' || key == '\n' || key == KEYFN(KEY_ENTER))
				return d->kind == D_INPUT || strcmp(d->buf, d->word) == 0;
			if (key == K_ESC || key == CTRL('c'))
				return 0;
			edit_key(d->buf, d->len, key);
			break;
		}
	}
}

int ui_confirm(struct ui *ui, const char *title, const char *text)
{
	struct dialog d = { D_CONFIRM, title, text, NULL, NULL, 0, 0, 0 };
	return modal(ui, &d);
}

int ui_confirm_typed(struct ui *ui, const char *title, const char *text, const char *word)
{
	char buf[128] = "";
	struct dialog d = { D_TYPED, title, text, word, buf, sizeof buf, 0, 0 };
	int ok = modal(ui, &d);
	if (!ok && buf[0] != '\0' && !ui->hangup)
		ui_set_status(ui, 1, "not confirmed: the text typed was not '%s'", word);
	return ok;
}

int ui_input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t len,
    int hidden)
{
	struct dialog d = { D_INPUT, title, prompt, NULL, buf, len, hidden, 0 };
	return modal(ui, &d);
}

void ui_message(struct ui *ui, const char *title, const char *text)
{
	struct dialog d = { D_MESSAGE, title, text, NULL, NULL, 0, 0, 0 };
	modal(ui, &d);
}

/* A core error in plain words: what went wrong, then what to do. */
void ui_error(struct ui *ui, const char *what, const struct airlock_err *err)
{
	char text[1024];
	snprintf(text, sizeof text, "%s%s%s", err->msg[0] ? err->msg : "failed",
	    err->hint[0] ? "\n\nWhat to do: " : "", err->hint);
	struct dialog d = { D_MESSAGE, what, text, NULL, NULL, 0, 0, 1 };
	ui_set_status(ui, 1, "%s: %s", what, err->msg);
	modal(ui, &d);
}

char *ui_passphrase(struct ui *ui, const char *prompt)
{
	char *p = sodium_malloc((AIRLOCK_PASSPHRASE_MAX + 1));
	if (p == NULL)
		return NULL;
	memset(p, 0, (AIRLOCK_PASSPHRASE_MAX + 1));
	if (!ui_input(ui, "Passphrase", prompt, p, (AIRLOCK_PASSPHRASE_MAX + 1), 1) || p[0] == '\0') {
		sodium_free(p);
		return NULL;
	}
	return p;
}

void ui_passphrase_free(char *p)
{
	if (p != NULL)
		sodium_free(p);   /* wipes */
}

/* ---- filter and help ----------------------------------------------------- */

static void filter_edit(struct ui *ui, struct view *v)
{
	curs_set(1);
	for (;;) {
		ui_draw(ui);
		fill(ui, LINES - 2, 0, COLS, ROLE_NORMAL);
		int x = put(ui, LINES - 2, 0, COLS, ROLE_HEAD, "Filter: ");
		put(ui, LINES - 2, x, COLS - x - 1, ROLE_NORMAL, v->list.filter);
		refresh();
		if (term_hangup()) {
			ui->hangup = 1;
			break;
		}
		int key = read_key();
		if (key == KEY_NONE || key == KEY_RESIZED || ui->too_small)
			continue;
		if (key == '\r' || key == '\n' || key == KEYFN(KEY_ENTER))
			break;
		if (key == K_ESC || key == CTRL('c')) {
			v->list.filter[0] = '\0';
			list_refilter(v);
			break;
		}
		if (edit_key(v->list.filter, sizeof v->list.filter, key))
			list_refilter(v);
	}
	curs_set(0);
}

struct help { char lines[96][100]; size_t n; };

static void help_add(struct help *h, const struct binding *b)
{
	for (; b != NULL && b->label != NULL && h->n < 96; b++)
		snprintf(h->lines[h->n++], sizeof h->lines[0], "  %-12s %-12s %s", b->label,
		    b->name, b->help);
}

static void help_row_text(struct view *v, size_t i, char *out, size_t outlen)
{
	struct help *h = v->data;
	snprintf(out, outlen, "%s", h->lines[i]);
}

static void help_draw_row(struct view *v, struct ui *ui, size_t i, int y, int x, int w, int sel)
{
	struct help *h = v->data;
	put(ui, y, x, w, sel ? ROLE_SEL : h->lines[i][0] != ' ' ? ROLE_HEAD : ROLE_NORMAL,
	    h->lines[i]);
}

static void help_release(struct view *v)
{
	free(v->data);
}

static const struct binding help_keys[] = { { { 0, 0, 0 }, NULL, NULL, NULL, NULL, 0 } };

static const struct view_ops help_ops = {
	.title = "Help", .keys = help_keys, .release = help_release,
	.row_text = help_row_text, .draw_row = help_draw_row,
};

static void open_help(struct ui *ui, struct view *of)
{
	struct help *h = calloc(1, sizeof *h);
	if (h == NULL)
		return;
	snprintf(h->lines[h->n++], sizeof h->lines[0], "Keys of %s", of->ops->title);
	help_add(h, of->ops->keys);
	if (of->has_list) {
		snprintf(h->lines[h->n++], sizeof h->lines[0], "Moving in lists");
		help_add(h, list_keys);
	}
	snprintf(h->lines[h->n++], sizeof h->lines[0], "Everywhere");
	help_add(h, global_keys);
	for (int t = 0; t < ui->ntabs && h->n < 96; t++)
		snprintf(h->lines[h->n++], sizeof h->lines[0], "  %-12s %-12s go to the %s screen",
		    ui->tabs[t].key_label, ui->tabs[t].name, ui->tabs[t].name);
	snprintf(h->lines[h->n++], sizeof h->lines[0],
	    "Ctrl-C, Ctrl-Z, Ctrl-\\ ask before quitting; work in progress is cancelled safely.");
	struct view *v = view_new(&help_ops, h, 1);
	if (v == NULL) {
		free(h);
		return;
	}
	ui_push(ui, v);
	list_reset(v, h->n);
}

/* ---- the loop ------------------------------------------------------------ */

/* Leaving with work running: the core is told to stop at its next safe
 * point and we wait for it, so the store is never left half-changed. */
static int ask_quit(struct ui *ui)
{
	struct view *v = top(ui);
	if (v != NULL && v->ops->busy)
		return v->ops->key != NULL && v->ops->key(v, ui, CTRL('c')) == R_QUIT;
	return ui_confirm(ui, "Quit", "Really quit the airlock console?");
}

static enum reaction global_key(struct ui *ui, struct view *v, int key)
{
	if (key == '?' || key == KEYFN(KEY_F(1))) {
		open_help(ui, v);
		return R_REDRAW;
	}
	if (key == 'q' || key == K_ESC || key == KEYFN(KEY_F(10)))
		return ui->depth > 1 ? R_BACK : R_QUIT;
	if (key == CTRL('c') || key == CTRL('z') || key == CTRL('\\'))
		return ask_quit(ui) ? R_QUIT : R_REDRAW;
	if (key == CTRL('l')) {
		clearok(curscr, TRUE);
		return R_REDRAW;
	}
	if (key == '\t')
		switch_tab(ui, (ui->tab + 1) % ui->ntabs);
	else if (key >= '1' && key < '1' + ui->ntabs)
		switch_tab(ui, key - '1');
	else if (key == '/' && v->has_list)
		filter_edit(ui, v);
	else
		return R_NONE;
	return R_REDRAW;
}

static enum reaction dispatch(struct ui *ui, struct view *v, int key)
{
	const struct binding *b = find_binding(v->ops->keys, key);
	enum reaction r = R_UNHANDLED;
	if (b != NULL && b->fn != NULL)
		r = b->fn(v, ui);
	if (r == R_UNHANDLED && v->ops->key != NULL)
		r = v->ops->key(v, ui, key);
	if (r == R_UNHANDLED && v->has_list)
		r = list_key(v, key);
	/* A busy screen (work running) keeps the operator on it. */
	if (r == R_UNHANDLED && v->ops->busy && key != '?' && key != KEYFN(KEY_F(1)))
		return R_NONE;
	if (r == R_UNHANDLED)
		r = global_key(ui, v, key);
	return r;
}

static void react(struct ui *ui, enum reaction r)
{
	if (r & R_QUIT)
		ui->quit = 1;
	else if (r & R_BACK)
		pop(ui);
	else if ((r & R_RELOAD) && top(ui) != NULL)
		load(ui, top(ui));
}

int ui_run(struct ui *ui)
{
	int dirty = 1;
	switch_tab(ui, 0);
	while (!ui->quit && !ui->hangup) {
		/* Idle screens are not redrawn; working ones are, every tick. */
		if (dirty) {
			ui_draw(ui);
			refresh();
		}
		dirty = 1;
		if (term_hangup()) {
			ui->hangup = 1;
			break;
		}
		if (term_take_interrupt()) {
			react(ui, ask_quit(ui) ? R_QUIT : R_REDRAW);
			continue;
		}
		int key = read_key();
		if (key == KEY_NONE) {
			enum reaction r = tick_top(ui);
			react(ui, r);
			dirty = r != R_NONE;
			continue;
		}
		if (key == KEY_RESIZED) {
			clearok(curscr, TRUE);
			continue;
		}
		/* A screen too small to show what a key would do takes none. */
		if (ui->too_small)
			continue;
		ui->status[0] = '\0';
		react(ui, dispatch(ui, top(ui), key));
	}
	/* Releasing a work view cancels its job and waits for the core. */
	clear_stack(ui);
	return 0;
}
