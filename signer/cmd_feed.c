/* cmd_feed.c - snapshot and bundle. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/names.h"
#include "airlock/passphrase.h"

static const struct cmd_help snapshot_help = {
	"snapshot FEED DIR [--json]",
	"Record the tree under DIR as FEED's next version: every file is hashed\n"
	"and copied into the object store, and the file list is recorded. The\n"
	"first snapshot creates the feed. Symlinks are stored as symlinks, never\n"
	"followed; special files, names that are not UTF-8, files over 4 GiB, an\n"
	"empty tree and files that keep changing while read are refused. A tree\n"
	"equal to the latest version makes no new version (and says so).\n\n"
	"  --json          print the result as JSON\n",
};

static int snapshot_print(const struct airlock_signer_version *v, int created, int json)
{
	char receipt[AIRLOCK_RECEIPT_MAX], prefix[17];
	airlock_receipt_format(receipt, v->feed, v->version, v->tree);
	if (json)
		return cli_json_print(json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:s}", "feed", v->feed,
		    "version", cli_json_u64(v->version), "tree", cli_json_hash(v->tree),
		    "created", created, "files", cli_json_u64(v->files),
		    "bytes", cli_json_u64(v->bytes), "receipt", receipt));
	cli_hash_prefix(prefix, 16, v->tree);
	if (!created)
		printf("unchanged: %s is still at version %llu (tree %s); no new version\n",
		    v->feed, (unsigned long long)v->version, prefix);
	else
		printf("%s version %llu, tree %s, %llu files, %llu bytes\n", v->feed,
		    (unsigned long long)v->version, prefix, (unsigned long long)v->files,
		    (unsigned long long)v->bytes);
	return 0;
}

int cmd_snapshot(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	struct airlock_err err;
	struct airlock_signer_version v;
	int opt, json = 0, rc, created = 0;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1) {
		if (opt == 'j')
			json = 1;
		else if ((rc = cli_common(c, &snapshot_help, opt)) >= 0)
			return rc;
	}
	if (argc - optind != 2)
		return cli_usage(&snapshot_help, "snapshot takes a feed name and a directory");
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_signer_snapshot(c->s, argv[optind], argv[optind + 1], &c->progress, &v,
	    &created, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	return snapshot_print(&v, created, json);
}

static const struct cmd_help bundle_help = {
	"bundle FEED --to SITE[,SITE...] [--from N | --full] -o FILE\n"
	"       [--expires DURATION] [--passphrase-file FILE] [--json]",
	"Make a bundle of FEED's latest version for the named sites: a delta\n"
	"against the version they are believed to hold (every file whole if they\n"
	"hold none), signed with signer.key and encrypted once to every site's\n"
	"recipient. Sites holding different versions are refused: bundle them\n"
	"separately or name a base with --from. Afterwards the sites are believed\n"
	"to hold the new version. The passphrase of signer.key is asked for only\n"
	"if it has one.\n\n"
	"  -t, --to SITES           the receiving sites, comma-separated\n"
	"  -o, --output FILE        the bundle file to write (never overwritten)\n"
	"      --from N             delta against version N\n"
	"      --full               every file whole (no base)\n"
	"      --expires DURATION   validity: 30d (default), 12h, 90m, 3600s\n"
	"      --passphrase-file F  read the key's passphrase from F's first line\n"
	"      --json               print the result as JSON\n",
};

struct bundle_args {
	struct airlock_signer_bundle_req req;
	char *sites_buf;
	const char *sites[AIRLOCK_SIGNER_SITES_MAX];
	const char *pfile;
	int json;
};

/* Splits "a,b,c" in place; empty names are refused. */
static int split_sites(struct bundle_args *a, char *list)
{
	a->sites_buf = list;
	a->req.nsites = 0;
	for (char *p = list;; p++) {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*p == '\0' || a->req.nsites == AIRLOCK_SIGNER_SITES_MAX)
			return -1;
		a->sites[a->req.nsites++] = p;
		if (comma == NULL)
			return 0;
		p = comma;
	}
}

