#!/bin/sh
# t4000: the importer home without bundles: site key, trust, views, audit
# chain, and every bad-input path of those commands.
. "$(dirname "$0")/lib.sh"
TV=/work/shared/testvectors/minisign
[ -d "$TV" ] || TV="$(cd "$(dirname "$0")/../.." && pwd)/../shared/testvectors/minisign"
H="$TEST_ROOT/home"
imp() { airlock-importer --home "$H" "$@"; }

test_expect_success 'keygen --no-passphrase writes site.key 0600 and prints the recipient' '
	imp keygen --no-passphrase >out 2>err &&
	grep -q "^age1" out &&
	test "$(stat -c %a "$H/site.key")" = 600 &&
	test_cmp out "$H/site.recipient" &&
	imp recipient >out2 && test_cmp out out2
'

test_expect_success 'keygen refuses to replace an existing site key' '
	cp "$H/site.key" key.before &&
	expect_code 1 imp keygen --no-passphrase 2>err &&
	grep "airlock-importer: error: a site key already exists" err &&
	cmp key.before "$H/site.key"
'

test_expect_success 'keygen with a passphrase file makes an encrypted key (age -p form)' '
	printf "correct horse\n" >pass &&
	airlock-importer --home "$TEST_ROOT/h2" keygen --passphrase-file pass >out &&
	head -c 21 "$TEST_ROOT/h2/site.key" | grep -q "age-encryption.org/v1"
'

test_expect_success 'keygen --import takes an age-keygen identity' '
	if command -v age-keygen >/dev/null; then
		age-keygen -o id.txt 2>/dev/null && chmod 600 id.txt &&
		want=$(age-keygen -y id.txt)
	else
		printf "# created: 2026-01-01T00:00:00Z\n# public key: age1a9cvgspvkfrsrlsuhjat3x5gcsfmczgvw7wp7f8h4rq0ug4dmx0qqlu6t3\nAGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSWFSJ7Q\n" >id.txt &&
		chmod 600 id.txt && want=""
	fi &&
	airlock-importer --home "$TEST_ROOT/h3" keygen --import id.txt --no-passphrase >out &&
	if [ -n "$want" ]; then test "$(cat out)" = "$want"; fi &&
	grep -q "^age1" "$TEST_ROOT/h3/site.recipient"
'

test_expect_success 'keygen: --no-passphrase with --passphrase-file is a usage error' '
	expect_code 2 airlock-importer --home "$TEST_ROOT/h4" keygen --no-passphrase --passphrase-file pass 2>err &&
	grep "exclude each other" err && test ! -e "$TEST_ROOT/h4/site.key"
'

test_expect_success 'trust add, list (text and JSON)' '
	imp trust add alice "$TV/nopw.pub" --feeds "iocs,rules-*" >out &&
	imp trust list >list && grep "^alice .*trusted.*iocs,rules-\*" list &&
	imp trust list --json >list.json &&
	python3 -c "import json,sys; d=json.load(open(\"list.json\")); s=d[\"signers\"][0]; assert s[\"name\"]==\"alice\" and not s[\"revoked\"] and s[\"feeds\"]==\"iocs,rules-*\""
'

test_expect_success 'trust add refuses a duplicate name or key, bad names, bad patterns, bad files' '
	expect_code 1 imp trust add alice "$TV/pw.pub" --feeds x 2>err && grep "already trusted" err &&
	expect_code 1 imp trust add bob "$TV/nopw.pub" --feeds x 2>err && grep "already trusted" err &&
	expect_code 2 imp trust add Bad "$TV/pw.pub" --feeds x 2>err && grep "bad signer name" err &&
	expect_code 2 imp trust add bob "$TV/pw.pub" --feeds "A*" 2>err && grep "bad character" err &&
	expect_code 2 imp trust add bob "$TV/pw.pub" --feeds "a,,b" 2>err && grep "empty pattern" err &&
	expect_code 2 imp trust add bob "$TV/pw.pub" 2>err && grep "needs --feeds" err &&
	expect_code 1 imp trust add bob "$TV/msg.txt" --feeds x 2>err &&
	imp trust list >list && test "$(wc -l <list)" = 1
'

test_expect_success 'trust revoke marks the key, twice is an error, unknown is an error' '
	imp trust revoke alice &&
	imp trust list | grep "^alice .*REVOKED" &&
	expect_code 1 imp trust revoke alice 2>err && grep "no trusted signer" err &&
	expect_code 1 imp trust revoke nobody 2>err
'

