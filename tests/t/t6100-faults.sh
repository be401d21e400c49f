#!/bin/sh
# t6100: real faults: a full disk (a small tmpfs), a read-only store (a
# read-only bind mount), a medium that is a FIFO. A clear error, nothing
# lost, the store as before. Needs root and mount(8).
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"
if [ "$(id -u)" != 0 ] || ! mkdir "$TEST_ROOT/mnt-probe" || ! mount -t tmpfs -o size=1m none "$TEST_ROOT/mnt-probe" 2>/dev/null; then
	echo "1..0 # SKIP needs root and mount"
	exit 0
fi
umount "$TEST_ROOT/mnt-probe"
trap 'umount "$TEST_ROOT/ro" 2>/dev/null; umount "$TEST_ROOT/small" 2>/dev/null; rm -rf "$TEST_ROOT"' EXIT

test_expect_success 'setup: a home on a 24 MiB tmpfs holding v1; v1->v2 adds 16 MiB of noise' '
	mkdir small && mount -t tmpfs -o size=24m none small && IH="$TEST_ROOT/small/home" &&
	importer_setup && feed_v1 && mkbundle b1 && imp import b1 >/dev/null &&
	head -c 16000000 /dev/urandom >src/noise && feed_v2 && mkbundle b2
'
IH="$TEST_ROOT/small/home"

test_expect_success 'a full disk: clear error and hint (exit 1), store unchanged, fsck clean' '
	store_fingerprint >before &&
	expect_code 1 imp import b2 2>err &&
	grep "No space left on device" err && grep "hint: .*free .*space" err &&
	store_fingerprint >after && test_cmp before after &&
	test -z "$(find "$IH/spool" "$IH/staging" -mindepth 1)" && imp fsck >/dev/null &&
	imp quarantine list | grep -q "quarantine is empty"
'

test_expect_success 'with space again, the same bundle imports' '
	mount -o remount,size=128m small && imp import b2 >/dev/null &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/2 && imp fsck >/dev/null
'

test_expect_success 'a read-only store: reads work, an import fails clearly (exit 1), nothing changes' '
	echo c >src/c && sign snapshot iocs src >/dev/null && mkbundle b3 &&
	mkdir ro && mount --bind "$IH" ro && mount -o remount,bind,ro ro &&
	airlock-importer --home "$TEST_ROOT/ro" status >out && grep "iocs@2" out &&
	airlock-importer --home "$TEST_ROOT/ro" fsck >/dev/null &&
	store_fingerprint >before &&
	expect_code 1 airlock-importer --home "$TEST_ROOT/ro" import b3 2>err &&
	grep -i "read-only" err &&
	store_fingerprint >after && test_cmp before after &&
	umount ro && imp import b3 >/dev/null && imp fsck >/dev/null
'

test_expect_success 'a FIFO as the medium is refused at once (exit 1)' '
	mkfifo pipe && expect_code 1 imp import pipe 2>err && grep "not a regular file" err
'

test_done
