#!/bin/sh
# The low side through the console: feeds and versions, a snapshot, sites,
# a bundle the importer CLI then verifies, an edited base, receipts, log.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

S="$TEST_ROOT/signer"
I="$TEST_ROOT/importer"
OUT="$TEST_ROOT/medium"
sig() { airlock-signer --home "$S" "$@"; }
imp() { airlock-importer --home "$I" "$@"; }

test_expect_success 'setup: homes from the CLIs, one version, one site' '
	imp keygen --no-passphrase >/dev/null &&
	sig init >/dev/null && sig keygen --no-passphrase >/dev/null &&
	sig site add hq "$(imp recipient)" >/dev/null &&
	imp trust add publisher "$S/signer.pub" --feeds "iocs" >/dev/null &&
	mkdir -p src "$OUT" && seq 1 3000 >src/numbers &&
	sig snapshot iocs src >/dev/null
'

test_expect_success 'Feeds shows the key, the feed and its latest version' '
	tui_start --home "$S" && tui_wait "airlock signer" && tui_wait "iocs" &&
	tui_screen >f && grep "signing key [0-9A-F]*   1 sites   0 bundles issued" f &&
	grep "^ iocs  *1  *20..-..-.. ..:..  *1 " f
'

test_expect_success 'a snapshot taken from the console becomes version 2' '
	echo more >>src/numbers && echo new >src/new &&
	tui_keys s && tui_wait "Feed (a new name makes a new feed):" && tui_keys Enter &&
	tui_wait "Folder to take the snapshot from:" && tui_type "$TEST_ROOT/src" && tui_keys Enter &&
	tui_wait "Snapshot taken: iocs version 2" && tui_keys Enter &&
	tui_wait_re "^ iocs +2 " &&
	sig status --json | grep -q "\"version\": 2"
'

test_expect_success 'a snapshot of a missing folder is an error in plain words' '
	tui_keys s && tui_wait "Feed (a new name" && tui_keys Enter &&
	tui_wait "Folder to take" && tui_type "$TEST_ROOT/nowhere" && tui_keys Enter &&
	tui_wait "Snapshot failed" && tui_screen | grep "nowhere" &&
	tui_screen | grep "What to do:" && tui_keys Enter && tui_wait "LATEST"
'

test_expect_success 'Sites shows what each site is believed to hold' '
	tui_keys 2 && tui_wait "SITE " && tui_screen | grep "^ hq  *(holds nothing yet)"
'

test_expect_success 'a bundle made from the console: sites, base shown, folder, progress' '
	tui_keys 1 && tui_wait "LATEST" && tui_keys b &&
	tui_wait "For which sites" && tui_screen | grep "hq_" && tui_keys Enter &&
	tui_wait "Base (what the sites hold): full" && tui_keys Enter &&
	tui_wait "Folder or medium" && tui_type "$OUT" && tui_keys Enter &&
	tui_wait "File name:" && tui_screen | grep "iocs-full-2.airlock_" && tui_keys Enter &&
	tui_wait "Make the bundle of iocs for 1 site(s)" && tui_keys y &&
	tui_wait "Bundle written: iocs full 0 -> 2, sequence 1" &&
	tui_screen | grep "File: $OUT/iocs-full-2.airlock" && tui_keys Enter
'

test_expect_success 'the importer CLI verifies the bundle the console made' '
	imp verify "$OUT/iocs-full-2.airlock"
'

test_expect_success 'the site is now believed to hold version 2, and the log has it' '
	tui_keys 2 && tui_wait_re "^ hq +iocs +2 " &&
	tui_keys 3 && tui_wait "SEQ VERSIONS" && tui_screen | grep " iocs  *1 full->2 " &&
	tui_keys Enter && tui_wait "Bundle issued" && tui_screen | grep "$OUT/iocs-full-2" &&
	tui_keys Enter
'

test_expect_success 'the base is editable: a bundle from version 1 for the same site' '
	echo three >src/three && sig snapshot iocs src >/dev/null &&
	tui_keys 2 1 && tui_wait_re "^ iocs +3 " &&
	tui_keys b && tui_wait "For which sites" && tui_keys Enter &&
	tui_wait "Base (what the sites hold): 2" && tui_keys C-u && tui_type 1 && tui_keys Enter &&
	tui_wait "Folder or medium" && tui_type "$OUT" && tui_keys Enter &&
	tui_wait "iocs-1-3.airlock_" && tui_keys Enter && tui_wait "Make the bundle" && tui_keys y &&
	tui_wait "Bundle written: iocs 1 -> 3, sequence 2" && tui_keys Enter
