/* cmd_keys.c - keygen, recipient and trust. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/age.h"
#include "airlock/passphrase.h"
#include "cli.h"

static const struct cmd_help keygen_help = {
	"keygen [--no-passphrase | --passphrase-file F] [--import FILE [--import-passphrase-file F]]",
	"Makes the site's age X25519 identity as HOME/site.key (mode 0600, encrypted\n"
	"with a passphrase under scrypt unless --no-passphrase), writes its recipient\n"
	"to HOME/site.recipient and prints it: give it to the signer.\n"
	"  --import FILE                 take the identity from an age-keygen file\n"
	"  --import-passphrase-file F    passphrase of FILE if it is encrypted (age -p)\n"
	"  -n, --no-passphrase           store the key unencrypted\n"
	"  -p, --passphrase-file F       read the new passphrase from F (first line)\n",
};

static int keygen_finish(struct cli *c, const char *rcp)
{
	if (c->json)
		return cli_json_print(json_pack("{s:s, s:s}", "result", "ok", "recipient", rcp));
	printf("%s\n", rcp);
	fprintf(stderr, PROG ": site key written to %s/site.key; recipient above (also in"
	    " site.recipient)\n", c->home);
	return 0;
}

static enum airlock_code keygen_run(struct cli *c, const char *import, const char *import_pf,
    int nopass, char rcp[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err)
{
	char *pass = NULL, *ipass = NULL;
	enum airlock_code rc = AIRLOCK_OK;
	if (import != NULL) {
		int enc = airlock_age_identity_file_is_encrypted(import, err);
		if (enc < 0)
			return err->code;
		if (enc)
			rc = airlock_passphrase_get(&ipass, import_pf, "Passphrase of the imported key: ", 0, err);
	}
	if (rc == AIRLOCK_OK && !nopass)
		rc = airlock_passphrase_get(&pass, c->passfile, "New site key passphrase: ", 1, err);
	if (rc == AIRLOCK_OK && import != NULL)
		rc = airlock_importer_key_import(c->im, import, ipass, pass, cli_kdf_cost(), rcp, err);
	else if (rc == AIRLOCK_OK)
		rc = airlock_importer_keygen(c->im, pass, cli_kdf_cost(), rcp, err);
	airlock_passphrase_free(pass);
	airlock_passphrase_free(ipass);
	return rc;
}

int cmd_keygen(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG,
	    { "no-passphrase", no_argument, NULL, 'n' }, { "import", required_argument, NULL, 'i' },
	    { "import-passphrase-file", required_argument, NULL, 'I' }, { NULL, 0, NULL, 0 } };
	const char *import = NULL, *import_pf = NULL;
	int nopass = 0, opt, r;
	char rcp[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	struct airlock_err err;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjp:ni:I:", opts, NULL)) != -1) {
		if (opt == 'n')
			nopass = 1;
		else if (opt == 'i')
			import = optarg;
		else if (opt == 'I')
			import_pf = optarg;
		else if ((r = cli_common(c, &keygen_help, opt)) >= 0)
			return r;
	}
	if (optind != argc)
		return cli_usage(&keygen_help, "unexpected argument '%s'", argv[optind]);
	if (nopass && c->passfile)
		return cli_usage(&keygen_help, "--no-passphrase and --passphrase-file exclude each other");
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    keygen_run(c, import, import_pf, nopass, rcp, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	return keygen_finish(c, rcp);
}

static const struct cmd_help recipient_help = {
	"recipient [--json]",
	"Prints the site's recipient (age1...), what signers encrypt to.\n",
};

int cmd_recipient(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r;
	char rcp[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	struct airlock_err err;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1)
		if ((r = cli_common(c, &recipient_help, opt)) >= 0)
			return r;
	if (optind != argc)
		return cli_usage(&recipient_help, "unexpected argument '%s'", argv[optind]);
	if (cli_open(c, &err) != AIRLOCK_OK || airlock_importer_recipient(c->im, rcp, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(json_pack("{s:s}", "recipient", rcp));
	printf("%s\n", rcp);
	return 0;
}

/* ---- trust ---- */