static int bundle_option(struct cli *c, struct bundle_args *a, int opt)
{
	switch (opt) {
	case 't':
		return split_sites(a, optarg) == 0 ? -1 :
		    cli_usage(&bundle_help, "bad --to list '%s'", optarg);
	case 'o': a->req.output = optarg; return -1;
	case 'F': a->req.full = 1; return -1;
	case 'f':
		a->req.has_from = 1;
		return airlock_parse_u64(optarg, INT64_MAX, &a->req.from) == 0 && a->req.from > 0 ? -1 :
		    cli_usage(&bundle_help, "--from needs a version number >= 1, not '%s'", optarg);
	case 'e':
		return airlock_duration_parse(optarg, &a->req.expires_in) == 0 &&
		    a->req.expires_in > 0 ? -1 :
		    cli_usage(&bundle_help, "bad --expires '%s' (use e.g. 30d, 12h, 90m, 3600s)", optarg);
	case 'p': a->pfile = optarg; return -1;
	case 'j': a->json = 1; return -1;
	default: return cli_common(c, &bundle_help, opt);
	}
}

static int bundle_parse(struct cli *c, struct bundle_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' }, { "output", required_argument, NULL, 'o' },
		{ "full", no_argument, NULL, 'F' }, { "from", required_argument, NULL, 'f' },
		{ "expires", required_argument, NULL, 'e' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "H:hjt:o:", opts, NULL)) != -1)
		if ((rc = bundle_option(c, a, opt)) >= 0)
			return rc;
	if (argc - optind != 1)
		return cli_usage(&bundle_help, "bundle takes one feed name");
	a->req.feed = argv[optind];
	a->req.sites = a->sites;
	if (a->req.nsites == 0)
		return cli_usage(&bundle_help, "no sites: name them with --to SITE[,SITE...]");
	if (a->req.output == NULL)
		return cli_usage(&bundle_help, "no output file: name it with -o FILE");
	if (a->req.full && a->req.has_from)
		return cli_usage(&bundle_help, "--full and --from exclude each other");
	return -1;
}

static int bundle_print(const struct airlock_signer_bundle_info *b, int json)
{
	char prefix[17];
	if (json)
		return cli_json_print(json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s}",
		    "id", b->id, "feed", b->feed, "sequence", cli_json_u64(b->sequence),
		    "base", b->has_base ? cli_json_u64(b->base) : json_null(),
		    "target", cli_json_u64(b->target), "target_tree", cli_json_hash(b->target_tree),
		    "sites", b->sites, "created", cli_json_time(b->created),
		    "expires", cli_json_time(b->expires), "size", cli_json_u64(b->size),
		    "path", b->path));
	cli_hash_prefix(prefix, 8, b->target_tree);
	if (b->has_base)
		printf("%s: bundle %llu, version %llu -> %llu (tree %s)", b->feed,
		    (unsigned long long)b->sequence, (unsigned long long)b->base,
		    (unsigned long long)b->target, prefix);
	else
		printf("%s: bundle %llu, full, version %llu (tree %s)", b->feed,
		    (unsigned long long)b->sequence, (unsigned long long)b->target, prefix);
	printf(" for %s\nwrote %s (%llu bytes)\n", b->sites, b->path, (unsigned long long)b->size);
	return 0;
}

/* Asks for the passphrase only if signer.key has one, and only after the
 * request has been checked, so a typo costs no typing. */
static enum airlock_code bundle_passphrase(struct cli *c, struct bundle_args *a, char **pass,
    struct airlock_err *err)
{
	int has_base, encrypted = 0;
	uint64_t base, target;
	*pass = NULL;
	if (airlock_signer_bundle_resolve(c->s, &a->req, &has_base, &base, &target, err) != AIRLOCK_OK)
		return err->code;
	int state = airlock_signer_key_state(c->s, &encrypted, err);
	if (state < 0 || state == 0 || !encrypted)
		return err->code;   /* the bundle call says "no key" itself */
	return airlock_passphrase_get(pass, a->pfile, "Passphrase for signer.key: ", 0, err);
}

int cmd_bundle(struct cli *c, int argc, char **argv)
{
	struct bundle_args a;
	struct airlock_err err;
	struct airlock_signer_bundle_info info;
	char *pass = NULL;
	int rc;
	memset(&a, 0, sizeof a);
	airlock_err_init(&err);
	if ((rc = bundle_parse(c, &a, argc, argv)) >= 0)
		return rc;
	if (cli_open(c, &err) != AIRLOCK_OK || bundle_passphrase(c, &a, &pass, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	a.req.passphrase = pass;
	airlock_signer_bundle(c->s, &a.req, &c->progress, &info, &err);
	airlock_passphrase_free(pass);
	if (err.code != AIRLOCK_OK)
		return cli_fail(&err);
	rc = bundle_print(&info, a.json);
	airlock_signer_bundle_info_release(&info);
	return rc;
}
