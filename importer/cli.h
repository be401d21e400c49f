/* cli.h - what the airlock-importer subcommands share. Each cmd_* parses
 * its options with getopt_long, makes one or two core calls, renders text
 * or --json and returns an exit code. */
#ifndef AIRLOCK_IMPORTER_CLI_H
#define AIRLOCK_IMPORTER_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/importer.h"
#include "airlock/io.h"
#include "json_out.h"

#define PROG "airlock-importer"

struct cli {
	const char *home_opt;
	char home[PATH_MAX];
	struct airlock_importer *im;
	int json;
	const char *passfile;
	struct airlock_progress progress;
};

struct cmd_help {
	const char *usage;      /* "verify FILE [--json]" */
	const char *text;       /* the options, one per line */
};

/* Common options every command takes: -H/--home, -h/--help, and where
 * the command wants them --json (-j) and --passphrase-file (-p). */
#define CLI_COMMON_LONG \
	{ "home", required_argument, NULL, 'H' }, { "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, 'j' }, { "passphrase-file", required_argument, NULL, 'p' }

/* Handles a common option; returns -1 if handled and parsing goes on, or
 * an exit code (0 after --help, 2 for a bad option). */
int cli_common(struct cli *c, const struct cmd_help *h, int opt);
void cli_getopt_reset(void);
int cli_usage(const struct cmd_help *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_help(const struct cmd_help *h);
/* Prints error and hint, returns the exit code for err->code. */
int cli_fail(const struct airlock_err *err);
/* With --json, the error as {"result", "exit", "error", "hint"} on stdout too. */
int cli_fail_json(const struct cli *c, const struct airlock_err *err);
enum airlock_code cli_open(struct cli *c, struct airlock_err *err);
/* Reads the site key's passphrase (when it has one) and unlocks it. */
enum airlock_code cli_unlock(struct cli *c, struct airlock_err *err);
enum airlock_kdf_cost cli_kdf_cost(void);

void cli_time(char out[AIRLOCK_TIME_LEN + 1], int64_t t);

int cmd_keygen(struct cli *c, int argc, char **argv);
int cmd_recipient(struct cli *c, int argc, char **argv);
int cmd_trust(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_inbox(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_receipt(struct cli *c, int argc, char **argv);
int cmd_history(struct cli *c, int argc, char **argv);
int cmd_rollback(struct cli *c, int argc, char **argv);
int cmd_prune(struct cli *c, int argc, char **argv);
int cmd_fsck(struct cli *c, int argc, char **argv);
int cmd_quarantine(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);

#endif
