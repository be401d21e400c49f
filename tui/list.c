/* list.c - the scrollable, filterable list every list screen shares:
 * arrows and j/k move, PageUp/PageDown and Home/End jump, '/' filters
 * (handled by the loop, which edits list.filter). */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui.h"

void list_free(struct list *l)
{
	free(l->shown);
	l->shown = NULL;
	l->n = l->nshown = 0;
}

void list_refilter(struct view *v)
{
	struct list *l = &v->list;
	size_t keep = SIZE_MAX;
	if (l->sel < l->nshown)
		keep = l->shown[l->sel];
	l->nshown = 0;
	for (size_t i = 0; i < l->n; i++) {
		char text[1024] = "";
		if (l->filter[0] != '\0' && v->ops->row_text != NULL) {
			v->ops->row_text(v, i, text, sizeof text);
			if (strcasestr(text, l->filter) == NULL)
				continue;
		}
		l->shown[l->nshown++] = i;
	}
	l->sel = 0;
	for (size_t p = 0; p < l->nshown; p++)
		if (l->shown[p] == keep)
			l->sel = p;
	if (l->top > l->sel)
		l->top = l->sel;
}

/* New rows after a load: the selection stays on the same position when it
 * still exists, so a reload does not throw the operator to the top. */
void list_reset(struct view *v, size_t n)
{
	struct list *l = &v->list;
	size_t sel = l->sel, top = l->top;
	free(l->shown);
	l->shown = calloc(n > 0 ? n : 1, sizeof *l->shown);
	l->n = l->shown != NULL ? n : 0;
	l->sel = 0;
	l->nshown = 0;
	list_refilter(v);
	if (sel < l->nshown)
		l->sel = sel;
	l->top = top <= l->sel ? top : l->sel;
}

int list_selected(const struct view *v, size_t *index)
{
	const struct list *l = &v->list;
	if (l->nshown == 0 || l->sel >= l->nshown)
		return 0;
	*index = l->shown[l->sel];
	return 1;
}

static void move_by(struct list *l, long d)
{
	long s = (long)l->sel + d;
	if (l->nshown == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= (long)l->nshown)
		s = (long)l->nshown - 1;
	l->sel = (size_t)s;
}

enum reaction list_key(struct view *v, int key)
{
	struct list *l = &v->list;
	long page = l->page > 1 ? l->page - 1 : 1;
	switch (key) {
	case KEYFN(KEY_UP): case 'k': move_by(l, -1); break;
	case KEYFN(KEY_DOWN): case 'j': move_by(l, 1); break;
	case KEYFN(KEY_PPAGE): case CTRL('b'): move_by(l, -page); break;
	case KEYFN(KEY_NPAGE): case CTRL('f'): case ' ': move_by(l, page); break;
	case KEYFN(KEY_HOME): case 'g': l->sel = 0; break;
	case KEYFN(KEY_END): case 'G': move_by(l, (long)l->nshown); break;
	default: return R_UNHANDLED;
	}
	return R_REDRAW;
}

void list_draw(struct view *v, struct ui *ui, struct rect r)
{
	struct list *l = &v->list;
	int y = r.y;
	if (v->ops->columns != NULL) {
		put(ui, y, r.x, r.w, ROLE_HEAD, v->ops->columns);
		y++;
	}
	l->page = r.y + r.h - y;
	if (l->page < 1)
		return;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + (size_t)l->page)
		l->top = l->sel - (size_t)l->page + 1;
	for (int row = 0; row < l->page && l->top + (size_t)row < l->nshown; row++) {
		size_t pos = l->top + (size_t)row;
		int selected = pos == l->sel;
		if (selected)
			fill(ui, y + row, r.x, r.w, ROLE_SEL);
		v->ops->draw_row(v, ui, l->shown[pos], y + row, r.x, r.w, selected);
	}
	if (l->nshown == 0)
		put(ui, y, r.x + 1, r.w - 1, ROLE_DIM,
		    l->filter[0] != '\0' ? "(nothing matches the filter)" : "(empty)");
}
