/* cmd_keys.c - init and keygen. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/minisign.h"
#include "airlock/passphrase.h"

static const struct cmd_help init_help = {
	"init [--json]",
	"Create the signer home: the SQLite catalog and the object store.\n"
	"An existing home is left alone (and is an error).\n\n"
	"  --json          print the result as JSON\n",
};

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	struct airlock_err err;
	int opt, json = 0, rc;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1) {
		if (opt == 'j')
			json = 1;
		else if ((rc = cli_common(c, &init_help, opt)) >= 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage(&init_help, "unexpected argument '%s'", argv[optind]);
	if (cli_home(c, &err) != AIRLOCK_OK || airlock_signer_init(c->home, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	if (json)
		return cli_json_print(json_pack("{s:s}", "home", c->home));
	printf("initialized signer home %s\n", c->home);
	printf("next: " PROG " keygen, then " PROG " site add NAME age1...\n");
	return 0;
}

static const struct cmd_help keygen_help = {
	"keygen [--no-passphrase | --passphrase-file FILE] [--json]",
	"Make the Ed25519 signing key pair in minisign's formats: signer.key\n"
	"(mode 0600, encrypted with a passphrase by scrypt as minisign does) and\n"
	"signer.pub in the home. The passphrase is read twice from the terminal\n"
	"unless a file gives it. An existing key is never overwritten.\n"
	"AIRLOCK_KDF_COST=interactive selects a cheap scrypt cost (tests only).\n\n"
	"  --passphrase-file FILE  read the passphrase from FILE's first line\n"
	"  --no-passphrase         store the secret key unencrypted\n"
	"  --json                  print the result as JSON\n",
};

/* AIRLOCK_KDF_COST: unset or "sensitive" is minisign's cost. */
static int kdf_cost(enum airlock_kdf_cost *cost)
{
	const char *env = getenv("AIRLOCK_KDF_COST");
	*cost = AIRLOCK_KDF_SENSITIVE;
	if (env == NULL || env[0] == '\0' || strcmp(env, "sensitive") == 0)
		return 0;
	if (strcmp(env, "interactive") == 0) {
		*cost = AIRLOCK_KDF_INTERACTIVE;
		return 0;
	}
	return -1;
}

static int keygen_print(const struct cli *c, const struct airlock_minisign_pub *pub,
    int encrypted, int json)
{
	char id[AIRLOCK_MINISIGN_KEYID_HEX], b64[57];
	airlock_minisign_key_id_format(id, pub->key_id);
	airlock_minisign_pub_base64(b64, pub);
	if (json)
		return cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:b}", "secret_key_file",
		    AIRLOCK_SIGNER_KEY, "public_key_file", AIRLOCK_SIGNER_PUB, "key_id", id,
		    "public_key", b64, "encrypted", encrypted));
	printf("key id %s\npublic key %s/%s:\n%s\n", id, c->home, AIRLOCK_SIGNER_PUB, b64);
	printf("give signer.pub to the importers that will trust this signer\n");
	return 0;
}

int cmd_keygen(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-passphrase", no_argument, NULL, 'n' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	struct airlock_err err;
	struct airlock_minisign_pub pub;
	enum airlock_kdf_cost cost;
	const char *pfile = NULL;
	char *pass = NULL;
	int opt, json = 0, none = 0, rc;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjnp:", opts, NULL)) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'n')
			none = 1;
		else if (opt == 'p')
			pfile = optarg;
		else if ((rc = cli_common(c, &keygen_help, opt)) >= 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage(&keygen_help, "unexpected argument '%s'", argv[optind]);
	if (none && pfile != NULL)
		return cli_usage(&keygen_help, "--no-passphrase and --passphrase-file exclude each other");
	if (kdf_cost(&cost) != 0)
		return cli_usage(&keygen_help, "AIRLOCK_KDF_COST must be 'interactive' or 'sensitive'");
	if (cli_open(c, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	if (airlock_signer_key_state(c->s, NULL, &err) != 0) {
		if (err.code == AIRLOCK_OK) {
			airlock_fail(&err, AIRLOCK_E_FAILED, "this signer has a key already");
			airlock_hint(&err, "a key is never overwritten; to replace it, move signer.key "
			    "and signer.pub out of %s first", c->home);
		}
		return cli_fail(&err);
	}
	if (!none && airlock_passphrase_get(&pass, pfile, "Passphrase for the new signing key: ",
	    1, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	airlock_signer_keygen(c->s, pass, cost, &pub, &err);
	airlock_passphrase_free(pass);
	if (err.code != AIRLOCK_OK)
		return cli_fail(&err);
	return keygen_print(c, &pub, !none, json);
}
