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
	imp fsck >/dev/null && imp status --json | grep -v age_seconds &&
	ls "$I" && { imp history iocs 2>/dev/null || true; }
}

open_bundle() {
	tui_start --home "$I" --watch "$IN" && tui_wait "$1" &&
	tui_keys / && tui_type "$1" && tui_keys Enter && tui_wait "filter: $1" &&
	tui_keys Enter && tui_wait "Inbox > Bundle" && tui_wait "(fully verified)"
}

# files DIR N: N small files, so that an import takes a few seconds (it
# writes and syncs each one) and there is time to interrupt it.
files() {
	mkdir -p "$1" && i=0 &&
	while [ "$i" -lt "$2" ]; do echo "$1 $i" >"$1/f$i"; i=$((i + 1)); done
}

test_expect_success 'setup: a feed of 600 files, and its first bundle' '
	imp keygen --no-passphrase >/dev/null &&
	sig init >/dev/null && sig keygen --no-passphrase >/dev/null &&
	sig site add hq "$(imp recipient)" >/dev/null &&
	imp trust add publisher "$S/signer.pub" --feeds "iocs" >/dev/null &&
	mkdir -p "$IN" && files src/one 600 &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/first.airlock" >/dev/null
'

test_expect_success 'Ctrl-C during an import asks; answering no lets it finish' '
	open_bundle first.airlock &&
	tui_keys i && tui_wait "Import feed iocs" &&
	tui_keys y C-c && tui_wait "Cancel the import?" && tui_screen | grep "Importing iocs" &&
	tui_keys n && tui_wait "Imported: iocs is now at version 1" 30 &&
	store_state | grep "\"version\": 1" &&
	tui_keys Enter && tui_wait "already imported" && tui_keys q q && tui_exited >/dev/null
'

test_expect_success 'setup: version 2 adds 600 more files' '
	files src/two 600 && sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/next.airlock" >/dev/null
'

test_expect_success 'cancelling mid-import leaves the store exactly as it was' '
	store_state >before &&
	open_bundle next.airlock &&
	tui_keys i && tui_wait "Import feed iocs" &&
	tui_keys y c && tui_wait "Cancel the import?" && tui_screen | grep "Importing iocs" &&
	tui_keys y && tui_wait "Cancelled: the store is unchanged" 30 &&
	store_state >after && test_cmp before after &&
	tui_keys Enter && tui_wait_re "Verdict +ready" && tui_keys q q && tui_exited >/dev/null
'

test_expect_success 'a hang-up mid-import stops it at a safe point; the store stays consistent' '
	store_state >before &&
	open_bundle next.airlock &&
	tui_keys i && tui_wait "Import feed iocs" && tui_keys y && tui_wait "Importing iocs" &&
	kill -HUP "$(tui_pid)" &&
	test "$(tui_exited 30)" = 0 &&
	store_state >after && test_cmp before after
'

test_expect_success 'after the hang-up the bundle still imports completely' '
	imp import "$IN/next.airlock" >/dev/null && imp fsck >/dev/null &&
	imp status --json | grep "\"version\": 2"
'

test_done
