/* cmd_store.c - status, receipt, history, rollback, prune and fsck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/names.h"
#include "cli.h"

static void age_text(char *out, size_t n, int64_t since)
{
	int64_t d = (int64_t)time(NULL) - since;
	if (d < 0)
		d = 0;
	if (d < 3600)
		snprintf(out, n, "%lldm", (long long)(d / 60));
	else if (d < 172800)
		snprintf(out, n, "%lldh", (long long)(d / 3600));
	else
		snprintf(out, n, "%lldd", (long long)(d / 86400));
}

static int simple_opts(struct cli *c, const struct cmd_help *h, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r;
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1)
		if ((r = cli_common(c, h, opt)) >= 0)
			return r;
	return -1;
}

static const struct cmd_help status_help = {
	"status [--json]",
	"Every feed: published version, tree hash, when it was imported, who signed\n"
	"it, how old the bundle's data is, and the receipt.\n"
	"  -j, --json   machine-readable output\n",
};

static json_t *status_json(const struct airlock_feed_status *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
		    " s:{s:s, s:s}, s:s, s:s, s:I}", "feed", f[i].feed, "version", cli_json_u64(f[i].version),
		    "tree", cli_json_hash(f[i].tree), "files", cli_json_u64(f[i].files), "bytes",
		    cli_json_u64(f[i].bytes), "highest_version", cli_json_u64(f[i].highest_version),
		    "sequence", cli_json_u64(f[i].last_sequence), "imported", cli_json_time(f[i].imported),
		    "created", cli_json_time(f[i].created), "signer", "name", f[i].signer_name, "key_id",
		    f[i].signer_key_id, "bundle_id", f[i].bundle_id, "receipt", f[i].receipt,
		    "age_seconds", (json_int_t)((int64_t)time(NULL) - f[i].created)));
	return json_pack("{s:o}", "feeds", a);
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct airlock_feed_status *f = NULL;
	size_t n = 0;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1], age[32];
	int r = simple_opts(c, &status_help, argc, argv);
	airlock_err_init(&err);
	if (r >= 0)
		return r;
	if (optind != argc)
		return cli_usage(&status_help, "unexpected argument '%s'", argv[optind]);
	if (cli_open(c, &err) != AIRLOCK_OK || airlock_importer_status(c->im, &f, &n, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json) {
		r = cli_json_print(status_json(f, n));
		free(f);
		return r;
	}
	if (n == 0)
		printf("no feeds yet (import a full bundle first)\n");
	for (size_t i = 0; i < n; i++) {
		cli_time(when, f[i].imported);
		age_text(age, sizeof age, f[i].created);
		printf("%-20s v%-6llu %s  imported %s  signed by %s (%s)  data %s old  %llu files\n",
		    f[i].feed, (unsigned long long)f[i].version, f[i].receipt, when, f[i].signer_name,
		    f[i].signer_key_id, age, (unsigned long long)f[i].files);
	}
	free(f);
	return 0;
}

static const struct cmd_help receipt_help = {
	"receipt [FEED]",
	"Prints FEED@VERSION:PREFIX for the published version, the line a site\n"
	"carries back to the signer ('airlock-signer site set' takes it). FEED may\n"
	"be left out when the store holds one feed.\n",
};

int cmd_receipt(struct cli *c, int argc, char **argv)
{
	char out[AIRLOCK_RECEIPT_MAX];
	struct airlock_err err;
	int r = simple_opts(c, &receipt_help, argc, argv);
	airlock_err_init(&err);
	if (r >= 0)
		return r;
	if (argc - optind > 1)
		return cli_usage(&receipt_help, "at most one feed");
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_receipt(c->im, optind < argc ? argv[optind] : NULL, out, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(json_pack("{s:s}", "receipt", out));
	printf("%s\n", out);
	return 0;
}

static const struct cmd_help history_help = {
	"history FEED [--json]",
	"The versions of a feed, newest first: which is published, which are\n"
	"retained for rollback.\n"
	"  -j, --json   machine-readable output\n",
};

int cmd_history(struct cli *c, int argc, char **argv)
{
	struct airlock_version_info *v = NULL;
	size_t n = 0;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1], rc[AIRLOCK_RECEIPT_MAX];
	int r = simple_opts(c, &history_help, argc, argv);
	airlock_err_init(&err);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return cli_usage(&history_help, "give one feed");
	const char *feed = argv[optind];
	if (cli_open(c, &err) != AIRLOCK_OK || airlock_importer_history(c->im, feed, &v, &n, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	json_t *a = c->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		airlock_receipt_format(rc, feed, v[i].version, v[i].tree);
		cli_time(when, v[i].imported);
		char changes[80] = "changes unknown";
		if (v[i].has_changes)
			snprintf(changes, sizeof changes, "+%llu ~%llu -%llu",
			    (unsigned long long)v[i].added, (unsigned long long)v[i].changed,
			    (unsigned long long)v[i].removed);
		if (a != NULL) {
			json_t *o = json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:s,"
			    " s:{s:s, s:s}, s:b, s:b}", "version", cli_json_u64(v[i].version), "tree",
			    cli_json_hash(v[i].tree), "receipt", rc, "files", cli_json_u64(v[i].files),
			    "bytes", cli_json_u64(v[i].bytes), "imported", cli_json_time(v[i].imported),
			    "created", cli_json_time(v[i].created), "bundle_id", v[i].bundle_id, "signer",
			    "name", v[i].signer_name, "key_id", v[i].signer_key_id, "retained",
			    v[i].retained, "published", v[i].published);
			json_object_set_new(o, "changes", v[i].has_changes ? json_pack("{s:o, s:o, s:o}",
			    "added", cli_json_u64(v[i].added), "changed", cli_json_u64(v[i].changed),
			    "removed", cli_json_u64(v[i].removed)) : json_null());
			json_array_append_new(a, o);
		} else
			printf("%s %-28s imported %s  %-9s %-20s %s\n", v[i].published ? "*" : " ", rc,
			    when, v[i].retained ? "retained" : "pruned", changes, v[i].signer_name);
	}
	free(v);
	if (a != NULL)
		return cli_json_print(json_pack("{s:s, s:o}", "feed", feed, "versions", a));
	return 0;
}

static const struct cmd_help rollback_help = {
	"rollback FEED [VERSION]",
	"Republishes a retained older version atomically (default: the newest one\n"
	"older than the published version). A later bundle must still be newer than\n"
	"the highest version ever accepted.\n",
};

int cmd_rollback(struct cli *c, int argc, char **argv)
{
	uint64_t want = 0, got = 0;
	struct airlock_err err;
	int r = simple_opts(c, &rollback_help, argc, argv);
	airlock_err_init(&err);
	if (r >= 0)
		return r;
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(&rollback_help, "give a feed and optionally a version");
	if (argc - optind == 2 && (airlock_parse_u64(argv[optind + 1], UINT64_MAX, &want) != 0 || want == 0))
		return cli_usage(&rollback_help, "bad version '%s'", argv[optind + 1]);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_rollback(c->im, argv[optind], want, &got, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(json_pack("{s:s, s:s, s:o}", "result", "ok", "feed", argv[optind],
		    "published", cli_json_u64(got)));
	printf("%s: version %llu published\n", argv[optind], (unsigned long long)got);
	return 0;
}

static const struct cmd_help prune_help = {
	"prune [--keep N] [--json]",
	"Keeps, per feed, the published version and the N newest older ones (default\n"
	"3); removes older trees and every object no retained version uses.\n"
	"  -k, --keep N   versions to keep besides the published one\n",
};

int cmd_prune(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { "keep", required_argument, NULL, 'k' },
	    { NULL, 0, NULL, 0 } };
	uint64_t keep = AIRLOCK_IMPORTER_KEEP_DEFAULT, nv = 0, no = 0;
	int opt, r;
	struct airlock_err err;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjk:", opts, NULL)) != -1) {
		if (opt == 'k') {
			if (airlock_parse_u64(optarg, 1000000, &keep) != 0)
				return cli_usage(&prune_help, "bad --keep '%s'", optarg);
		} else if ((r = cli_common(c, &prune_help, opt)) >= 0) {
			return r;
		}
	}
	if (optind != argc)
		return cli_usage(&prune_help, "unexpected argument '%s'", argv[optind]);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_prune(c->im, (unsigned)keep, &nv, &no, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(json_pack("{s:s, s:o, s:o}", "result", "ok", "versions_removed",
		    cli_json_u64(nv), "objects_removed", cli_json_u64(no)));
	printf("removed %llu versions and %llu objects\n", (unsigned long long)nv,
	    (unsigned long long)no);
	return 0;
}

static const struct cmd_help fsck_help = {
	"fsck [--json]",
	"Re-hashes every stored object and checks every retained tree and published\n"
	"link against the catalog. Exits 3 naming each mismatch.\n"
	"  -j, --json   machine-readable output\n",
};

int cmd_fsck(struct cli *c, int argc, char **argv)
{
	struct airlock_fsck_problem *p = NULL;
	size_t n = 0;
	struct airlock_err err;
	int r = simple_opts(c, &fsck_help, argc, argv);
	airlock_err_init(&err);
	if (r >= 0)
		return r;
	if (optind != argc)
		return cli_usage(&fsck_help, "unexpected argument '%s'", argv[optind]);
	if (cli_open(c, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	enum airlock_code rc = airlock_importer_fsck(c->im, &c->progress, &p, &n, &err);
	if (rc != AIRLOCK_OK && rc != AIRLOCK_E_VERIFY)
		return cli_fail_json(c, &err);
	json_t *a = c->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (a != NULL)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "what", p[i].what, "where",
			    p[i].where, "detail", p[i].detail));
		else
			fprintf(stderr, PROG ": fsck: %s %s: %s\n", p[i].what, p[i].where, p[i].detail);
	}
	free(p);
	if (a != NULL)
		cli_json_print(json_pack("{s:s, s:i, s:o}", "result", n ? "verify" : "ok", "exit",
		    n ? 3 : 0, "problems", a));
	else if (n == 0)
		printf("fsck: store is consistent\n");
	return n ? cli_fail(&err) : 0;
}
