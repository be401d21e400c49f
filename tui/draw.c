/* draw.c - putting text on the screen safely: every string is clipped to
 * its cell, and anything unprintable (names from media, from bundles)
 * becomes '?', so no byte can move the cursor or garble the screen. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tui.h"

/* One display character from s: its wide char and byte length; invalid
 * or unprintable input turns into '?'. */
static wchar_t next_char(struct ui *ui, const char *s, size_t left, size_t *used)
{
	mbstate_t st;
	wchar_t wc;
	memset(&st, 0, sizeof st);
	size_t n = mbrtowc(&wc, s, left, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*used = 1;
		return L'?';
	}
	*used = n;
	if (!iswprint((wint_t)wc) || (!ui->utf8 && wc > 126))
		return L'?';
	return wc;
}

int put(struct ui *ui, int y, int x, int maxw, enum role role, const char *s)
{
	int cols = 0;
	size_t left = strlen(s);
	if (maxw <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + maxw > COLS)
		maxw = COLS - x;
	attrset((attr_t)ui->attr[role]);
	move(y, x);
	while (left > 0) {
		size_t used;
		wchar_t wc = next_char(ui, s, left, &used);
		int w = wcwidth(wc);
		if (w < 0) {
			w = 1;
			wc = L'?';
		}
		if (cols + w > maxw)
			break;
		wchar_t str[2] = { wc, 0 };
		addnwstr(str, 1);
		cols += w;
		s += used;
		left -= used;
	}
	attrset(A_NORMAL);
	return cols;
}

int putf(struct ui *ui, int y, int x, int maxw, enum role role, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return put(ui, y, x, maxw, role, buf);
}

void fill(struct ui *ui, int y, int x, int w, enum role role)
{
	if (y < 0 || y >= LINES)
		return;
	attrset((attr_t)ui->attr[role]);
	for (int i = 0; i < w && x + i < COLS; i++)
		mvaddch(y, x + i, ' ');
	attrset(A_NORMAL);
}

static void repeat(struct ui *ui, int y, int x, int n, enum role role, const char *g)
{
	for (int i = 0; i < n; i++)
		put(ui, y, x + i, 1, role, g);
}

void draw_box(struct ui *ui, struct rect r, enum role role, const char *title)
{
	for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
		fill(ui, y, r.x + 1, r.w - 2, role);
		put(ui, y, r.x, 1, role, ui->g.v);
		put(ui, y, r.x + r.w - 1, 1, role, ui->g.v);
	}
	put(ui, r.y, r.x, 1, role, ui->g.tl);
	repeat(ui, r.y, r.x + 1, r.w - 2, role, ui->g.h);
	put(ui, r.y, r.x + r.w - 1, 1, role, ui->g.tr);
	put(ui, r.y + r.h - 1, r.x, 1, role, ui->g.bl);
	repeat(ui, r.y + r.h - 1, r.x + 1, r.w - 2, role, ui->g.h);
	put(ui, r.y + r.h - 1, r.x + r.w - 1, 1, role, ui->g.br);
	if (title != NULL && title[0] != '\0')
		putf(ui, r.y, r.x + 2, r.w - 4, role, " %s ", title);
}

void draw_bar(struct ui *ui, int y, int x, int w, uint64_t done, uint64_t total)
{
	int full = 0;
	if (total > 0) {
		if (done > total)
			done = total;
		full = (int)((double)done / (double)total * w);
	}
	for (int i = 0; i < w; i++)
		put(ui, y, x + i, 1, i < full ? ROLE_BAR : ROLE_DIM, i < full ? ui->g.full : ui->g.empty);
}

void fmt_bytes(char *out, size_t outlen, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%llu B", (unsigned long long)n);
	else
		snprintf(out, outlen, "%.1f %s", v, unit[u]);
}

void fmt_time(char *out, size_t outlen, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, outlen, "-");
		return;
	}
	strftime(out, outlen, "%Y-%m-%d %H:%M", &tm);
}

void fmt_age(char *out, size_t outlen, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(out, outlen, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(out, outlen, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, outlen, "%lldd", (long long)(s / 86400));
}

void fmt_duration(char *out, size_t outlen, double s)
{
	long long t = (long long)(s + 0.5);
	if (t < 0)
		t = 0;
	if (t >= 3600)
		snprintf(out, outlen, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, outlen, "%lld:%02lld", t / 60, t % 60);
}

void fmt_hex(char *out, size_t outlen, const uint8_t *b, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 <= outlen; i++, o += 2)
		snprintf(out + o, 3, "%02x", b[i]);
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
}

int put_field(struct ui *ui, struct rect r, int y, const char *label, enum role role,
    const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	if (y >= r.y + r.h)
		return y + 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(ui, y, r.x + 1, 16, ROLE_HEAD, label);
	put(ui, y, r.x + 18, r.w - 19, role, buf);
	return y + 1;
}
