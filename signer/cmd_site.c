/* cmd_site.c - site add / list / set / remove. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "airlock/names.h"

static const struct cmd_help site_help = {
	"site add NAME RECIPIENT | site list [--json] | site set NAME RECEIPT | site remove NAME",
	"Manage the receiving sites.\n\n"
	"  site add NAME RECIPIENT  add a site; RECIPIENT is its age X25519 public\n"
	"                           key (\"age1...\", as age-keygen -y prints it)\n"
	"  site list                the sites and what each is believed to hold\n"
	"  site set NAME RECEIPT    record what a site holds, from the receipt its\n"
	"                           importer printed (FEED@VERSION:PREFIX, e.g.\n"
	"                           iocs@42:3f9a1c2e); the prefix must match this\n"
	"                           signer's tree hash of that version\n"
	"  site remove NAME         forget a site (the log keeps its bundles)\n\n"
	"  --json                   print the result as JSON\n",
};

/* Parses the options of any site subcommand; returns -1 to go on. */
static int site_options(struct cli *c, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1) {
		if (opt == 'j')
			*json = 1;
		else if ((rc = cli_common(c, &site_help, opt)) >= 0)
			return rc;
	}
	return -1;
}

static int site_add(struct cli *c, char **args, int json, struct airlock_err *err)
{
	if (airlock_signer_site_add(c->s, args[0], args[1], err) != AIRLOCK_OK)
		return cli_fail(err);
	if (json)
		return cli_json_print(json_pack("{s:s, s:s}", "name", args[0], "recipient", args[1]));
	printf("added site %s\n", args[0]);
	return 0;
}

static void print_site(const struct airlock_signer_site *s)
{
	char receipt[AIRLOCK_RECEIPT_MAX];
	printf("%s  %s\n", s->name, s->recipient);
	if (s->nholdings == 0)
		printf("    holds nothing yet (the first bundle will be full)\n");
	for (size_t j = 0; j < s->nholdings; j++) {
		airlock_receipt_format(receipt, s->holdings[j].feed, s->holdings[j].version,
		    s->holdings[j].tree);
		printf("    holds %s%s\n", receipt, s->holdings[j].retained ? "" : " (pruned here)");
	}
}

static int site_list(struct cli *c, int json, struct airlock_err *err)
{
	struct airlock_signer_site_list l;
	if (airlock_signer_site_list(c->s, &l, err) != AIRLOCK_OK)
		return cli_fail(err);
	int rc = 0;
	if (json)
		rc = cli_json_print(json_pack("{s:o}", "sites", cli_json_sites(&l)));
	else if (l.n == 0)
		printf("no sites; add one with '" PROG " site add NAME age1...'\n");
	for (size_t i = 0; !json && i < l.n; i++)
		print_site(&l.sites[i]);
	airlock_signer_site_list_release(&l);
	return rc;
}

static int site_set(struct cli *c, char **args, int json, struct airlock_err *err)
{
	struct airlock_signer_holding h;
	char receipt[AIRLOCK_RECEIPT_MAX];
	if (airlock_signer_site_set(c->s, args[0], args[1], &h, err) != AIRLOCK_OK)
		return cli_fail(err);
	airlock_receipt_format(receipt, h.feed, h.version, h.tree);
	if (json)
		return cli_json_print(json_pack("{s:s, s:s, s:o, s:s}", "site", args[0], "feed", h.feed,
		    "version", cli_json_u64(h.version), "receipt", receipt));
	printf("site %s holds %s\n", args[0], receipt);
	return 0;
}

static int site_remove(struct cli *c, char **args, int json, struct airlock_err *err)
{
	if (airlock_signer_site_remove(c->s, args[0], err) != AIRLOCK_OK)
		return cli_fail(err);
	if (json)
		return cli_json_print(json_pack("{s:s}", "removed", args[0]));
	printf("removed site %s\n", args[0]);
	return 0;
}

static const struct {
	const char *name;
	int nargs;
} subs[] = { { "add", 2 }, { "list", 0 }, { "set", 2 }, { "remove", 1 } };

int cmd_site(struct cli *c, int argc, char **argv)
{
	struct airlock_err err;
	int json = 0, rc;
	airlock_err_init(&err);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&site_help);
	if (argc < 2)
		return cli_usage(&site_help, "missing site command (add, list, set or remove)");
	size_t i = 0;
	while (i < sizeof subs / sizeof subs[0] && strcmp(argv[1], subs[i].name) != 0)
		i++;
	if (i == sizeof subs / sizeof subs[0])
		return cli_usage(&site_help, "unknown site command '%s'", argv[1]);
	if ((rc = site_options(c, argc - 1, argv + 1, &json)) >= 0)
		return rc;
	char **args = argv + 1 + optind;
	if (argc - 1 - optind != subs[i].nargs)
		return cli_usage(&site_help, "site %s takes %d argument%s", subs[i].name,
		    subs[i].nargs, subs[i].nargs == 1 ? "" : "s");
	if (cli_open(c, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	switch (i) {
	case 0: return site_add(c, args, json, &err);
	case 1: return site_list(c, json, &err);
	case 2: return site_set(c, args, json, &err);
	default: return site_remove(c, args, json, &err);
	}
}
