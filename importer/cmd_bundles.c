/* cmd_bundles.c - verify, import and inbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "airlock/names.h"
#include "cli.h"

json_t *verdict_json(const struct airlock_verdict *v, const char *source);
void verdict_print(const struct airlock_verdict *v, const char *source);

static json_t *info_json(const struct airlock_bundle_info *in)
{
	if (!in->have_header)
		return json_pack("{s:o}", "signer_key_id", in->signer_key_id[0]
		    ? json_string(in->signer_key_id) : json_null());
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "bundle_id", in->bundle_id, "feed", in->feed, "sequence", cli_json_u64(in->sequence),
	    "base", in->has_base ? json_pack("{s:o, s:o}", "version", cli_json_u64(in->base_version),
	    "tree", cli_json_hash(in->base_tree)) : json_null(),
	    "target", json_pack("{s:o, s:o, s:o, s:o}", "version", cli_json_u64(in->target_version),
	    "tree", cli_json_hash(in->target_tree), "files", cli_json_u64(in->target_files),
	    "bytes", cli_json_u64(in->target_bytes)),
	    "signer", json_pack("{s:s, s:s}", "name", in->signer_name, "key_id", in->signer_key_id),
	    "created", cli_json_time(in->created), "expires", cli_json_time(in->expires),
	    "size", cli_json_u64(in->size), "payload_size", cli_json_u64(in->payload_size));
	json_object_set_new(o, "recipients", json_pack("{s:o, s:b}", "count",
	    cli_json_u64(in->nrecipients), "this_site", in->for_this_site));
	json_object_set_new(o, "changes", in->have_changes ? json_pack("{s:o, s:o, s:o, s:o}",
	    "added", cli_json_u64(in->files_added), "changed", cli_json_u64(in->files_changed),
	    "removed", cli_json_u64(in->files_removed), "bytes", cli_json_u64(in->bytes_carried))
	    : json_null());
	json_object_set_new(o, "store", in->store_has_feed ? json_pack("{s:o, s:o}", "version",
	    cli_json_u64(in->store_version), "tree", cli_json_hash(in->store_tree)) : json_null());
	return o;
}

json_t *verdict_json(const struct airlock_verdict *v, const char *source)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o}", "source", source, "result",
	    v->code == AIRLOCK_OK ? "ok" : airlock_code_name(v->code), "exit",
	    airlock_exit_code(v->code), "state", airlock_inbox_state_name(v->state), "reason",
	    v->reason, "hint", v->hint, "bundle", info_json(&v->info));
}

void verdict_print(const struct airlock_verdict *v, const char *source)
{
	const struct airlock_bundle_info *in = &v->info;
	char c[AIRLOCK_TIME_LEN + 1], e[AIRLOCK_TIME_LEN + 1], tree[9];
	printf("bundle     %s\n", source);
	if (in->have_header) {
		snprintf(tree, sizeof tree, "%02x%02x%02x%02x", in->target_tree[0], in->target_tree[1],
		    in->target_tree[2], in->target_tree[3]);
		cli_time(c, in->created);
		cli_time(e, in->expires);
		if (in->has_base)
			printf("feed       %s %llu -> %llu:%s (sequence %llu)\n", in->feed,
			    (unsigned long long)in->base_version, (unsigned long long)in->target_version,
			    tree, (unsigned long long)in->sequence);
		else
			printf("feed       %s full -> %llu:%s (sequence %llu)\n", in->feed,
			    (unsigned long long)in->target_version, tree, (unsigned long long)in->sequence);
		printf("id         %s\nsigner     %s (%s)\ncreated    %s, expires %s\n", in->bundle_id,
		    in->signer_name, in->signer_key_id, c, e);
		printf("size       %llu bytes (payload %llu); %llu files, %llu bytes in the target\n",
		    (unsigned long long)in->size, (unsigned long long)in->payload_size,
		    (unsigned long long)in->target_files, (unsigned long long)in->target_bytes);
		printf("recipients %zu (this site: %s)\n", in->nrecipients, in->for_this_site ? "yes" : "no");
	}
	if (in->have_changes)
		printf("changes    %llu added, %llu changed, %llu removed, %llu bytes carried\n",
		    (unsigned long long)in->files_added, (unsigned long long)in->files_changed,
		    (unsigned long long)in->files_removed, (unsigned long long)in->bytes_carried);
	printf("verdict    %s%s%s\n", airlock_inbox_state_name(v->state), v->reason[0] ? ": " : "",
	    v->reason);
}

static const struct cmd_help verify_help = {
	"verify FILE [--json] [--passphrase-file F]",
	"Runs the whole verification of a bundle, including a dry run of applying it\n"
	"in a temporary directory. Never changes the store.\n"
	"  -j, --json               the verdict and the bundle's details as JSON\n"
	"  -p, --passphrase-file F  the site key's passphrase (else asked on the terminal)\n",
};

int cmd_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r;
	struct airlock_err err;
	struct airlock_verdict v;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjp:", opts, NULL)) != -1)
		if ((r = cli_common(c, &verify_help, opt)) >= 0)
			return r;
	if (argc - optind != 1)
		return cli_usage(&verify_help, argc == optind ? "missing the bundle" : "one bundle only");
	if (cli_open(c, &err) != AIRLOCK_OK || cli_unlock(c, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	struct airlock_bundle_ref ref = { .path = argv[optind] };
	airlock_importer_verify(c->im, &ref, &c->progress, &v, &err);
	if (c->json)
		cli_json_print(verdict_json(&v, ref.path));
	else
		verdict_print(&v, ref.path);
	return v.code == AIRLOCK_OK ? 0 : cli_fail(&err);
}

static const struct cmd_help import_help = {
	"import FILE|DIR|ISO... [--json] [--passphrase-file F]",
	"Verifies, applies and publishes bundles: a bundle file, every bundle in a\n"
	"folder, or every bundle inside an ISO 9660 image (read without mounting),\n"
	"in sequence order. A refused bundle changes nothing and goes to quarantine.\n"
	"In a folder or image, bundles already imported are skipped.\n"
	"  -j, --json               the verdicts as JSON\n"
	"  -p, --passphrase-file F  the site key's passphrase (else asked on the terminal)\n",
};

static int import_one(struct cli *c, const struct airlock_bundle_list_item *it, int many,
    json_t *arr)
{
	struct airlock_verdict v;
	struct airlock_err err;
	char src[600];
	airlock_err_init(&err);
	if (it->ref.iso_member)
		snprintf(src, sizeof src, "%s:%s", it->ref.path, it->ref.iso_member);
	else
		snprintf(src, sizeof src, "%s", it->ref.path);
	if (many && it->verdict.state == AIRLOCK_INBOX_IMPORTED) {
		if (arr != NULL)
			json_array_append_new(arr, verdict_json(&it->verdict, src));
		else
			printf("skipped    %s (already imported)\n", src);
		return 0;
	}
	airlock_importer_import(c->im, &it->ref, &c->progress, &v, &err);
	if (arr != NULL) {
		json_array_append_new(arr, verdict_json(&v, src));
	} else {
		verdict_print(&v, src);
		if (v.code == AIRLOCK_OK)
			printf("imported   %s@%llu\n", v.info.feed, (unsigned long long)v.info.target_version);
	}
	return v.code == AIRLOCK_OK ? 0 : cli_fail(&err);
}

static int import_path(struct cli *c, const char *path, json_t *arr, int *unlocked)
{
	struct airlock_bundle_list *l = NULL;
	struct airlock_err err;
	struct stat st;
	int rc = 0;
	airlock_err_init(&err);
	if (airlock_importer_list_bundles(c->im, path, &l, &err) != AIRLOCK_OK)
		return cli_fail(&err);
	int many = stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || l->n != 1 || l->items[0].ref.iso_member);
	if (l->n == 0)
		fprintf(stderr, PROG ": no bundles in '%s'\n", path);
	if (l->n > 0 && !*unlocked) {
		if (cli_unlock(c, &err) != AIRLOCK_OK) {
			airlock_bundle_list_free(l);
			return cli_fail(&err);
		}
		*unlocked = 1;
	}
	for (size_t i = 0; i < l->n && !*c->progress.cancel; i++) {
		int r = import_one(c, &l->items[i], many, arr);
		if (rc == 0)
			rc = r;
	}
	airlock_bundle_list_free(l);
	return rc;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int opt, r, rc = 0, unlocked = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hjp:", opts, NULL)) != -1)
		if ((r = cli_common(c, &import_help, opt)) >= 0)
			return r;
	if (argc == optind)
		return cli_usage(&import_help, "missing a bundle, folder or image");
	if (cli_open(c, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	json_t *arr = c->json ? json_array() : NULL;
	for (int i = optind; i < argc; i++) {
		r = import_path(c, argv[i], arr, &unlocked);
		if (rc == 0)
			rc = r;
	}
	if (arr != NULL)
		cli_json_print(json_pack("{s:s, s:i, s:o}", "result", rc ? "failed" : "ok", "exit", rc,
		    "bundles", arr));
	return rc;
}

static const struct cmd_help inbox_help = {
	"inbox PATH [--json] [--hash]",
	"Lists the bundles in a file, folder or ISO image in import order, each with\n"
	"a word: ready, gap, refused, tampered, already imported. Checks container,\n"
	"signature and policy; never decrypts, never changes anything.\n"
	"  --hash       also hash each payload (reads every bundle completely)\n"
	"  -j, --json   the verdicts as JSON\n",
};

int cmd_inbox(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONG, { "hash", no_argument, NULL, 'x' },
	    { NULL, 0, NULL, 0 } };
	int opt, r, hash = 0;
	struct airlock_err err;
	struct airlock_bundle_list *l = NULL;
	airlock_err_init(&err);
	while ((opt = getopt_long(argc, argv, "H:hj", opts, NULL)) != -1) {
		if (opt == 'x')
			hash = 1;
		else if ((r = cli_common(c, &inbox_help, opt)) >= 0)
			return r;
	}
	if (argc - optind != 1)
		return cli_usage(&inbox_help, "give one file, folder or image");
	if (cli_open(c, &err) != AIRLOCK_OK ||
	    airlock_importer_list_bundles(c->im, argv[optind], &l, &err) != AIRLOCK_OK)
		return cli_fail_json(c, &err);
	json_t *arr = c->json ? json_array() : NULL;
	for (size_t i = 0; i < l->n; i++) {
		struct airlock_bundle_list_item *it = &l->items[i];
		if (hash && it->verdict.state == AIRLOCK_INBOX_READY) {
			struct airlock_verdict queued = it->verdict;
			airlock_err_init(&err);
			airlock_importer_precheck(c->im, &it->ref, 1, &c->progress, &it->verdict, &err);
			/* Queued behind another bundle: the store alone says gap, and
			 * the payload is hashed when it is imported. */
			if (it->verdict.code == AIRLOCK_E_GAP)
				it->verdict = queued;
		}
		if (arr != NULL)
			json_array_append_new(arr, verdict_json(&it->verdict, it->name));
		else
			printf("%-17s %-32s %s\n", airlock_inbox_state_name(it->verdict.state), it->name,
			    it->verdict.reason);
	}
	airlock_bundle_list_free(l);
	if (arr != NULL)
		return cli_json_print(json_pack("{s:o}", "bundles", arr));
	return 0;
}