static const struct cmd_help trust_help = {
	"trust add NAME PUBKEY_FILE --feeds PATTERN[,PATTERN...] | trust list [--json] |"
	" trust revoke NAME",
	"Manages the signer keys (minisign public keys) this site trusts and the\n"
	"feeds (glob patterns) each may publish. A revoked key's bundles are refused\n"
	"whenever they were made.\n"
	"  -f, --feeds PATTERNS   comma-separated glob patterns of feed names (add)\n"
	"  -j, --json             machine-readable output (list)\n",
};

static json_t *trust_json(const struct airlock_trust_entry *t, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o}", "name",
		    t[i].name, "key_id", t[i].key_id, "pubkey", t[i].pubkey, "feeds", t[i].feeds,
		    "added", cli_json_time(t[i].added), "revoked", t[i].revoked, "revoked_at",
		    t[i].revoked ? cli_json_time(t[i].revoked_at) : json_null()));
	return json_pack("{s:o}", "signers", a);
}

static int trust_list(struct cli *c)
{
	struct airlock_trust_entry *t = NULL;
	size_t n = 0;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1];
	airlock_err_init(&err);
	if (cli_open(c, &err) != AIRLOCK_OK || airlock_importer_trust_list(c->im, &t, &n, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json) {
		int rc = cli_json_print(trust_json(t, n));
		free(t);
		return rc;
	}
	if (n == 0)
		printf("no trusted signers (add one with '" PROG " trust add')\n");
	for (size_t i = 0; i < n; i++) {
		cli_time(when, t[i].added);
		printf("%-16s %-16s %-8s added %s  feeds %s\n", t[i].name, t[i].key_id,
		    t[i].revoked ? "REVOKED" : "trusted", when, t[i].feeds);
	}
	free(t);
	return 0;
}

static int trust_report(struct cli *c, const char *what, const char *name)
{
	if (c->json)
		return cli_json_print(json_pack("{s:s, s:s, s:s}", "result", "ok", "action", what,
		    "name", name));
	printf("%s %s\n", what, name);
	return 0;
}

int cmd_trust(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG,
	    { "feeds", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	const char *feeds = NULL;
	int opt, r;
	struct airlock_err err;
	airlock_err_init(&err);
	/* glibc's getopt_long permutes: options may follow the words. */
	while ((opt = getopt_long(argc, argv, "H:hjf:", opts, NULL)) != -1) {
		if (opt == 'f')
			feeds = optarg;
		else if ((r = cli_common(c, &trust_help, opt)) >= 0)
			return r;
	}
	char **pos = argv + optind;
	int np = argc - optind;
	if (np >= 1 && strcmp(pos[0], "list") == 0 && np == 1)
		return trust_list(c);
	if (np == 4 || np == 0)
		return cli_usage(&trust_help, np ? "too many arguments" : "missing a subcommand");
	if (strcmp(pos[0], "add") == 0 && np == 3) {
		if (feeds == NULL)
			return cli_usage(&trust_help, "trust add needs --feeds");
		if (cli_open(c, &err) != AIRLOCK_OK ||
		    airlock_importer_trust_add(c->im, pos[1], pos[2], feeds, &err) != AIRLOCK_OK)
			return cli_fail_json(c, &err);
		return trust_report(c, "trusted", pos[1]);
	}
	if (strcmp(pos[0], "revoke") == 0 && np == 2) {
		if (cli_open(c, &err) != AIRLOCK_OK ||
		    airlock_importer_trust_revoke(c->im, pos[1], &err) != AIRLOCK_OK)
			return cli_fail_json(c, &err);
		return trust_report(c, "revoked", pos[1]);
	}
	return cli_usage(&trust_help, "bad trust command");
}
