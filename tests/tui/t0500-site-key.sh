#!/bin/sh
# A site key with a passphrase: the console asks for it (hidden) only when
# a verify or an import needs it, says so plainly when it is wrong, and
# asks once per session.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

S="$TEST_ROOT/signer"
I="$TEST_ROOT/importer"
IN="$TEST_ROOT/inbox"
sig() { airlock-signer --home "$S" "$@"; }
imp() { airlock-importer --home "$I" "$@"; }

test_expect_success 'setup: an importer whose site key has a passphrase, one bundle' '
	printf "site secret\n" >pass &&
	imp keygen --passphrase-file pass >/dev/null &&
	sig init >/dev/null && sig keygen --no-passphrase >/dev/null &&
	sig site add hq "$(imp recipient)" >/dev/null &&
	imp trust add publisher "$S/signer.pub" --feeds "iocs" >/dev/null &&
	mkdir -p src "$IN" && echo a >src/a &&
	sig snapshot iocs src >/dev/null &&
	sig bundle iocs --to hq -o "$IN/iocs-full-1.airlock" >/dev/null
'

test_expect_success 'the detail does not ask by itself; it offers v' '
	tui_start --home "$I" --watch "$IN" && tui_wait_re "^ ready +iocs" &&
	tui_keys Enter && tui_wait "not verified yet: press v" &&
	! tui_screen | grep "Passphrase"
'

test_expect_success 'a wrong passphrase is said plainly, hidden while typed' '
	tui_keys v && tui_wait "Passphrase of the site key" && tui_type "guess" &&
	tui_wait "(hidden, 5 typed)" && ! tui_screen | grep "guess" && tui_keys Enter &&
	tui_wait "Site key" && tui_screen | grep -i "wrong passphrase" &&
	tui_keys Enter && tui_wait "not verified yet: press v"
'

test_expect_success 'the right one verifies, and the import does not ask again' '
	tui_keys v && tui_wait "Passphrase of the site key" && tui_type "site secret" &&
	tui_keys Enter && tui_wait "(fully verified)" &&
	tui_keys i && tui_wait "Import feed iocs" && tui_keys y &&
	tui_wait "Imported: iocs is now at version 1" && ! tui_screen | grep "Passphrase" &&
	imp status --json | grep "\"version\": 1" &&
	tui_keys Enter q q && test "$(tui_exited)" = 0
'

test_done
