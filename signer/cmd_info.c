/* cmd_info.c - status, log and prune. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/names.h"

/* The loop every read-only command shares: --json, --home, --help. */
static int json_options(struct cli *c, const struct cmd_help *h, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1) {
		if (opt == 'j')
			*json = 1;
		else if ((rc = cli_common(c, h, opt)) >= 0)
			return rc;
	}
	return -1;
}

static const struct cmd_help status_help = {
	"status [--json]",
	"Show the signing key, every feed (latest version, versions retained,\n"
	"last bundle sequence), every site and what it is believed to hold, and\n"
	"the size of the object store.\n\n"
	"  --json          print the result as JSON\n",
};

static json_t *feed_json(const struct airlock_signer_feed_status *f)
{
	const struct airlock_signer_version *v = &f->latest;
	return json_pack("{s:s, s:{s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "name", f->name,
	    "latest", "version", cli_json_u64(v->version), "tree", cli_json_hash(v->tree),
	    "created", cli_json_time(v->created), "files", cli_json_u64(v->files),
	    "bytes", cli_json_u64(v->bytes), "versions", cli_json_u64(f->versions),
	    "retained", cli_json_u64(f->retained), "oldest_retained", cli_json_u64(f->oldest_retained),
	    "last_sequence", cli_json_u64(f->last_sequence));
}

static int status_json(const struct cli *c, const struct airlock_signer_status *st)
{
	json_t *feeds = json_array();
	for (size_t i = 0; feeds != NULL && i < st->nfeeds; i++)
		json_array_append_new(feeds, feed_json(&st->feeds[i]));
	return cli_json_print(json_pack("{s:s, s:{s:b, s:b, s:s}, s:o*, s:o*, s:o, s:o, s:o}",
	    "home", c->home, "key", "present", st->has_key, "encrypted", st->key_encrypted,
	    "key_id", st->key_id, "feeds", feeds, "sites", cli_json_sites(&st->sites),
	    "bundles", cli_json_u64(st->bundles), "objects", cli_json_u64(st->objects),
	    "object_bytes", cli_json_u64(st->object_bytes)));
}

