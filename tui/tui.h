/* tui.h - private interfaces of airlock-tui, the operator console.
 *
 * Shape (htop's ScreenManager, tig's view ops): one loop in loop.c owns the
 * terminal, reads keys with wget_wch and a timeout, keeps a stack of views
 * and redraws from their state. A view loads with core calls only, draws
 * with no I/O, and answers keys with reaction flags. Long core calls run in
 * a worker thread (job.c) whose progress callback updates counters the loop
 * draws from; only the main thread touches curses. */
#ifndef AIRLOCK_TUI_H
#define AIRLOCK_TUI_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "airlock/error.h"
#include "airlock/io.h"

struct airlock_importer;
struct airlock_signer;

/* Keys: characters are their code points; curses function keys are moved
 * above Unicode so the two can never collide. */
#define KEYFN(k) (0x200000 + (k))
#define CTRL(c) ((c) & 0x1f)
#define K_ESC 27

enum reaction {
	R_NONE = 0,
	R_REDRAW = 1 << 0,   /* draw again */
	R_RELOAD = 1 << 1,   /* run the view's load again, then draw */
	R_BACK = 1 << 2,     /* pop this view */
	R_QUIT = 1 << 3,     /* leave the program (asks when work is running) */
	R_UNHANDLED = 1 << 4,
};

/* Display roles; term.c maps them to colours or, without colour, to
 * attributes, so every meaning is also said in words on screen. */
enum role {
	ROLE_NORMAL, ROLE_TITLE, ROLE_TAB, ROLE_TAB_ON, ROLE_KEY, ROLE_KEYTEXT,
	ROLE_SEL, ROLE_OK, ROLE_WARN, ROLE_BAD, ROLE_DIM, ROLE_HEAD, ROLE_DIALOG,
	ROLE_BAR, ROLE_COUNT
};

/* Line drawing and bar glyphs: Unicode in a UTF-8 locale, ASCII otherwise. */
struct glyphs {
	const char *h, *v, *tl, *tr, *bl, *br, *full, *empty, *mark, *arrow;
};

struct rect { int y, x, h, w; };

struct ui;
struct view;

#define B_FOOTER 1u          /* show in the footer (every binding is in help) */

struct binding {
	int keys[3];             /* key codes, 0 ends the list */
	const char *label;       /* key as shown: "Enter", "i" */
	const char *name;        /* "Import" */
	const char *help;        /* one line for the help screen */
	enum reaction (*fn)(struct view *, struct ui *);
	unsigned flags;
};

/* A scrollable, filterable list of rows owned by a view. */
struct list {
	size_t n;                /* rows the view has */
	size_t *shown;           /* indices of rows matching the filter */
	size_t nshown;
	size_t sel;              /* position in shown */
	size_t top;              /* first visible position */
	char filter[64];
	int page;                /* rows visible at the last draw */
};

struct view_ops {
	const char *title;
	const struct binding *keys;
	/* Core calls only; fills view state. NULL when nothing to load. */
	enum airlock_code (*load)(struct view *, struct ui *, struct airlock_err *);
	/* State to screen, inside r. No I/O, no core calls. */
	void (*draw)(struct view *, struct ui *, struct rect r);
	/* Keys no binding took; NULL or R_UNHANDLED to fall through. */
	enum reaction (*key)(struct view *, struct ui *, int key);
	/* Called every loop tick (about 10 per second); work views poll here. */
	enum reaction (*tick)(struct view *, struct ui *);
	void (*release)(struct view *);
	/* For list views: one row's text for the filter, and its drawing. */
	void (*row_text)(struct view *, size_t i, char *out, size_t outlen);
	void (*draw_row)(struct view *, struct ui *, size_t i, int y, int x, int w, int selected);
	const char *columns;     /* header line of a list view, or NULL */
	int busy;                /* 1: a worker runs; q, tabs and quit ask first */
};

struct view {
	const struct view_ops *ops;
	struct list list;
	int has_list;
	int loaded;
	void *data;              /* the view's own state, freed by release */
};

/* A long core call in a worker thread. */
struct job {
	enum airlock_code (*run)(void *arg, const struct airlock_progress *p, struct airlock_err *err);
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	int started;
	/* under mu */
	char stage[32];
	uint64_t done, total;
	int finished;
	enum airlock_code rc;
	struct airlock_err err;
	struct timespec t_start, t_stage;
	char stages_seen[8][32];
	int nstages_seen;
	/* set by the main thread; the core stops at its next safe point */
	volatile sig_atomic_t cancel;
	struct airlock_progress progress;
};

/* A snapshot of a job's counters for drawing. */
struct job_view {
	char stage[32];
	uint64_t done, total;
	int finished;
	double elapsed, stage_elapsed;
	char stages_seen[8][32];
	int nstages_seen;
};

enum side { SIDE_IMPORTER, SIDE_SIGNER };

#define UI_STACK_MAX 16
#define UI_WATCH_MAX 16

struct tab {
	const char *key_label;   /* "1" */
	const char *name;        /* "Inbox" */
	struct view *(*make)(struct ui *);
};