'

test_expect_success 'nothing new to send is explained in plain words, with what to do' '
	tui_keys b && tui_wait "For which sites" && tui_keys Enter &&
	tui_wait "nothing to send" && tui_screen | grep "What to do: snapshot a new version" &&
	tui_keys Enter && tui_gone "What to do"
'

test_expect_success 'a base that is not a version number is refused, nothing written' '
	echo four >src/four && sig snapshot iocs src >/dev/null &&
	tui_keys 2 1 && tui_wait_re "^ iocs +4 " &&
	tui_keys b && tui_wait "For which sites" && tui_keys Enter &&
	tui_wait "Base (what the sites hold): 3" && tui_keys C-u && tui_type soon && tui_keys Enter &&
	tui_wait "is not a version number" && ls "$OUT" >files && ! grep "4.airlock" files &&
	sig log --json >log && ! grep "\"sequence\": 3" log
'

test_expect_success 'a receipt carried back is recorded from the Sites screen' '
	imp import "$OUT/iocs-full-2.airlock" >/dev/null &&
	tui_keys 2 && tui_wait "SITE " && tui_keys r && tui_wait "Receipt from hq" &&
	tui_type "$(imp receipt iocs)" && tui_keys Enter &&
	tui_wait "hq now holds iocs version 2"
'

test_expect_success 'a malformed receipt is an error with what to do, nothing recorded' '
	sig site list --json >before &&
	tui_keys r && tui_wait "Receipt from hq" && tui_type "iocs@2:zzzz" && tui_keys Enter &&
	tui_wait "Record a receipt" && tui_screen | grep -i "receipt" &&
	tui_keys Enter && sig site list --json >after && test_cmp before after
'

test_expect_success 'a signing key with a passphrase is asked for, hidden; a wrong one writes nothing' '
	tui_keys q && tui_exited >/dev/null &&
	P="$TEST_ROOT/signer2" && printf "horse battery\n" >pass && mkdir -p "$OUT/p" &&
	airlock-signer --home "$P" init >/dev/null &&
	airlock-signer --home "$P" keygen --passphrase-file pass >/dev/null &&
	airlock-signer --home "$P" site add hq "$(imp recipient)" >/dev/null &&
	airlock-signer --home "$P" snapshot iocs src >/dev/null &&
	tui_start --home "$P" && tui_wait "(passphrase)" &&
	tui_keys b && tui_wait "For which sites" && tui_keys Enter &&
	tui_wait "Base (what the sites hold): full" && tui_keys Enter &&
	tui_wait "Folder or medium" && tui_type "$OUT/p" && tui_keys Enter &&
	tui_wait "File name:" && tui_keys Enter && tui_wait "Make the bundle" && tui_keys y &&
	tui_wait "Passphrase of the signing key" && tui_type "not it" &&
	tui_wait "(hidden, 6 typed)" && ! tui_screen | grep "not it" && tui_keys Enter &&
	tui_wait "Bundle failed" && tui_screen | grep -i "wrong passphrase" &&
	test ! -e "$OUT/p/iocs-full-1.airlock" && tui_keys Enter
'

test_expect_success 'the right passphrase signs the bundle' '
	tui_keys b && tui_wait "For which sites" && tui_keys Enter &&
	tui_wait "Base (what the sites hold): full" && tui_keys Enter &&
	tui_wait "Folder or medium" && tui_type "$OUT/p" && tui_keys Enter &&
	tui_wait "File name:" && tui_keys Enter && tui_wait "Make the bundle" && tui_keys y &&
	tui_wait "Passphrase of the signing key" && tui_type "horse battery" && tui_keys Enter &&
	tui_wait "Bundle written: iocs full 0 -> 1" && test -s "$OUT/p/iocs-full-1.airlock" &&
	tui_keys Enter
'

test_expect_success 'the signer screens render at 80x24 and after a resize' '
	tui_keys q && tui_exited >/dev/null && tui_start --home "$S" && tui_wait "LATEST" &&
	for k in "1 LATEST" "2 SITE " "3 SEQ VERSIONS"; do
		tui_keys "${k%% *}" && tui_wait "${k#* }" && tui_wait_size 80 24 &&
		tui_resize 100 30 && tui_wait_size 100 30 && tui_wait "${k#* }" &&
		tui_resize 80 24 && tui_wait_size 80 24 && tui_wait "${k#* }" || return 1
	done &&
	tui_keys q && test "$(tui_exited)" = 0
'

test_done
