#!/bin/sh
# t2000: airlock-importer verify: the whole check, a dry run that never
# changes the store; details and verdict in text and JSON; gap.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'setup: signer, importer trusting it, bundles v1 (full) and v1->v2' '
	importer_setup && feed_v1 && mkbundle b1 && feed_v2 && mkbundle b2
'

test_expect_success 'verify of a full bundle: exit 0, details, store unchanged' '
	store_fingerprint >before &&
	imp verify b1 >out &&
	grep "^feed       iocs full -> 1:" out && grep "^signer     pub (" out &&
	grep "^changes    5 added, 0 changed, 0 removed" out && grep "^verdict    ready" out &&
	grep "^recipients 1 (this site: yes)" out &&
	store_fingerprint >after && test_cmp before after &&
	test -z "$(find "$IH/spool" "$IH/staging" -mindepth 1)"
'

test_expect_success 'verify --json carries verdict, reason and details' '
	imp verify --json b1 >v.json &&
	test "$(json_get v.json "d[\"result\"]")" = ok &&
	test "$(json_get v.json "d[\"exit\"]")" = 0 &&
	test "$(json_get v.json "d[\"state\"]")" = ready &&
	test "$(json_get v.json "d[\"bundle\"][\"feed\"]")" = iocs &&
	test "$(json_get v.json "d[\"bundle\"][\"base\"]")" = None &&
	test "$(json_get v.json "d[\"bundle\"][\"target\"][\"version\"]")" = 1 &&
	test "$(json_get v.json "d[\"bundle\"][\"signer\"][\"name\"]")" = pub &&
	test "$(json_get v.json "d[\"bundle\"][\"changes\"][\"added\"]")" = 5 &&
	test "$(json_get v.json "d[\"bundle\"][\"size\"]")" = "$(stat -c %s b1)"
'

test_expect_success 'verify of a delta whose base the store lacks is a gap (exit 5)' '
	store_fingerprint >before &&
	expect_code 5 imp verify b2 >out 2>err &&
	grep "airlock-importer: error: bundle needs iocs@1 but this site holds no version" err &&
	grep "airlock-importer: hint: ask the signer for a full bundle" err &&
	grep "^verdict    gap" out &&
	imp verify --json b2 >v.json; test "$(json_get v.json "d[\"exit\"]")" = 5 &&
	store_fingerprint >after && test_cmp before after
'

test_expect_success 'after importing v1, verify of v1->v2 reports the changes' '
	imp import b1 >/dev/null &&
	imp verify b2 >out &&
	grep "^feed       iocs 1 -> 2:" out &&
	grep -E "^changes    [0-9]+ added, [0-9]+ changed, 1 removed" out
'

test_expect_success 'verify of an already imported bundle is refused (exit 4), store unchanged' '
	store_fingerprint >before &&
	expect_code 4 imp verify b1 2>err && grep "already imported" err &&
	store_fingerprint >after && test_cmp before after
'

test_expect_success 'verify needs the site key passphrase when the key has one' '
	printf "site pass\n" >sp &&
	airlock-importer --home "$TEST_ROOT/h2" keygen --passphrase-file sp >rcp2 2>/dev/null &&
	airlock-importer --home "$TEST_ROOT/h2" trust add pub "$SH/signer.pub" --feeds "*" >/dev/null &&
	sign site add h2 "$(cat rcp2)" >/dev/null &&
	sign bundle iocs --to h2 --full -o b-h2 --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	airlock-importer --home "$TEST_ROOT/h2" verify --passphrase-file sp b-h2 >out &&
	grep "^verdict    ready" out &&
	printf "wrong\n" >bad &&
	expect_code 1 airlock-importer --home "$TEST_ROOT/h2" verify --passphrase-file bad b-h2 2>err &&
	grep -i "passphrase" err
'

test_expect_success 'import of a gap bundle: exit 5, audited as a gap, not quarantined' '
	echo more >>src/numbers && sign snapshot iocs src >/dev/null &&
	sign bundle iocs --to h2 -o b-h2-gap --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	expect_code 5 airlock-importer --home "$TEST_ROOT/h2" import --passphrase-file sp b-h2-gap 2>err &&
	grep "holds no version" err &&
	airlock-importer --home "$TEST_ROOT/h2" audit >log && grep " gap .* gap " log &&
	airlock-importer --home "$TEST_ROOT/h2" quarantine list | grep "quarantine is empty"
'

test_expect_success 'verify without a site key fails with a hint to run keygen' '
	airlock-importer --home "$TEST_ROOT/h3" trust add pub "$SH/signer.pub" --feeds "*" >/dev/null &&
	expect_code 1 airlock-importer --home "$TEST_ROOT/h3" verify b1 2>err &&
	grep "no key yet" err && grep "hint: run .airlock-importer keygen" err
'

test_done