struct ui {
	enum side side;
	struct airlock_importer *im;
	struct airlock_signer *sg;
	char home[4096];
	const char *watch[UI_WATCH_MAX];
	size_t nwatch;
	int64_t stale_after;     /* seconds; feeds older than this are flagged */
	/* terminal */
	int color;
	int utf8;
	struct glyphs g;
	int attr[ROLE_COUNT];
	/* views */
	struct view *stack[UI_STACK_MAX];
	int depth;
	const struct tab *tabs;
	int ntabs;
	int tab;
	char status[256];        /* one-line message under the view */
	int status_bad;
	int quit;
	int hangup;              /* SIGHUP/SIGTERM seen: finish safely, then leave */
	int too_small;
	int key_unlocked;        /* the importer site key is open in the handle */
};

/* term.c */
int term_open(struct ui *ui, int force_ascii);
void term_close(void);
void term_signals_install(void);
int term_take_interrupt(void);   /* 1 once per SIGINT/SIGQUIT/SIGTSTP */
int term_hangup(void);           /* 1 after SIGHUP or SIGTERM */

/* draw.c */
int put(struct ui *ui, int y, int x, int maxw, enum role role, const char *s);
int putf(struct ui *ui, int y, int x, int maxw, enum role role, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void fill(struct ui *ui, int y, int x, int w, enum role role);
void draw_box(struct ui *ui, struct rect r, enum role role, const char *title);
void draw_bar(struct ui *ui, int y, int x, int w, uint64_t done, uint64_t total);
void fmt_bytes(char *out, size_t outlen, uint64_t n);
void fmt_time(char *out, size_t outlen, int64_t t);
void fmt_age(char *out, size_t outlen, int64_t seconds);
void fmt_duration(char *out, size_t outlen, double seconds);
void fmt_hex(char *out, size_t outlen, const uint8_t *b, size_t n);
/* Label: value pairs in a detail screen; returns the next row. */
int put_field(struct ui *ui, struct rect r, int y, const char *label, enum role role,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* list.c */
void list_reset(struct view *v, size_t n);
void list_free(struct list *l);
void list_refilter(struct view *v);
int list_selected(const struct view *v, size_t *index);   /* 1 if a row is selected */
enum reaction list_key(struct view *v, int key);
void list_draw(struct view *v, struct ui *ui, struct rect r);

/* loop.c */
struct view *view_new(const struct view_ops *ops, void *data, int has_list);
void ui_push(struct ui *ui, struct view *v);
void ui_set_status(struct ui *ui, int bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_draw(struct ui *ui);
int ui_run(struct ui *ui);
/* Modal dialogs; each keeps the screen alive (resize, job progress). */
int ui_confirm(struct ui *ui, const char *title, const char *text);
int ui_confirm_typed(struct ui *ui, const char *title, const char *text, const char *word);
int ui_input(struct ui *ui, const char *title, const char *prompt, char *buf, size_t len,
    int hidden);
void ui_error(struct ui *ui, const char *what, const struct airlock_err *err);
void ui_message(struct ui *ui, const char *title, const char *text);
/* Reads a secret into sodium_malloc memory; NULL when cancelled. */
char *ui_passphrase(struct ui *ui, const char *prompt);
void ui_passphrase_free(char *p);

/* job.c */
void job_init(struct job *j, enum airlock_code (*run)(void *, const struct airlock_progress *,
    struct airlock_err *), void *arg);
int job_start(struct job *j);
void job_cancel(struct job *j);
void job_snapshot(struct job *j, struct job_view *out);
int job_finished(struct job *j);
/* Waits for the worker; returns its code and copies its error. */
enum airlock_code job_join(struct job *j, struct airlock_err *err);
void job_destroy(struct job *j);

/* work.c: a progress screen for one job; result text set by on_done. */
struct work;
struct work_spec {
	const char *title;
	const char *what;                      /* "Importing iocs 41 -> 42" */
	const char *const *stages;             /* known stages in order, or NULL */
	size_t nstages;
	const char *cancel_text;               /* the question asked before cancelling */
	/* Called once on the main thread when the job ends; fills the result. */
	void (*on_done)(void *arg, struct ui *ui, enum airlock_code rc,
	    const struct airlock_err *err, char *title, size_t tlen, char *text, size_t len,
	    int *good);
};
struct view *work_start(struct ui *ui, const struct work_spec *spec,
    enum airlock_code (*run)(void *, const struct airlock_progress *, struct airlock_err *),
    void *arg, void (*free_arg)(void *));

/* Screens. */
extern const struct tab importer_tabs[];
extern const int importer_ntabs;
extern const struct tab signer_tabs[];
extern const int signer_ntabs;
struct view *inbox_view(struct ui *ui);
struct view *feeds_view(struct ui *ui);
struct view *trust_view(struct ui *ui);
struct view *quarantine_view(struct ui *ui);
struct view *audit_view(struct ui *ui);
struct view *sfeeds_view(struct ui *ui);
struct view *sites_view(struct ui *ui);
struct view *slog_view(struct ui *ui);

#endif
