/* main.c - airlock-importer: the command table, dispatch and the helpers
 * the subcommands share. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "airlock/hash.h"
#include "airlock/names.h"
#include "airlock/passphrase.h"

static const struct cmd {
	const char *name;
	int (*fn)(struct cli *, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "keygen", cmd_keygen, "make (or --import) the site's age identity" },
	{ "recipient", cmd_recipient, "print the site's recipient (age1...) for signers" },
	{ "trust", cmd_trust, "add, list or revoke trusted signer keys" },
	{ "verify", cmd_verify, "check a bundle completely; change nothing" },
	{ "import", cmd_import, "verify, apply and publish bundles (file, folder, ISO)" },
	{ "inbox", cmd_inbox, "list the bundles in a folder or ISO with a verdict each" },
	{ "status", cmd_status, "every feed: version, tree, when, by whom" },
	{ "receipt", cmd_receipt, "the FEED@VERSION:PREFIX line to carry back to the signer" },
	{ "history", cmd_history, "the versions of a feed" },
	{ "rollback", cmd_rollback, "republish a retained older version" },
	{ "prune", cmd_prune, "drop old versions and unused objects" },
	{ "fsck", cmd_fsck, "re-hash every object and tree against the catalog" },
	{ "quarantine", cmd_quarantine, "list or show refused bundles" },
	{ "audit", cmd_audit, "show or verify the audit log" },
};

/* The one piece of global state: a signal handler can only reach a
 * static. Long operations poll it through struct airlock_progress. */
static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig)
{
	(void)sig;
	cancel_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--home DIR] COMMAND [OPTIONS] [ARGS]\n"
	    "       " PROG " --version | --help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nThe home is --home DIR, else $AIRLOCK_HOME, else /var/lib/airlock/importer\n"
	    "(root) or ~/.local/share/airlock/importer. '" PROG " COMMAND --help'\n"
	    "describes a command. Exit status: 0 ok, 1 other failure, 2 usage,\n"
	    "3 verification failed, 4 refused by policy, 5 gap.\n");
}

int cli_fail(const struct airlock_err *err)
{
	fprintf(stderr, PROG ": error: %s\n", err->msg[0] ? err->msg : "unknown failure");
	if (err->hint[0] != '\0')
		fprintf(stderr, PROG ": hint: %s\n", err->hint);
	else if (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT)
		fprintf(stderr, PROG ": hint: free space where the importer home is, then retry;"
		    " nothing was changed\n");
	else if (err->sys_errno == EROFS)
		fprintf(stderr, PROG ": hint: the importer home is read-only; remount it read-write\n");
	return airlock_exit_code(err->code);
}

int cli_fail_json(const struct cli *c, const struct airlock_err *err)
{
	if (c->json) {
		json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "result", airlock_code_name(err->code),
		    "exit", airlock_exit_code(err->code), "error", err->msg, "hint", err->hint);
		cli_json_print(o);
	}
	return cli_fail(err);
}

int cli_usage(const struct cmd_help *h, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " PROG " %s\n", h->usage);
	fprintf(stderr, PROG ": hint: see '" PROG " %.*s --help'\n",
	    (int)strcspn(h->usage, " "), h->usage);
	return 2;
}

int cli_help(const struct cmd_help *h)
{
	printf("usage: " PROG " %s\n\n%s", h->usage, h->text);
	printf("  -H, --home DIR  the importer home\n"
	    "  -h, --help      show this help\n");
	return 0;
}

int cli_common(struct cli *c, const struct cmd_help *h, int opt)
{
	switch (opt) {
	case 'H':
		c->home_opt = optarg;
		return -1;
	case 'j':
		c->json = 1;
		return -1;
	case 'p':
		c->passfile = optarg;
		return -1;
	case 'h':
		return cli_help(h);
	default:
		return cli_usage(h, "invalid option");
	}
}

void cli_getopt_reset(void)
{
	optind = 0;   /* glibc: 0 also resets its internal state */
	opterr = 1;
}

enum airlock_code cli_open(struct cli *c, struct airlock_err *err)
{
	if (c->home_opt != NULL && c->home_opt[0] == '\0') {
		airlock_fail(err, AIRLOCK_E_USAGE, "--home is empty");
		return err->code;
	}
	if (c->home_opt != NULL) {
		if (airlock_path(c->home, sizeof c->home, err, "%s", c->home_opt) != AIRLOCK_OK)
			return err->code;
	} else if (airlock_importer_default_home(c->home, sizeof c->home, err) != AIRLOCK_OK) {
		return err->code;
	}
	return airlock_importer_open(&c->im, c->home, err);
}

enum airlock_code cli_unlock(struct cli *c, struct airlock_err *err)
{
	char *pass = NULL;
	int enc = airlock_importer_key_needs_passphrase(c->im, err);
	if (enc < 0)
		return err->code;
	if (enc && airlock_passphrase_get(&pass, c->passfile, "Site key passphrase: ", 0,
	    err) != AIRLOCK_OK)
		return err->code;
	enum airlock_code rc = airlock_importer_unlock(c->im, pass, err);
	airlock_passphrase_free(pass);
	return rc;
}

enum airlock_kdf_cost cli_kdf_cost(void)
{
	const char *v = getenv("AIRLOCK_KDF_COST");
	return v != NULL && strcmp(v, "interactive") == 0 ? AIRLOCK_KDF_INTERACTIVE
	    : AIRLOCK_KDF_SENSITIVE;
}

void cli_time(char out[AIRLOCK_TIME_LEN + 1], int64_t t)
{
	airlock_time_format(out, t);
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct cli c;
	int i = 1;
	memset(&c, 0, sizeof c);
	c.progress.cancel = &cancel_requested;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf(PROG " " AIRLOCK_VERSION "\n");
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if ((strcmp(argv[i], "--home") == 0 || strcmp(argv[i], "-H") == 0) && i + 1 < argc) {
			c.home_opt = argv[++i];
		} else if (strncmp(argv[i], "--home=", 7) == 0) {
			c.home_opt = argv[i] + 7;
		} else {
			fprintf(stderr, PROG ": error: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const struct cmd *cmd = find_cmd(argv[i]);
	if (cmd == NULL) {
		fprintf(stderr, PROG ": error: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, PROG ": error: cannot initialise libsodium\n");
		return 1;
	}
	setup_signals();
	cli_getopt_reset();
	int rc = cmd->fn(&c, argc - i, argv + i);
	airlock_importer_close(c.im);
	return rc;
}
