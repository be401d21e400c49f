#!/bin/sh
# airlock-tui in a real terminal: layout at 80x24, resize, help, keys,
# colour and its absence, ASCII terminals, kiosk quitting, bad homes.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

H="$TEST_ROOT/shome"

test_expect_success 'setup: a signer home with one feed, made by the CLI' '
	airlock-signer --home "$H" init >/dev/null &&
	airlock-signer --home "$H" keygen --no-passphrase >/dev/null &&
	mkdir src && echo one >src/a && echo two >src/b &&
	airlock-signer --home "$H" snapshot iocs src >/dev/null
'

test_expect_success 'the signer side is recognized and its Feeds screen fits 80x24' '
	tui_start --home "$H" &&
	tui_wait "airlock signer" &&
	tui_wait "iocs" &&
	tui_screen >s &&
	test "$(wc -l <s)" -eq 24 &&
	head -n 1 s | grep "1 Feeds  2 Sites  3 Log" &&
	tail -n 1 s | grep "Enter Versions" && tail -n 1 s | grep "? Help" &&
	tail -n 1 s | grep "q Quit" &&
	grep "^ FEED .*LATEST" s && grep "^ iocs  *1 " s
'

test_expect_success 'the footer keys are the ones help lists, with the global keys' '
	tui_keys "?" && tui_wait "Keys of Feeds" &&
	tui_screen >h &&
	grep "Snapshot .*take a snapshot" h && grep "Bundle .*make a bundle" h &&
	grep "Filter .*show only rows" h && grep "Help .*show every key" h &&
	tail -n 1 h | grep "q Back" &&
	tui_keys q && tui_wait "q Quit"
'

test_expect_success 'a resize below 80x24 says so, and the screen comes back after' '
	tui_resize 60 20 && tui_wait "terminal too small: need 80x24, have 60x20" &&
	tui_resize 100 30 && tui_wait "iocs" &&
	tui_screen >big && test "$(wc -l <big)" -eq 30 &&
	tail -n 1 big | grep "q Quit" &&
	tui_resize 80 24 && tui_wait "iocs" &&
	tui_screen >back && test "$(wc -l <back)" -eq 24 && tail -n 1 back | grep "q Quit"
'

test_expect_success 'while the terminal is too small, keys wait (q does not quit unseen)' '
	tui_resize 60 20 && tui_wait "terminal too small" && tui_wait "keys wait until then" &&
	tui_keys q && tui_keys C-c && tui_resize 80 24 && tui_wait "LATEST" &&
	! tui_screen | grep "Really quit" && test ! -s "$TEST_ROOT/.tui-exit"
'

test_expect_success 'Enter opens a feed, q goes back, and the breadcrumb follows' '
	tui_keys Enter && tui_wait "Feeds > Versions" &&
	tui_screen | grep "retained" &&
	tui_keys q && tui_gone "Feeds > Versions" && tui_wait "LATEST"
'

test_expect_success 'the filter hides rows that do not match, and Esc clears it' '
	tui_keys / && tui_wait "Filter:" && tui_type nomatch && tui_keys Enter &&
	tui_wait "(nothing matches the filter)" && tui_wait "filter: nomatch" &&
	tui_keys / Escape && tui_gone "filter: nomatch" && tui_wait "iocs"
'

test_expect_success 'digits and Tab switch screens' '
	tui_keys 2 && tui_wait "Feeds" && tui_wait "SITE " &&
	tui_keys 3 && tui_wait "SEQ VERSIONS" &&
	tui_keys Tab && tui_wait "LATEST"
'

test_expect_success 'Ctrl-C, Ctrl-Z and Ctrl-\ ask before quitting; n stays' '
	tui_keys C-c && tui_wait "Really quit the airlock console?" &&
	tui_keys n && tui_gone "Really quit" &&
	tui_keys C-z && tui_wait "Really quit" && tui_keys Escape && tui_gone "Really quit" &&
	tui_keys "C-\\" && tui_wait "Really quit" && tui_keys n && tui_gone "Really quit" &&
	kill -INT "$(tui_pid)" && tui_wait "Really quit" && tui_keys n &&
	kill -TSTP "$(tui_pid)" && tui_wait "Really quit" && tui_keys n &&
	tui_gone "Really quit" && tui_screen | grep "iocs"
'

test_expect_success 'q on a first screen quits cleanly' '
	tui_keys q && test "$(tui_exited)" = 0
'

test_expect_success 'colour is used by default and NO_COLOR turns it off' '
	tui_start --home "$H" && tui_wait "iocs" &&
	tui_screen_escapes >col && grep -q "\[3[0-7]m\|\[4[0-7]m\|\[3[0-7];" col &&
	tui_keys q && tui_exited >/dev/null &&
	TUI_ENV="NO_COLOR=1" && tui_start --home "$H" && tui_wait "iocs" &&
	tui_screen_escapes >mono && ! grep -q "\[3[0-7]m\|\[4[0-7]m\|\[3[0-7];\|38;5" mono &&
	grep -q "\[7m" mono && TUI_ENV= && tui_keys q && tui_exited >/dev/null
'

test_expect_success 'in a UTF-8 terminal dialogs are drawn with box lines' '
	tui_start --home "$H" && tui_wait "iocs" &&
	tui_keys C-c && tui_wait "Really quit" && tui_screen | grep "┌─ Quit ─" &&
	tui_keys n && tui_keys q && tui_exited >/dev/null
'

test_expect_success 'in a plain ASCII terminal line drawing falls back to ASCII' '
	TUI_LANG=C && tui_start --home "$H" && tui_wait "iocs" &&
	tui_keys C-c && tui_wait "Really quit" && tui_screen >a &&
	grep "+- Quit -" a && ! grep -q "[─│┌┐└┘]" a &&
	tui_keys y && test "$(tui_exited)" = 0 && TUI_LANG=C.UTF-8
'

test_expect_success '--ascii forces ASCII lines in a UTF-8 terminal' '
	tui_start --home "$H" --ascii && tui_wait "iocs" &&
	tui_keys C-c && tui_wait "Really quit" && tui_screen | grep "+- Quit -" &&
	tui_keys y && tui_exited >/dev/null
'

test_expect_success 'a missing home is a clear error with what to do, exit 2' '
	expect_code 2 airlock-tui --home "$TEST_ROOT/nope" </dev/null >out 2>err &&
	grep "no airlock home at" err && grep "hint:.*airlock-importer keygen" err &&
	test ! -e "$TEST_ROOT/nope"
'

test_expect_success 'an ordinary folder is not taken for a home, and is left as it was' '
	mkdir "$TEST_ROOT/plain" && echo keep >"$TEST_ROOT/plain/file" &&
	expect_code 2 airlock-tui --home "$TEST_ROOT/plain" </dev/null >out 2>err &&
	grep "no airlock home at" err &&
	test "$(ls -A "$TEST_ROOT/plain")" = file
'

test_expect_success 'bad options are usage errors; --help and --version work' '
	expect_code 2 airlock-tui --bogus 2>err && grep "usage: airlock-tui" err &&
	expect_code 2 airlock-tui --stale soon 2>err && grep "bad --stale" err &&
	airlock-tui --help >out && grep "usage: airlock-tui" out &&
	airlock-tui --version | grep "^airlock-tui [0-9]"
'

test_expect_success 'without a terminal the console refuses to start' '
	expect_code 2 airlock-tui --home "$H" </dev/null >out 2>err &&
	grep "needs a terminal" err
'

test_done
