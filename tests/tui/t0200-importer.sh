#!/bin/sh
# The high side through the console: inbox verdicts, a bundle's detail,
# imports to the Feeds screen, tampered and gap bundles, rollback with a
# typed confirmation, trust, quarantine and audit. Homes come from the CLIs.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

S="$TEST_ROOT/signer"
I="$TEST_ROOT/importer"
IN="$TEST_ROOT/inbox"
sig() { airlock-signer --home "$S" "$@"; }
imp() { airlock-importer --home "$I" "$@"; }

# flip FILE MEMBER: changes the middle byte of a member of bundle FILE.
flip() {
	python3 -c 'import sys, tarfile
p, name = sys.argv[1], sys.argv[2]
m = tarfile.open(p).getmember(name)
o = m.offset_data + m.size // 2
b = bytearray(open(p, "rb").read()); b[o] ^= 0x55; open(p, "wb").write(bytes(b))' "$1" "$2"
}

# What the store publishes, without the ages that change every second.
store_state() {
	imp status --json | grep -v "age_seconds" && { imp history iocs 2>/dev/null || true; }
}

start_importer() {
	tui_start --home "$I" --watch "$IN" && tui_wait "airlock importer"
}

test_expect_success 'setup: signer and importer homes, two versions bundled' '
	imp keygen --no-passphrase >/dev/null &&
	sig init >/dev/null && sig keygen --no-passphrase >/dev/null &&
	sig site add hq "$(imp recipient)" >/dev/null &&
	imp trust add publisher "$S/signer.pub" --feeds "iocs" >/dev/null &&
	mkdir -p src "$IN" && seq 1 900 >src/numbers && echo a >src/a &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/iocs-1.airlock" >/dev/null &&
	seq 1 950 >src/numbers && echo b >src/b && rm src/a &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/iocs-2.airlock" >/dev/null
'

test_expect_success 'the importer side shows its inbox with a verdict per bundle' '
	start_importer && tui_wait "iocs-2.airlock" &&
	tui_screen >s && test "$(wc -l <s)" -eq 24 &&
	head -n 1 s | grep "1 Inbox  2 Feeds  3 Trust  4 Quarantine  5 Audit" &&
	grep "^ ready  *iocs  *full->1  *iocs-1.airlock" s &&
	grep "^ ready  *iocs  *1->2  *iocs-2.airlock" s &&
	tail -n 1 s | grep "Enter Open"
'

test_expect_success 'the detail shows feed, versions, signer, dates, size and changes' '
	tui_keys Enter && tui_wait "Inbox > Bundle" &&
	tui_wait "(fully verified)" &&
	tui_screen >d &&
	grep "Feed  *iocs (bundle 1 of this feed)" d &&
	grep "Base version  *none: a full bundle" d &&
	grep "Target version  *1 " d &&
	grep "Signer  *publisher  key [0-9A-F]" d &&
	grep "Created  *20..-..-.. ..:.. UTC  *expires 20" d &&
	grep "Recipients  *1, this site among them" d &&
	grep "Changes  *2 added, 0 changed, 0 removed" d
'

test_expect_success 'import asks first; n changes nothing' '
	store_state >before &&
	tui_keys i && tui_wait "Import feed iocs version 1 (full bundle)?" &&
	tui_keys n && tui_gone "Import feed iocs" &&
	store_state >after && test_cmp before after
'

test_expect_success 'a full import through the console shows its stages and result' '
	tui_keys i && tui_wait "Import feed iocs" && tui_keys y &&
	tui_wait "Imported: iocs is now at version 1" &&
	tui_screen >r && grep "signature" r && grep "commit" r &&
	grep "Receipt for the signer: iocs@1:" r &&
	tui_keys Enter && tui_wait "already imported"
'

test_expect_success 'the Feeds screen shows the new version; the next import moves it on' '
	tui_keys 2 && tui_wait_re "^ iocs +1 " &&
	tui_keys 1 && tui_wait "iocs-2.airlock" && tui_keys Down Enter &&
	tui_wait "(fully verified)" && tui_screen | grep "Changes  *1 added, 1 changed, 1 removed" &&
	tui_keys i && tui_wait "Import feed iocs version 2?" && tui_keys y &&
	tui_wait "Imported: iocs is now at version 2" && tui_keys Enter &&
	tui_keys 2 && tui_wait "IMPORTED" && tui_screen >f &&
	grep "^ iocs  *2  *publisher  *20" f &&
	imp status --json | grep "\"version\": 2"
