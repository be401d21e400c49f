/* cli.h - shared by the airlock-signer subcommands (the files in signer/). Each
 * command parses its options, makes one or two core calls and prints
 * text or --json; it returns the process exit code. */
#ifndef AIRLOCK_SIGNER_CLI_H
#define AIRLOCK_SIGNER_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <signal.h>

#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/signer.h"
#include "json_out.h"

#define PROG "airlock-signer"

struct cli {
	const char *home_opt;          /* --home given before or after the command */
	char home[AIRLOCK_SIGNER_PATH_MAX];
	struct airlock_signer *s;      /* opened by cli_open */
	struct airlock_progress progress;
	volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM */
};

/* A command's help: the usage line(s) and option descriptions. */
struct cmd_help {
	const char *usage;             /* "snapshot FEED DIR [--json]" */
	const char *text;              /* what it does, then the options */
};

/* Prints "airlock-signer: error: ..." and the hint on stderr; returns the
 * exit code for the error. */
int cli_fail(const struct airlock_err *err);
/* A usage error: the message, the command's usage line and a hint to
 * --help on stderr; returns 2. */
int cli_usage(const struct cmd_help *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* --help: prints the usage and text on stdout; returns 0. */
int cli_help(const struct cmd_help *h);

/* The options every command takes (--home, --help); getopt_long's
 * long options list ends with these, and cli_common handles them. */
#define CLI_COMMON_OPTS \
	{ "home", required_argument, NULL, 'H' }, \
	{ "help", no_argument, NULL, 'h' }
/* Handles 'H', 'h' and '?' in a getopt_long loop: returns -1 when the
 * option was consumed, or the exit code to return now. */
int cli_common(struct cli *c, const struct cmd_help *h, int opt);
/* Resets getopt for a subcommand's argv. */
void cli_getopt_reset(void);

/* Resolves the home (--home, $AIRLOCK_HOME, ~/.local/share/...) into
 * c->home. */
enum airlock_code cli_home(struct cli *c, struct airlock_err *err);
/* Resolves and opens the home. */
enum airlock_code cli_open(struct cli *c, struct airlock_err *err);

/* Prints obj as indented JSON on stdout and drops the reference; returns
 * 0, or 1 if obj is NULL (out of memory). */
/* Small JSON makers. */
/* The site list as JSON (used by site list and status). */
json_t *cli_json_sites(const struct airlock_signer_site_list *l);

/* Hash prefix for text output: the first n hex digits. */
void cli_hash_prefix(char *out, size_t n, const uint8_t h[AIRLOCK_HASH_BYTES]);

/* The subcommands. */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_keygen(struct cli *c, int argc, char **argv);
int cmd_site(struct cli *c, int argc, char **argv);
int cmd_snapshot(struct cli *c, int argc, char **argv);
int cmd_bundle(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_prune(struct cli *c, int argc, char **argv);

#endif
