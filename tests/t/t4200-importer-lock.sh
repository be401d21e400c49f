#!/bin/sh
# Changes of the store take HOME/lock: an import, rollback or prune while
# another holds it is refused with a clear message and changes nothing
# (before the lock, a prune could delete objects an import had just added,
# and opening the home emptied a running import's spool).
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

# hold_lock [-s]: another process holds HOME/lock (shared with -s) until
# release_lock.
hold_lock() {
	flock ${1:-} -o "$IH/lock" sleep 60 &
	holder=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		flock -n "$IH/lock" true || return 0
		sleep 0.2
	done
	return 1
}
release_lock() {
	kill "$holder" && wait "$holder" 2>/dev/null
	return 0
}

test_expect_success 'set up a store with one imported version' '
	importer_setup && feed_v1 && mkbundle b1 && imp import b1 >/dev/null &&
	feed_v2 && mkbundle b2
'

test_expect_success 'import, rollback and prune are refused while the home is locked' '
	store_fingerprint >before && hold_lock &&
	{
		expect_code 1 imp import b2 2>err &&
		grep "another import, rollback or prune is changing the store" err &&
		grep "wait for it to finish" err &&
		expect_code 1 imp prune --keep 1 2>err2 &&
		grep "another import, rollback or prune" err2 &&
		expect_code 1 imp rollback iocs 2>err3 &&
		grep "another import, rollback or prune" err3
	}; rc=$?; release_lock &&
	test $rc -eq 0 && store_fingerprint >after && test_cmp before after
'

test_expect_success 'opening the home leaves a running import'"'"'s spool alone' '
	echo partial >"$IH/spool/in-progress" && hold_lock &&
	{ imp status >/dev/null && test -f "$IH/spool/in-progress"; }; rc=$?; release_lock &&
	test $rc -eq 0 && imp status >/dev/null && test ! -e "$IH/spool/in-progress"
'

test_expect_success 'verify shares the lock with another verify' '
	hold_lock -s && { imp verify b2 >/dev/null; }; rc=$?; release_lock && test $rc -eq 0
'

test_expect_success 'verify is refused while an import holds the lock' '
	hold_lock && { expect_code 1 imp verify b2 2>err && grep "another import" err; }; rc=$?;
	release_lock && test $rc -eq 0
'

test_expect_success 'once the lock is free the same bundle imports' '
	imp import b2 >out && grep -q "imported   iocs@2" out
'

test_done