'

test_expect_success 'setup: a tampered header, a tampered payload, a gap' '
	tui_keys q && tui_exited >/dev/null &&
	echo c >src/c && sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$TEST_ROOT/iocs-3.airlock" >/dev/null &&
	cp "$TEST_ROOT/iocs-3.airlock" "$IN/bad-header.airlock" && flip "$IN/bad-header.airlock" bundle.json &&
	cp "$TEST_ROOT/iocs-3.airlock" "$IN/bad-payload.airlock" &&
	flip "$IN/bad-payload.airlock" payload.age &&
	echo d >src/d && sig snapshot iocs src >/dev/null &&
	echo e >src/e && sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq --from 4 -o "$IN/gap.airlock" >/dev/null &&
	rm "$IN/iocs-1.airlock" "$IN/iocs-2.airlock"
'

test_expect_success 'a bundle copied in while the inbox is open shows up by itself' '
	start_importer && tui_wait "bad-header.airlock" &&
	cp "$TEST_ROOT/iocs-3.airlock" "$IN/late.airlock" &&
	tui_wait_re "^ ready +iocs +2->3 +late.airlock" &&
	rm "$IN/late.airlock" && tui_gone "late.airlock" &&
	tui_keys q && tui_exited >/dev/null
'

test_expect_success 'a tampered bundle shows as tampered with its reason' '
	start_importer && tui_wait "bad-header.airlock" &&
	tui_screen | grep "^ tampered .*bad-header.airlock" &&
	tui_keys / && tui_type bad-header && tui_keys Enter && tui_wait "filter: bad-header" &&
	tui_keys Enter && tui_wait_re "Verdict +tampered" && tui_screen >t &&
	grep "Reason  *.*signature" t &&
	grep "Nothing in this bundle was read" t
'

test_expect_success 'and it cannot be imported' '
	store_state >before &&
	tui_keys i && tui_wait "cannot import: the bundle is tampered" &&
	! tui_screen | grep "Import feed" &&
	store_state >after && test_cmp before after && tui_keys q
'

test_expect_success 'a payload tampered after signing is caught before the store changes' '
	tui_keys / C-u Enter && tui_gone "filter: " &&
	tui_wait_re "^ tampered +iocs +2->3 +bad-payload.airlock" &&
	tui_keys / C-u && tui_type bad-payload && tui_keys Enter && tui_wait "filter: bad-payload" &&
	tui_keys Enter && tui_wait "Verdict" &&
	tui_wait_re "Verdict +tampered" && tui_wait_re "Reason +payload .*does not match the signed header" &&
	tui_keys i && tui_wait "cannot import: the bundle is tampered" &&
	store_state >after && test_cmp before after && tui_keys q
'

test_expect_success 'a gap shows the receipt to carry back' '
	tui_keys / && tui_wait "Filter:" && tui_keys Escape && tui_gone "filter: " &&
	tui_keys / && tui_wait "Filter:" && tui_type gap && tui_keys Enter &&
	tui_wait "filter: gap" && tui_wait_re "^ gap +iocs +4->5" &&
	tui_keys Enter && tui_wait_re "Verdict +gap" &&
	tui_wait_re "Receipt +iocs@2:" && tui_screen >g &&
	grep "Receipt  *$(imp receipt iocs)" g && grep "carry this back to the signer" g &&
	tui_keys i && tui_wait "cannot import: the bundle is gap" && tui_keys q
'

test_expect_success 'the quarantine and audit screens; the audit chain verifies' '
	expect_code 3 imp import "$IN/bad-payload.airlock" >/dev/null 2>&1 &&
	tui_keys 4 && tui_wait "WHEN (UTC)" &&
	tui_wait_re "iocs +verify +payload hash does not match" &&
	tui_keys Enter && tui_wait "Quarantined bundle" && tui_screen | grep "From: .*bad-payload" &&
	tui_keys Enter &&
	tui_keys 5 && tui_wait "hash chain verified" &&
	tui_wait_re "import +iocs +1->2 +ok" && tui_wait_re "refuse +iocs .* verify" &&
	tui_keys 3 && tui_wait_re "^ publisher +[0-9A-F]+ +trusted +iocs"
