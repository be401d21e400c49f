/* main.c - airlock-tui: options, which side the home belongs to, and the
 * terminal around the loop. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/importer.h"
#include "airlock/names.h"
#include "airlock/signer.h"
#include "tui.h"

#define STALE_DEFAULT (7 * 86400)

static const char usage_text[] =
    "usage: airlock-tui [--home DIR] [--watch DIR]... [--stale AGE] [--ascii]\n"
    "\n"
    "The airlock operator console. It finds out from the home whether it runs\n"
    "on the signer (low) side or the importer (high) side.\n"
    "\n"
    "  --home DIR    the airlock home (default: $AIRLOCK_HOME, then the\n"
    "                signer's and the importer's default homes)\n"
    "  --watch DIR   a folder the importer inbox lists bundles from, with one\n"
    "                level of sub-folders (mounted media); repeatable\n"
    "                (default: $AIRLOCK_WATCH, colon-separated, else /media)\n"
    "  --stale AGE   feeds older than AGE are flagged (90d, 12h; default 7d)\n"
    "  --ascii       draw lines with ASCII even in a UTF-8 terminal\n"
    "  --help, --version\n";

struct opts {
	const char *home;
	int ascii;
};

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int home_has(const char *home, const char *catalog)
{
	char p[4200];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", home, catalog);
	return stat(p, &st) == 0;
}

static int is_signer_home(const char *home)
{
	return home_has(home, AIRLOCK_SIGNER_DB);
}

/* Picks the home: --home, else $AIRLOCK_HOME, else a signer default home
 * that exists, else the importer's default. */
static enum airlock_code pick_home(struct ui *ui, const char *given, struct airlock_err *err)
{
	char def[4096];
	if (given != NULL) {
		snprintf(ui->home, sizeof ui->home, "%s", given);
		return AIRLOCK_OK;
	}
	if (airlock_signer_default_home(def, sizeof def, err) == AIRLOCK_OK &&
	    is_signer_home(def)) {
		snprintf(ui->home, sizeof ui->home, "%s", def);
		return AIRLOCK_OK;
	}
	airlock_err_init(err);
	if (airlock_importer_default_home(def, sizeof def, err) != AIRLOCK_OK)
		return err->code;
	snprintf(ui->home, sizeof ui->home, "%s", def);
	return AIRLOCK_OK;
}

/* The side is the kind of home, told by its catalog. Homes are never
 * created here, so a mistyped --home is an error rather than a new empty
 * home (airlock-importer would otherwise lay one out in any folder). */
static enum airlock_code open_home(struct ui *ui, struct airlock_err *err)
{
	if (is_signer_home(ui->home)) {
		ui->side = SIDE_SIGNER;
		ui->tabs = signer_tabs;
		ui->ntabs = signer_ntabs;
		return airlock_signer_open(&ui->sg, ui->home, err);
	}
	if (!is_dir(ui->home) || !home_has(ui->home, AIRLOCK_IMPORTER_DB)) {
		airlock_fail(err, AIRLOCK_E_USAGE, "no airlock home at '%s'", ui->home);
		airlock_hint(err, "give the home with --home DIR, or create one with "
		    "'airlock-signer init' or 'airlock-importer keygen'");
		return err->code;
	}
	ui->side = SIDE_IMPORTER;
	ui->tabs = importer_tabs;
	ui->ntabs = importer_ntabs;
	return airlock_importer_open(&ui->im, ui->home, err);
}

static int add_watch(struct ui *ui, const char *dir)
{
	if (ui->nwatch == UI_WATCH_MAX)
		return -1;
	ui->watch[ui->nwatch++] = dir;
	return 0;
}

/* $AIRLOCK_WATCH is split in place of a private copy kept for the whole run. */
static char *watch_from_env(struct ui *ui)
{
	const char *env = getenv("AIRLOCK_WATCH");
	char *copy = strdup(env != NULL && env[0] != '\0' ? env : "/media");
	char *save = NULL;
	if (copy == NULL)
		return NULL;
	for (char *t = strtok_r(copy, ":", &save); t != NULL; t = strtok_r(NULL, ":", &save))
		add_watch(ui, t);
	return copy;
}

static int parse_args(struct ui *ui, struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' }, { "watch", required_argument, NULL, 'w' },
		{ "stale", required_argument, NULL, 's' }, { "ascii", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'H': o->home = optarg; break;
		case 'w':
			if (add_watch(ui, optarg) != 0) {
				fprintf(stderr, "airlock-tui: at most %d --watch folders\n", UI_WATCH_MAX);
				return 2;
			}
			break;
		case 's':
			if (airlock_duration_parse(optarg, &ui->stale_after) != 0) {
				fprintf(stderr, "airlock-tui: bad --stale '%s' (try 7d or 12h)\n", optarg);
				return 2;
			}
			break;
		case 'a': o->ascii = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("airlock-tui %s\n", AIRLOCK_VERSION); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	return -1;
}

static int run(struct ui *ui, struct opts *o)
{
	struct airlock_err err;
	airlock_err_init(&err);
	if (pick_home(ui, o->home, &err) != AIRLOCK_OK || open_home(ui, &err) != AIRLOCK_OK) {
		fprintf(stderr, "airlock-tui: error: %s\n", err.msg);
		if (err.hint[0] != '\0')
			fprintf(stderr, "airlock-tui: hint: %s\n", err.hint);
		return airlock_exit_code(err.code);
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "airlock-tui: error: the console needs a terminal\n");
		return 2;
	}
	term_signals_install();
	if (term_open(ui, o->ascii) != 0) {
		fprintf(stderr, "airlock-tui: error: cannot set up the terminal (check TERM)\n");
		return 1;
	}
	ui_run(ui);
	term_close();
	return 0;
}

int main(int argc, char **argv)
{
	struct ui *ui = calloc(1, sizeof *ui);
	struct opts o = { NULL, 0 };
	char *watch_copy = NULL;
	int rc;
	if (ui == NULL || sodium_init() < 0) {
		fprintf(stderr, "airlock-tui: error: cannot initialize\n");
		return 1;
	}
	ui->stale_after = STALE_DEFAULT;
	rc = parse_args(ui, &o, argc, argv);
	if (rc < 0) {
		if (ui->nwatch == 0)
			watch_copy = watch_from_env(ui);
		rc = run(ui, &o);
	}
	airlock_importer_close(ui->im);
	airlock_signer_close(ui->sg);
	free(watch_copy);
	free(ui);
	return rc;
}
