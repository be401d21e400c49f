/* term.c - owning the terminal: curses setup and teardown, colours or their
 * absence (NO_COLOR), Unicode or ASCII line drawing, and the signals a
 * kiosk console must survive. */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

/* Signal handlers can only talk to the loop through flags of this type:
 * the one kind of file-scope mutable state the console has. */
static volatile sig_atomic_t interrupt_flag;
static volatile sig_atomic_t hangup_flag;
static volatile sig_atomic_t curses_on;

static const struct glyphs utf8_glyphs = {
	"\u2500", "\u2502", "\u250c", "\u2510", "\u2514", "\u2518",
	"\u2588", "\u2591", "\u2713", "\u25b6",
};
static const struct glyphs ascii_glyphs = {
	"-", "|", "+", "+", "+", "+", "#", ".", "*", ">",
};

static void on_interrupt(int sig)
{
	(void)sig;
	interrupt_flag = 1;
}

static void on_hangup(int sig)
{
	(void)sig;
	hangup_flag = 1;
}

/* A crash must not leave the operator's only terminal in raw mode. */
static void on_fatal(int sig)
{
	if (curses_on)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

void term_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* Kiosk: ^C, ^\ and ^Z become "really quit?" questions, never a kill,
	 * a core dump or a stopped console with a shell behind it. */
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTSTP, &sa, NULL);
	/* A hang-up lets running work stop at a safe point before we leave. */
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTTOU, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
#ifndef __SANITIZE_ADDRESS__
	sa.sa_handler = on_fatal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
#else
	(void)on_fatal;
#endif
}

int term_take_interrupt(void)
{
	if (!interrupt_flag)
		return 0;
	interrupt_flag = 0;
	return 1;
}

int term_hangup(void)
{
	return hangup_flag != 0;
}

static int no_color_env(void)
{
	const char *nc = getenv("NO_COLOR");
	return nc != NULL && nc[0] != '\0';
}

static void set_colors(struct ui *ui)
{
	static const short pairs[ROLE_COUNT][2] = {
		[ROLE_NORMAL] = { -1, -1 }, [ROLE_TITLE] = { COLOR_BLACK, COLOR_CYAN },
		[ROLE_TAB] = { COLOR_BLACK, COLOR_CYAN }, [ROLE_TAB_ON] = { COLOR_WHITE, COLOR_BLUE },
		[ROLE_KEY] = { COLOR_WHITE, -1 }, [ROLE_KEYTEXT] = { COLOR_BLACK, COLOR_CYAN },
		[ROLE_SEL] = { COLOR_BLACK, COLOR_CYAN }, [ROLE_OK] = { COLOR_GREEN, -1 },
		[ROLE_WARN] = { COLOR_YELLOW, -1 }, [ROLE_BAD] = { COLOR_RED, -1 },
		[ROLE_DIM] = { COLOR_BLUE, -1 }, [ROLE_HEAD] = { COLOR_CYAN, -1 },
		[ROLE_DIALOG] = { COLOR_WHITE, COLOR_BLUE }, [ROLE_BAR] = { COLOR_GREEN, -1 },
	};
	start_color();
	use_default_colors();
	for (int r = 1; r < ROLE_COUNT; r++) {
		init_pair((short)r, pairs[r][0], pairs[r][1]);
		ui->attr[r] = (int)COLOR_PAIR(r);
	}
	ui->attr[ROLE_NORMAL] = A_NORMAL;
	ui->attr[ROLE_TAB_ON] |= A_BOLD;
	ui->attr[ROLE_KEY] |= A_BOLD;
	ui->attr[ROLE_BAD] |= A_BOLD;
	ui->attr[ROLE_HEAD] |= A_BOLD;
}

/* Without colour every role still reads differently (bold, reverse,
 * underline), and verdicts are always spelled out in words too. */
static void set_mono(struct ui *ui)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		ui->attr[r] = A_NORMAL;
	ui->attr[ROLE_TITLE] = A_REVERSE;
	ui->attr[ROLE_TAB] = A_REVERSE;
	ui->attr[ROLE_TAB_ON] = A_BOLD;
	ui->attr[ROLE_KEY] = A_BOLD;
	ui->attr[ROLE_KEYTEXT] = A_REVERSE;
	ui->attr[ROLE_SEL] = A_REVERSE;
	ui->attr[ROLE_BAD] = A_BOLD;
	ui->attr[ROLE_WARN] = A_BOLD;
	ui->attr[ROLE_HEAD] = A_UNDERLINE;
	ui->attr[ROLE_DIALOG] = A_NORMAL;
}

int term_open(struct ui *ui, int force_ascii)
{
	setlocale(LC_ALL, "");
	ui->utf8 = !force_ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	ui->g = ui->utf8 ? utf8_glyphs : ascii_glyphs;
	if (initscr() == NULL)
		return -1;
	curses_on = 1;
	/* raw: ^C ^Z ^\ arrive as keys we answer, not as signals. */
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	timeout(100);
	ui->color = has_colors() && !no_color_env();
	if (ui->color)
		set_colors(ui);
	else
		set_mono(ui);
	return 0;
}

void term_close(void)
{
	if (!curses_on)
		return;
	curs_set(1);
	endwin();
	curses_on = 0;
}
