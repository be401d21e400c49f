#!/bin/sh
# Kiosk safety during an import: Ctrl-C asks instead of killing, a cancel
# leaves the store as it was, and a terminal hang-up lets the core stop at
# a safe point so the store stays consistent (fsck clean).
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

S="$TEST_ROOT/signer"
I="$TEST_ROOT/importer"
IN="$TEST_ROOT/inbox"
sig() { airlock-signer --home "$S" "$@"; }
imp() { airlock-importer --home "$I" "$@"; }

# The store as a consumer sees it: published versions and fsck's verdict.
store_state() {
	imp status --json >"$TEST_ROOT/.status" && imp fsck >/dev/null &&
	cat "$TEST_ROOT/.status"
}

open_bundle() {
	tui_start --home "$I" --watch "$IN" && tui_wait "$1" &&
	tui_keys / && tui_type "$1" && tui_keys Enter && tui_wait "filter: $1" &&
	tui_keys Enter && tui_wait "Inbox > Bundle" && tui_wait "(fully verified)"
}

test_expect_success 'setup: a feed with some megabytes, and its first bundle' '
	imp keygen --no-passphrase >/dev/null &&
	sig init >/dev/null && sig keygen --no-passphrase >/dev/null &&
	sig site add hq "$(imp recipient)" >/dev/null &&
	imp trust add publisher "$S/signer.pub" --feeds "iocs" >/dev/null &&
	mkdir -p src "$IN" &&
	for i in 1 2 3 4 5 6 7 8; do head -c 1048576 /dev/urandom >src/blob$i; done &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/big.airlock" >/dev/null
'

test_expect_success 'Ctrl-C during an import asks; answering no lets it finish' '
	open_bundle big.airlock &&
	tui_keys i && tui_wait "Import feed iocs" &&
	tui_keys y C-c && tui_wait "Cancel the import?" &&
	tui_keys n && tui_wait "Imported: iocs is now at version 1" &&
	store_state | grep "\"version\": 1" &&
	tui_keys Enter q q && tui_exited >/dev/null
'

test_expect_success 'setup: a second version' '
	head -c 1048576 /dev/urandom >src/blob9 && rm src/blob1 &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/next.airlock" >/dev/null
'

test_expect_success 'a cancel asked for mid-import leaves the store as it was, or complete' '
	store_state >before &&
	open_bundle next.airlock &&
	tui_keys i && tui_wait "Import feed iocs" &&
	tui_keys y C-c && tui_wait "Cancel the import?" && tui_keys y &&
	tui_wait_re "Cancelled: the store is unchanged|Imported: iocs is now at version 2" &&
	store_state >after &&
	if tui_screen | grep -q "Cancelled"; then test_cmp before after; else
		grep "\"version\": 2" after; fi &&
	tui_keys Enter q q && tui_exited >/dev/null
'

test_expect_success 'setup: the store at version 1 and a bundle 1 -> 3' '
	if imp status --json | grep -q "\"version\": 2"; then
		imp rollback iocs 1 >/dev/null; fi &&
	imp status --json | grep "\"version\": 1" &&
	head -c 1048576 /dev/urandom >src/blob10 &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq --from 1 -o "$IN/hup.airlock" >/dev/null
'

test_expect_success 'a hang-up during an import ends the console with the store consistent' '
	open_bundle hup.airlock &&
	tui_keys i && tui_wait "Import feed iocs" && tui_keys y &&
	kill -HUP "$(tui_pid)" &&
	test "$(tui_exited)" = 0 &&
	store_state >after && grep "\"version\": [13]" after
'

test_done
