#!/bin/sh
# t4100: the versioned store: rollback, retention and prune, and fsck
# naming every kind of damage.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'setup: versions 1..3 imported' '
	importer_setup && feed_v1 && mkbundle b1 && feed_v2 && mkbundle b2 && feed_v3 && mkbundle b3 &&
	imp import b1 >/dev/null && imp import b2 >/dev/null && imp import b3 >/dev/null &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/3
'

test_expect_success 'rollback republishes the previous retained version atomically' '
	imp rollback iocs >out && grep "version 2 published" out &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/2 &&
	imp receipt | grep "^iocs@2:" && imp history iocs | grep "^\* iocs@2" &&
	imp audit | grep " rollback " &&
	imp fsck
'

test_expect_success 'rollback to a named version, to the published one, to an unknown one' '
	imp rollback iocs 1 && test "$(readlink "$IH/feeds/iocs/current")" = versions/1 &&
	expect_code 1 imp rollback iocs 1 2>err && grep "already published" err &&
	expect_code 1 imp rollback iocs 9 2>err && grep "not retained" err &&
	expect_code 1 imp rollback nosuch 2>err && grep "no version" err &&
	expect_code 2 imp rollback "A B" 2>err
'

test_expect_success 'after a rollback a bundle must still be newer than the highest accepted' '
	echo four >src/four && sign snapshot iocs src >/dev/null &&
	sign bundle iocs --to hq --from 3 -o b4 --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	imp rollback iocs 3 && imp import b4 >/dev/null &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/4
'

test_expect_success 'retention keeps 3 older versions; prune --keep 1 drops trees and objects' '
	echo five >src/five && sign snapshot iocs src >/dev/null && mkbundle b5 && imp import b5 >/dev/null &&
	test ! -e "$IH/feeds/iocs/versions/1" && test -d "$IH/feeds/iocs/versions/2" &&
	imp history iocs | grep "iocs@1:.*pruned" &&
	n1=$(find "$IH/objects" -type f | wc -l) &&
	imp prune --keep 1 >out && grep "removed 2 versions and [1-9][0-9]* objects" out &&
	n2=$(find "$IH/objects" -type f | wc -l) && test "$n2" -lt "$n1" &&
	test ! -e "$IH/feeds/iocs/versions/3" && test -d "$IH/feeds/iocs/versions/4" &&
	imp fsck && imp audit | grep " prune "
'

test_expect_success 'prune --keep 0 keeps only the published version; rollback then has nothing' '
	imp prune --keep 0 >out && grep "removed 1 versions" out &&
	test "$(ls "$IH/feeds/iocs/versions")" = 5 && imp fsck &&
	expect_code 1 imp rollback iocs 2>err && grep "no retained version" err
'

obj_of() {
	sqlite3 "$IH/importer.db" "SELECT lower(hex(hash)) FROM files WHERE CAST(path AS TEXT) = '$1' AND version = 5" | head -1
}

test_expect_success 'fsck names a damaged object (exit 3)' '
	h=$(obj_of numbers) && f="$IH/objects/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)" &&
	cp "$f" saved && chmod u+w "$f" && echo tampered >>"$f" &&
	expect_code 3 imp fsck 2>err && grep "fsck: object $h" err &&
	imp fsck --json >f.json; test "$(json_get f.json "d[\"exit\"]")" = 3 &&
	cat saved >"$f" && chmod 444 "$f" && imp fsck
'

test_expect_success 'fsck names a missing, an extra and a changed published file' '
	cur="$IH/feeds/iocs/versions/5" && chmod u+w "$cur" &&
	echo extra >"$cur/extra" &&
	expect_code 3 imp fsck 2>err && grep "files the catalog does not list" err &&
	rm "$cur/extra" && mv "$cur/five" five.saved &&
	expect_code 3 imp fsck 2>err && grep "five. is missing" err &&
	mv five.saved "$cur/five" && imp fsck &&
	chmod u+w "$cur/run.sh" && flip_byte "$cur/run.sh" 3 && chmod 555 "$cur/run.sh" &&
	expect_code 3 imp fsck 2>err && grep "run.sh. does not match its hash" err &&
	chmod u+w "$cur/run.sh" && flip_byte "$cur/run.sh" 3 && chmod 555 "$cur/run.sh" &&
	chmod 644 "$cur/five" &&
	expect_code 3 imp fsck 2>err && grep "five. has the wrong type, mode or size" err &&
	chmod 444 "$cur/five" && chmod 755 "$cur" && imp fsck
'

test_expect_success 'opening the home re-points a current link the catalog does not agree with' '
	ln -sfn versions/4 "$IH/feeds/iocs/current.x" &&
	mv -T "$IH/feeds/iocs/current.x" "$IH/feeds/iocs/current" &&
	imp status >/dev/null &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/5 && imp fsck
'

test_done
