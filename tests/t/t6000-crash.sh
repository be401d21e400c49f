#!/bin/sh
# t6000: SIGKILL at every fault point of an import (50+ distinct moments,
# over every stage). After each: the old version is still published (or,
# past the catalog commit, the new one), fsck is clean, and the same
# bundle imports afterwards. Needs the fault-injection build (SAN=1).
TDIR=$(cd "$(dirname "$0")" && pwd)
if [ "${AIRLOCK_SAN:-0}" != 1 ]; then
	echo "1..0 # SKIP fault injection needs the test build"
	exit 0
fi
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'setup: v1 imported; v1->v2 changes 12 files' '
	importer_setup && feed_v1 && for i in $(seq 1 12); do echo "v1 $i" >src/sub/f$i; done &&
	sign snapshot iocs src >/dev/null && mkbundle b1 && imp import b1 >/dev/null &&
	for i in $(seq 1 12); do echo "v2 $i" >>src/sub/f$i; done && feed_v2 && mkbundle b2 &&
	cp -a "$IH" base-home
'

test_expect_success 'count the fault points of one import: 50 or more, in every stage' '
	rm -rf "$IH" && cp -a base-home "$IH" &&
	AIRLOCK_FAULT_LOG="$TEST_ROOT/points" imp import b2 >/dev/null &&
	wc -l <points >npoints && test "$(cat npoints)" -ge 50 &&
	for s in check.container check.signature check.policy spool.chunk decrypt.open \
	    apply.entry check.done commit.adopt materialize.entry catalog.commit \
	    catalog.committed publish.renamed; do grep -qx "$s" points || { echo "no $s"; exit 1; }; done &&
	tree_listing "$IH/feeds/iocs/current" >want &&
	readlink "$IH/feeds/iocs/current" >newv && readlink base-home/feeds/iocs/current >oldv &&
	test "$(cat newv)" != "$(cat oldv)"
'

# crash_at N: a fresh copy of the v1 home, an import killed at point N.
crash_at() {
	rm -rf "$IH" && cp -a base-home "$IH" &&
	AIRLOCK_CRASH_AT=$1 imp import b2 >/dev/null 2>&1
	test $? -eq 137
}

test_expect_success 'SIGKILL at each point: old or new version published, fsck clean, re-import works' '
	n=$(cat npoints) && committed=$(grep -nx catalog.committed points | head -1 | cut -d: -f1) &&
	old=$(cat oldv) && new=$(cat newv) &&
	i=1 && while [ $i -le "$n" ]; do
		where=$(sed -n "${i}p" points) &&
		crash_at $i || { echo "point $i ($where) did not kill"; exit 1; }
		cur=$(readlink "$IH/feeds/iocs/current") &&
		imp fsck >/dev/null 2>fsck.err || { echo "fsck after point $i ($where)"; cat fsck.err; exit 1; }
		cur=$(readlink "$IH/feeds/iocs/current")
		if [ $i -lt "$committed" ]; then
			test "$cur" = "$old" || { echo "point $i ($where): $cur published"; exit 1; }
			imp import b2 >/dev/null 2>err || { echo "re-import after $i ($where)"; cat err; exit 1; }
		else
			test "$cur" = "$new" || { echo "point $i ($where): $cur after commit"; exit 1; }
			expect_code 4 imp import b2 2>/dev/null || { echo "point $i: not already imported"; exit 1; }
		fi
		tree_listing "$IH/feeds/iocs/current" >got && test_cmp want got &&
		test -z "$(find "$IH/spool" "$IH/staging" -mindepth 1)" &&
		imp audit verify >/dev/null || exit 1
		i=$((i + 1))
	done
'

test_expect_success 'a medium truncated while it is spooled: clear error, store unchanged, nothing lost' '
	rm -rf "$IH" && cp -a base-home "$IH" && imp import b2 >/dev/null &&
	head -c 40000000 /dev/urandom >src/big && sign snapshot iocs src >/dev/null &&
	mkbundle b-big && cp b-big victim && store_fingerprint >before &&
	AIRLOCK_FAULT_TRUNCATE=spool expect_code 1 imp import victim 2>err &&
	grep "ended early while it was read" err && grep "hint: reinsert the medium" err &&
	test "$(stat -c %s victim)" -lt "$(stat -c %s b-big)" &&
	store_fingerprint >after && test_cmp before after && imp fsck >/dev/null &&
	imp import b-big >/dev/null && test "$(readlink "$IH/feeds/iocs/current")" = versions/4
'

test_done