'

test_expect_success 'rollback asks for the feed name typed; a wrong name changes nothing' '
	tui_keys 2 && tui_wait "iocs" && tui_keys Enter && tui_wait "Feeds > History" &&
	tui_screen | grep "^  *2 .*published" && tui_keys Down &&
	store_state >before &&
	tui_keys b && tui_wait "Type the feed" && tui_type wrong && tui_keys Enter &&
	tui_wait "not confirmed" &&
	store_state >after && test_cmp before after
'

test_expect_success 'typing the name rolls back to the chosen version' '
	tui_keys b && tui_wait "Type the feed" && tui_type iocs && tui_keys Enter &&
	tui_wait "iocs rolled back: version 1 is published" &&
	imp status --json | grep "\"version\": 1"
'

test_expect_success 'adding a key shows its fingerprint first; n trusts nothing' '
	airlock-signer --home "$TEST_ROOT/other" init >/dev/null &&
	airlock-signer --home "$TEST_ROOT/other" keygen --no-passphrase >/dev/null &&
	id=$(head -n 1 "$TEST_ROOT/other/signer.pub" | sed "s/.* //") &&
	imp trust list --json >before &&
	tui_keys q 3 && tui_wait "KEY ID" && tui_keys a && tui_wait "Path of the minisign" &&
	tui_type "$TEST_ROOT/other/signer.pub" && tui_keys Enter &&
	tui_wait "Compare with the fingerprint" && tui_screen >fp &&
	grep "Key id: *$id" fp && grep "Public key: *$(tail -n 1 "$TEST_ROOT/other/signer.pub")" fp &&
	tui_keys n && tui_gone "Compare with" &&
	imp trust list --json >after && test_cmp before after
'

test_expect_success 'accepting the fingerprint trusts the key; revoke asks, then revokes' '
	tui_keys a && tui_wait "Path of the minisign" &&
	tui_type "$TEST_ROOT/other/signer.pub" && tui_keys Enter &&
	tui_wait "Is it the same key?" && tui_keys y && tui_wait "Name for this signer" &&
	tui_type second && tui_keys Enter && tui_wait "Feeds it may publish" &&
	tui_keys C-u && tui_type "rules-*" && tui_keys Enter &&
	tui_wait "Trust key" && tui_keys y && tui_wait "trusted second" &&
	tui_wait_re "^ second +[0-9A-F]+ +trusted +rules-\*" &&
	tui_keys Down x && tui_wait "Revoke second" && tui_keys n &&
	tui_screen | grep "^ second .* trusted " &&
	tui_keys x && tui_wait "Revoke second" && tui_keys y &&
	tui_wait_re "^ second +[0-9A-F]+ +revoked" &&
	imp trust list --json | grep -i revoked
'

test_expect_success 'every importer screen renders at 80x24 and again after a resize' '
	for k in "1 STATE" "2 IMPORTED" "3 KEY ID" "4 REASON" "5 hash chain"; do
		tui_keys "${k%% *}" && tui_wait "${k#* }" && tui_wait_size 80 24 &&
		tui_screen | tail -n 1 | grep -q "? Help" &&
		tui_resize 100 30 && tui_wait_size 100 30 && tui_wait "${k#* }" &&
		tui_screen | tail -n 1 | grep -q "? Help" &&
		tui_resize 80 24 && tui_wait_size 80 24 && tui_wait "${k#* }" || return 1
	done &&
	tui_keys q && test "$(tui_exited)" = 0
'

test_expect_success 'feeds whose data is older than --stale are flagged STALE' '
	tui_start --home "$I" --watch "$IN" --stale 1s && tui_wait "airlock importer" &&
	tui_keys 2 && tui_wait_re "^ iocs +1 +publisher .* STALE" &&
	tui_keys q && tui_exited >/dev/null &&
	tui_start --home "$I" --watch "$IN" && tui_wait "airlock importer" &&
	tui_keys 2 && tui_wait_re "^ iocs +1 +publisher" && ! tui_screen | grep STALE
'

test_done