static void status_text(const struct cli *c, const struct airlock_signer_status *st)
{
	char prefix[17], receipt[AIRLOCK_RECEIPT_MAX];
	printf("home     %s\n", c->home);
	if (st->has_key)
		printf("key      %s (%s)\n", st->key_id, st->key_encrypted ? "passphrase" : "no passphrase");
	else
		printf("key      none: run '" PROG " keygen'\n");
	printf("feeds    %zu\n", st->nfeeds);
	for (size_t i = 0; i < st->nfeeds; i++) {
		const struct airlock_signer_feed_status *f = &st->feeds[i];
		cli_hash_prefix(prefix, 16, f->latest.tree);
		printf("  %s  version %llu (tree %s), %llu files, %llu bytes; retained %llu..%llu; "
		    "last bundle %llu\n", f->name, (unsigned long long)f->latest.version, prefix,
		    (unsigned long long)f->latest.files, (unsigned long long)f->latest.bytes,
		    (unsigned long long)f->oldest_retained, (unsigned long long)f->latest.version,
		    (unsigned long long)f->last_sequence);
	}
	printf("sites    %zu\n", st->sites.n);
	for (size_t i = 0; i < st->sites.n; i++) {
		const struct airlock_signer_site *s = &st->sites.sites[i];
		printf("  %s  %s\n", s->name, s->recipient);
		for (size_t j = 0; j < s->nholdings; j++) {
			airlock_receipt_format(receipt, s->holdings[j].feed, s->holdings[j].version,
			    s->holdings[j].tree);
			printf("      holds %s\n", receipt);
		}
	}
	printf("bundles  %llu\nobjects  %llu (%llu bytes)\n", (unsigned long long)st->bundles,
	    (unsigned long long)st->objects, (unsigned long long)st->object_bytes);
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct airlock_err err;
	struct airlock_signer_status st;
	int json = 0, rc;
	airlock_err_init(&err);
	if ((rc = json_options(c, &status_help, argc, argv, &json)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage(&status_help, "unexpected argument '%s'", argv[optind]);
	if (cli_open(c, &err) != AIRLOCK_OK || airlock_signer_status(c->s, &st, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	rc = 0;
	if (json)
		rc = status_json(c, &st);
	else
		status_text(c, &st);
	airlock_signer_status_release(&st);
	return rc;
}

static const struct cmd_help log_help = {
	"log [FEED] [--json]",
	"List the bundles issued, oldest first (only FEED's if given): id, feed,\n"
	"sequence, base and target versions, sites, created, expires, size, path.\n\n"
	"  --json          print the result as JSON\n",
};

static json_t *log_entry_json(const struct airlock_signer_bundle_info *b)
{
	json_t *sites = json_array();
	for (const char *p = b->sites; sites != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		json_array_append_new(sites, json_stringn(p, len));
		p += len + (p[len] == ',');
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o*, s:o, s:o, s:o, s:s}", "id", b->id,
	    "feed", b->feed, "sequence", cli_json_u64(b->sequence),
	    "base", b->has_base ? cli_json_u64(b->base) : json_null(),
	    "target", cli_json_u64(b->target), "target_tree", cli_json_hash(b->target_tree),
	    "sites", sites, "created", cli_json_time(b->created),
	    "expires", cli_json_time(b->expires), "size", cli_json_u64(b->size), "path", b->path);
}

static void log_entry_text(const struct airlock_signer_bundle_info *b)
{
	char created[AIRLOCK_TIME_LEN + 1], expires[AIRLOCK_TIME_LEN + 1], base[24];
	airlock_time_format(created, b->created);
	airlock_time_format(expires, b->expires);
	if (b->has_base)
		snprintf(base, sizeof base, "%llu", (unsigned long long)b->base);
	else
		snprintf(base, sizeof base, "full");
	printf("%s  %s #%llu  %s -> %llu  to %s  %s  expires %s  %llu bytes  %s\n", b->id, b->feed,
	    (unsigned long long)b->sequence, base, (unsigned long long)b->target, b->sites, created,
	    expires, (unsigned long long)b->size, b->path);
}

/* An unknown feed is an error, not an empty log. */
static enum airlock_code feed_check(struct airlock_signer *s, const char *feed,
    struct airlock_err *err)
{
	struct airlock_signer_version *v = NULL;
	size_t n;
	airlock_signer_versions(s, feed, &v, &n, err);
	free(v);
	return err->code;
}

int cmd_log(struct cli *c, int argc, char **argv)
{
	struct airlock_err err;
	struct airlock_signer_bundle_info *list = NULL;
	size_t n = 0;
	int json = 0, rc;
	airlock_err_init(&err);
	if ((rc = json_options(c, &log_help, argc, argv, &json)) >= 0)
		return rc;
	if (argc - optind > 1)
		return cli_usage(&log_help, "log takes at most one feed name");
	const char *feed = argc - optind == 1 ? argv[optind] : NULL;
	rc = 0;
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    (feed != NULL && feed_check(c->s, feed, &err) != AIRLOCK_OK) ||
	    airlock_signer_log(c->s, feed, &list, &n, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; arr != NULL && i < n; i++)
			json_array_append_new(arr, log_entry_json(&list[i]));
		rc = cli_json_print(json_pack("{s:o*}", "bundles", arr));
	} else if (n == 0) {
		printf("no bundles issued yet\n");
	}
	for (size_t i = 0; !json && i < n; i++)
		log_entry_text(&list[i]);
	airlock_signer_log_free(list, n);
	return rc;
}

static const struct cmd_help prune_help = {
	"prune --keep N [--json]",
	"Keep the newest N versions of every feed, and every version a site is\n"
	"believed to hold (so its next bundle can still be a delta); drop the file\n"
	"lists of the others and every object no kept version uses. Pruned\n"
	"versions keep their number and tree hash, so receipts still check.\n\n"
	"  --keep N        versions to keep per feed (at least 1)\n"
	"  --json          print the result as JSON\n",
};

int cmd_prune(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 },
	};
	struct airlock_err err;
	struct airlock_signer_prune_result r;
	uint64_t keep = 0;
	int opt, json = 0, rc, have_keep = 0;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjk:", opts, NULL)) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'k' && (airlock_parse_u64(optarg, INT64_MAX, &keep) != 0 || keep < 1))
			return cli_usage(&prune_help, "--keep needs a number >= 1, not '%s'", optarg);
		else if (opt == 'k')
			have_keep = 1;
		else if ((rc = cli_common(c, &prune_help, opt)) >= 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage(&prune_help, "unexpected argument '%s'", argv[optind]);
	if (!have_keep)
		return cli_usage(&prune_help, "say how many versions to keep with --keep N");
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_signer_prune(c->s, keep, &c->progress, &r, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	if (json)
		return cli_json_print(json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "versions_pruned", cli_json_u64(r.versions_pruned),
		    "versions_kept", cli_json_u64(r.versions_kept), "held_kept", cli_json_u64(r.held_kept),
		    "objects_removed", cli_json_u64(r.objects_removed),
		    "bytes_freed", cli_json_u64(r.bytes_freed)));
	printf("pruned %llu versions; kept %llu (%llu of them because a site holds them); "
	    "removed %llu objects, %llu bytes\n", (unsigned long long)r.versions_pruned,
	    (unsigned long long)r.versions_kept, (unsigned long long)r.held_kept,
	    (unsigned long long)r.objects_removed, (unsigned long long)r.bytes_freed);
	return 0;
}