test_expect_success 'empty store: status, receipt, history, quarantine, rollback' '
	imp status >out && grep "no feeds yet" out &&
	imp status --json >out.json && python3 -c "import json; assert json.load(open(\"out.json\"))[\"feeds\"]==[]" &&
	expect_code 1 imp receipt 2>err && grep "holds no feed" err &&
	expect_code 1 imp receipt iocs 2>err && grep "no version of feed" err &&
	expect_code 2 imp receipt "Bad Feed" 2>err &&
	expect_code 1 imp history iocs 2>err &&
	expect_code 1 imp rollback iocs 2>err &&
	expect_code 2 imp rollback iocs zero 2>err &&
	imp quarantine list >out && grep "quarantine is empty" out &&
	expect_code 1 imp quarantine show 7 2>err && grep "no quarantined bundle" err &&
	expect_code 2 imp quarantine show x 2>err
'

test_expect_success 'fsck and prune on an empty store are clean' '
	imp fsck >out && grep "consistent" out &&
	imp fsck --json >out.json && python3 -c "import json; d=json.load(open(\"out.json\")); assert d[\"problems\"]==[] and d[\"exit\"]==0" &&
	imp prune --keep 1 >out && grep "removed 0 versions" out &&
	expect_code 2 imp prune --keep -1
'

test_expect_success 'usage errors exit 2 with a hint' '
	expect_code 2 airlock-importer 2>err &&
	expect_code 2 airlock-importer frobnicate 2>err && grep "unknown command" err &&
	expect_code 2 imp verify 2>err && grep "hint: see" err &&
	expect_code 2 imp import 2>err &&
	expect_code 2 imp status extra 2>err &&
	expect_code 2 imp trust 2>err &&
	expect_code 2 imp audit nonsense 2>err &&
	airlock-importer --help | grep -q "^  verify" &&
	airlock-importer --version | grep -q "^airlock-importer "
'

test_expect_success 'verify and import of a missing file fail cleanly (exit 1)' '
	expect_code 1 imp verify nosuch.bundle 2>err && grep "cannot open" err &&
	expect_code 1 imp import nosuch.bundle 2>err
'

test_expect_success 'audit lists every event and its chain verifies' '
	imp audit >log && grep -q "keygen" log && grep -q "trust-add" log &&
	grep -q "trust-revoke" log && grep -q "fsck" log && grep -q "prune" log &&
	imp audit verify >out && grep "chain intact" out &&
	imp audit --json >a.json &&
	python3 -c "import json; r=json.load(open(\"a.json\"))[\"audit\"]; assert [x[\"seq\"] for x in r]==list(range(1,len(r)+1)); assert r[0][\"user\"]"
'

sqlite_edit() {
	python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$H/importer.db" "$1"
}

test_expect_success 'audit verify detects an edited row (exit 3, names it)' '
	cp "$H/importer.db" db.good &&
	sqlite_edit "UPDATE audit SET detail = detail || \"x\" WHERE seq = 2" &&
	expect_code 3 imp audit verify 2>err && grep "row 2 does not match" err &&
	cp db.good "$H/importer.db"
'

test_expect_success 'audit verify detects a deleted row in the middle' '
	sqlite_edit "DELETE FROM audit WHERE seq = 2" &&
	expect_code 3 imp audit verify 2>err && grep "row 3 is out of sequence" err &&
	cp db.good "$H/importer.db"
'

test_expect_success 'audit verify detects a deleted last row' '
	sqlite_edit "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)" &&
	expect_code 3 imp audit verify 2>err && grep "rows were deleted or added at the end" err &&
	cp db.good "$H/importer.db"
'

test_expect_success 'audit verify detects an inserted row' '
	sqlite_edit "UPDATE audit SET seq = seq + 1 WHERE seq >= 3; INSERT INTO audit SELECT 3, at, user, event, bundle_id, key_id, feed, from_version, to_version, result, \"forged\", hash FROM audit WHERE seq = 2" 2>/dev/null ||
	sqlite_edit "CREATE TEMP TABLE t AS SELECT * FROM audit; DELETE FROM audit; INSERT INTO audit SELECT CASE WHEN seq >= 3 THEN seq + 1 ELSE seq END, at, user, event, bundle_id, key_id, feed, from_version, to_version, result, detail, hash FROM t; INSERT INTO audit SELECT 3, at, user, event, bundle_id, key_id, feed, from_version, to_version, result, \"forged\", hash FROM t WHERE seq = 2" &&
	expect_code 3 imp audit verify 2>err && grep "row 3 does not match" err &&
	cp db.good "$H/importer.db" && imp audit verify
'

test_done
