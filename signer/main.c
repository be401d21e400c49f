/* main.c - airlock-signer: the command table, dispatch and the helpers
 * the subcommands share. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "airlock/hash.h"
#include "airlock/names.h"

static const struct cmd {
	const char *name;
	int (*fn)(struct cli *, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "create the signer home (catalog and object store)" },
	{ "keygen", cmd_keygen, "make the minisign signing key pair" },
	{ "site", cmd_site, "add, list, update or remove receiving sites" },
	{ "snapshot", cmd_snapshot, "record a directory as a feed's next version" },
	{ "bundle", cmd_bundle, "make a signed, encrypted delta bundle for sites" },
	{ "status", cmd_status, "show the key, feeds, sites and store" },
	{ "log", cmd_log, "list the bundles issued" },
	{ "prune", cmd_prune, "drop old versions and the objects only they used" },
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
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nThe home is --home DIR, else $AIRLOCK_HOME, else ~/" AIRLOCK_SIGNER_HOME_DEFAULT ".\n"
	    "'" PROG " COMMAND --help' describes a command. Exit status: 0 success,\n"
	    "2 usage error, 1 any other failure.\n");
}

int cli_fail(const struct airlock_err *err)
{
	fprintf(stderr, PROG ": error: %s\n", err->msg[0] ? err->msg : "unknown failure");
	if (err->hint[0] != '\0')
		fprintf(stderr, PROG ": hint: %s\n", err->hint);
	/* The signer documents only 0, 1 and 2: every failure that is not a
	 * usage error is 1. */
	return airlock_exit_code(err->code) == 2 ? 2 : 1;
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
	printf("\n  -H, --home DIR  the signer home (default $AIRLOCK_HOME, else\n"
	    "                  ~/" AIRLOCK_SIGNER_HOME_DEFAULT ")\n"
	    "  -h, --help      show this help\n");
	return 0;
}

int cli_common(struct cli *c, const struct cmd_help *h, int opt)
{
	if (opt == 'H') {
		c->home_opt = optarg;
		return -1;
	}
	if (opt == 'h')
		return cli_help(h);
	return cli_usage(h, "invalid option");
}

void cli_getopt_reset(void)
{
	optind = 0;   /* glibc: 0 also resets its internal state */
	opterr = 1;
}

enum airlock_code cli_home(struct cli *c, struct airlock_err *err)
{
	if (c->home_opt != NULL && c->home_opt[0] == '\0') {
		airlock_fail(err, AIRLOCK_E_USAGE, "--home is empty");
		airlock_hint(err, "give a directory, e.g. --home /var/lib/airlock/signer");
		return err->code;
	}
	if (c->home_opt != NULL)
		return airlock_path(c->home, sizeof c->home, err, "%s", c->home_opt);
	return airlock_signer_default_home(c->home, sizeof c->home, err);
}

enum airlock_code cli_open(struct cli *c, struct airlock_err *err)
{
	if (cli_home(c, err) != AIRLOCK_OK)
		return err->code;
	return airlock_signer_open(&c->s, c->home, err);
}

void cli_hash_prefix(char *out, size_t n, const uint8_t h[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, h);
	snprintf(out, n + 1, "%s", hex);
}

static json_t *holding_json(const struct airlock_signer_holding *h)
{
	char receipt[AIRLOCK_RECEIPT_MAX];
	airlock_receipt_format(receipt, h->feed, h->version, h->tree);
	return json_pack("{s:s, s:o, s:o, s:s, s:o, s:b}", "feed", h->feed,
	    "version", cli_json_u64(h->version), "tree", cli_json_hash(h->tree),
	    "receipt", receipt, "since", cli_json_time(h->since), "retained", h->retained);
}

json_t *cli_json_sites(const struct airlock_signer_site_list *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < l->n; i++) {
		const struct airlock_signer_site *s = &l->sites[i];
		json_t *holds = json_array();
		for (size_t j = 0; holds != NULL && j < s->nholdings; j++)
			json_array_append_new(holds, holding_json(&s->holdings[j]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o*}", "name", s->name,
		    "recipient", s->recipient, "added", cli_json_time(s->added), "holds", holds));
	}
	return arr;
}

static int run(struct cli *c, const struct cmd *cmd, int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c->cancel = &cancel_requested;
	c->progress = (struct airlock_progress){ .fn = NULL, .ctx = NULL, .cancel = &cancel_requested };
	cli_getopt_reset();
	int rc = cmd->fn(c, argc, argv);
	airlock_signer_close(c->s);
	c->s = NULL;
	if (fflush(stdout) != 0 && rc == 0) {
		perror(PROG ": error: cannot write the output");
		rc = 1;
	}
	return rc;
}

/* Options before the command: --home DIR, --help, --version. Returns the
 * index of the command, or -(exit code + 1) when done. */
static int global_options(struct cli *c, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf(PROG " " AIRLOCK_VERSION "\n");
			return -1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return -1;
		} else if ((strcmp(a, "--home") == 0 || strcmp(a, "-H") == 0) && i + 1 < argc) {
			c->home_opt = argv[++i];
		} else if (strncmp(a, "--home=", 7) == 0) {
			c->home_opt = a + 7;
		} else {
			fprintf(stderr, PROG ": error: unknown option '%s'\n", a);
			usage(stderr);
			return -3;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof c);
	if (sodium_init() < 0) {
		fprintf(stderr, PROG ": error: cannot initialize libsodium\n");
		return 1;
	}
	int first = global_options(&c, argc, argv);
	if (first < 0)
		return -first - 1;
	if (first >= argc) {
		fprintf(stderr, PROG ": error: no command given\n");
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[first], commands[i].name) == 0)
			return run(&c, &commands[i], argc - first, argv + first);
	fprintf(stderr, PROG ": error: unknown command '%s'\n", argv[first]);
	usage(stderr);
	return 2;
}
