/* cmd_log.c - quarantine and audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/names.h"
#include "cli.h"

static const struct cmd_help quarantine_help = {
	"quarantine list [--json] | quarantine show ID [--json]",
	"Refused bundles: when, where from, why, and the kept copy.\n"
	"  -j, --json   machine-readable output\n",
};

static json_t *q_json(const struct airlock_quarantine_item *q)
{
	return json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", cli_json_u64(q->id),
	    "when", cli_json_time(q->when), "source", q->source, "file", q->file, "result", q->code,
	    "reason", q->reason, "bundle_id", q->bundle_id, "feed", q->feed, "signer_key_id",
	    q->signer_key_id);
}

static int q_show(struct cli *c, const char *id_text)
{
	uint64_t id;
	struct airlock_quarantine_item q;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1];
	airlock_err_init(&err);
	if (airlock_parse_u64(id_text, UINT64_MAX, &id) != 0)
		return cli_usage(&quarantine_help, "bad id '%s'", id_text);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_quarantine_show(c->im, id, &q, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(q_json(&q));
	cli_time(when, q.when);
	printf("id       %llu\nwhen     %s\nsource   %s\ncopy     %s\nresult   %s\nreason   %s\n"
	    "bundle   %s\nfeed     %s\nkey id   %s\n", (unsigned long long)q.id, when, q.source,
	    q.file[0] ? q.file : "(none)", q.code, q.reason, q.bundle_id[0] ? q.bundle_id : "(unknown)",
	    q.feed[0] ? q.feed : "(unknown)", q.signer_key_id[0] ? q.signer_key_id : "(unknown)");
	return 0;
}

static int q_list(struct cli *c)
{
	struct airlock_quarantine_item *q = NULL;
	size_t n = 0;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1];
	airlock_err_init(&err);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_quarantine_list(c->im, &q, &n, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	json_t *a = c->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		cli_time(when, q[i].when);
		if (a != NULL)
			json_array_append_new(a, q_json(&q[i]));
		else
			printf("%-4llu %s %-7s %s: %s\n", (unsigned long long)q[i].id, when, q[i].code,
			    q[i].source, q[i].reason);
	}
	free(q);
	if (a != NULL)
		return cli_json_print(json_pack("{s:o}", "quarantine", a));
	if (n == 0)
		printf("quarantine is empty\n");
	return 0;
}

int cmd_quarantine(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r;
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1)
		if ((r = cli_common(c, &quarantine_help, opt)) >= 0)
			return r;
	int np = argc - optind;
	if (np == 1 && strcmp(argv[optind], "list") == 0)
		return q_list(c);
	if (np == 2 && strcmp(argv[optind], "show") == 0)
		return q_show(c, argv[optind + 1]);
	return cli_usage(&quarantine_help, "expected 'list' or 'show ID'");
}

static const struct cmd_help audit_help = {
	"audit [--json] | audit verify [--json]",
	"The audit log: every import, refusal, trust change, rollback, prune, fsck\n"
	"and key change, with time, user, bundle id, signer key id, feed, versions\n"
	"and result. 'audit verify' recomputes the hash chain and exits 3 naming\n"
	"the first row that was edited, inserted or deleted.\n"
	"  -j, --json   machine-readable output\n",
};

static int audit_verify(struct cli *c)
{
	uint64_t rows = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_audit_verify(c->im, &rows, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	if (c->json)
		return cli_json_print(json_pack("{s:s, s:o}", "result", "ok", "rows", cli_json_u64(rows)));
	printf("audit log: %llu rows, chain intact\n", (unsigned long long)rows);
	return 0;
}

static json_t *row_json(const struct airlock_audit_row *r)
{
	return json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "seq",
	    cli_json_u64(r->seq), "when", cli_json_time(r->when), "user", r->user, "event", r->event,
	    "bundle_id", r->bundle_id, "key_id", r->key_id, "feed", r->feed, "from_version",
	    r->from_version, "to_version", r->to_version, "result", r->result, "detail", r->detail,
	    "hash", cli_json_hash(r->hash));
}

static int audit_list(struct cli *c)
{
	struct airlock_audit_row *rows = NULL;
	size_t n = 0;
	struct airlock_err err;
	char when[AIRLOCK_TIME_LEN + 1], detail[600];
	airlock_err_init(&err);
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_audit_list(c->im, &rows, &n, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	json_t *a = c->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct airlock_audit_row *r = &rows[i];
		if (a != NULL) {
			json_array_append_new(a, row_json(r));
			continue;
		}
		cli_time(when, r->when);
		airlock_escape(detail, sizeof detail, r->detail, strlen(r->detail));
		printf("%-5llu %s %-8s %-12s %-6s %s%s%s%s%s %s\n", (unsigned long long)r->seq, when,
		    r->user, r->event, r->result, r->feed, r->to_version[0] ? "@" : "",
		    r->from_version[0] ? r->from_version : "", r->from_version[0] ? "->" : "",
		    r->to_version, detail);
	}
	free(rows);
	if (a != NULL)
		return cli_json_print(json_pack("{s:o}", "audit", a));
	return 0;
}

int cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r;
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1)
		if ((r = cli_common(c, &audit_help, opt)) >= 0)
			return r;
	int np = argc - optind;
	if (np == 0)
		return audit_list(c);
	if (np == 1 && strcmp(argv[optind], "verify") == 0)
		return audit_verify(c);
	return cli_usage(&audit_help, "expected nothing or 'verify'");
}
