#!/bin/sh
# t3000: airlock-importer import: full and delta bundles, published trees
# equal to the signer's source, receipts, folders, ISO images, JSON.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

# same_tree A B: same files, modes, symlinks and contents.
same_tree() {
	tree_listing "$1" >l1 && tree_listing "$2" >l2 && test_cmp l1 l2
}

test_expect_success 'setup' '
	importer_setup && feed_v1 && mkbundle b1 && feed_v2 && mkbundle b2
'

test_expect_success 'import of a full bundle publishes version 1 equal to the source at v1' '
	imp import b1 >out && grep "^imported   iocs@1" out &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/1 &&
	test -z "$(find "$IH/spool" "$IH/staging" -mindepth 1)"
'

test_expect_success 'the published tree hashes to the signed target tree (auditor recomputation)' '
	tree_listing "$IH/feeds/iocs/current/" >listing &&
	rm -rf hdr && mkdir hdr && tar -xf b1 -C hdr bundle.json &&
	test "$(b2sum <listing | cut -d" " -f1)" = "$(json_get hdr/bundle.json "d[\"target\"][\"tree\"]")"
'

test_expect_success 'published files are read-only; executables keep their x bit' '
	test "$(stat -c %a "$IH/feeds/iocs/current/numbers")" = 444 &&
	test "$(stat -c %a "$IH/feeds/iocs/current/run.sh")" = 555 &&
	test "$(readlink "$IH/feeds/iocs/current/sub/link-to-a")" = ../a
'

test_expect_success 'receipt is FEED@VERSION:PREFIX of the tree hash, and the signer takes it' '
	imp receipt >r && imp receipt iocs >r2 && test_cmp r r2 &&
	prefix=$(json_get hdr/bundle.json "d[\"target\"][\"tree\"][:8]") &&
	test "$(cat r)" = "iocs@1:$prefix" &&
	sign site set hq "$(cat r)" >/dev/null
'

test_expect_success 'import of the delta v1->v2 publishes a tree equal to the source' '
	imp import b2 >out && grep "^imported   iocs@2" out &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/2 &&
	same_tree "$IH/feeds/iocs/current" src &&
	test ! -e "$IH/feeds/iocs/current/a"
'

test_expect_success 'status shows the feed; --json carries version, tree, signer, receipt' '
	imp status >out && grep "^iocs .*v2 .*iocs@2:.*signed by pub" out &&
	imp status --json >s.json &&
	test "$(json_get s.json "d[\"feeds\"][0][\"version\"]")" = 2 &&
	test "$(json_get s.json "d[\"feeds\"][0][\"signer\"][\"name\"]")" = pub &&
	test "$(json_get s.json "d[\"feeds\"][0][\"receipt\"]")" = "$(imp receipt)"
'

test_expect_success 'history lists both versions, the published one marked' '
	imp history iocs >h && grep "^\* iocs@2:" h && grep "^  iocs@1:" h &&
	imp history iocs --json >h.json &&
	test "$(json_get h.json "[v[\"version\"] for v in d[\"versions\"]]")" = "[2, 1]"
'

test_expect_success 'importing the same bundle again is refused (exit 4), nothing changes' '
	store_fingerprint >before &&
	expect_code 4 imp import b2 2>err && grep "already imported" err &&
	store_fingerprint >after && test_cmp before after
'

test_expect_success 'a folder imports in sequence order and skips what was imported' '
	sign site set hq "$(imp receipt)" >/dev/null &&
	mkdir medium && cp b2 medium/a-old && feed_v3 && mkbundle medium/z-v3 &&
	echo delta >>src/c && sign snapshot iocs src >/dev/null && mkbundle medium/m-v4 &&
	echo "not a bundle" >medium/README &&
	imp inbox medium >inbox && grep "^already imported .*a-old" inbox &&
	grep "^ready .*z-v3" inbox && grep "^ready .*m-v4 .*queued after z-v3" inbox &&
	imp import medium >out && grep "skipped .*a-old" out &&
	test "$(readlink "$IH/feeds/iocs/current")" = versions/4 &&
	same_tree "$IH/feeds/iocs/current" src
'

test_expect_success 'an ISO 9660 image is read without mounting it' '
	echo five >src/five && sign snapshot iocs src >/dev/null && mkbundle iso-b5 &&
	mkdir isodir && cp iso-b5 isodir/bundle5.airlock &&
	genisoimage -quiet -R -J -o disc.iso isodir &&
	imp inbox disc.iso >inbox && grep "^ready .*bundle5.airlock" inbox &&
	imp import --json disc.iso >out.json &&
	test "$(json_get out.json "d[\"exit\"]")" = 0 &&
	test "$(json_get out.json "d[\"bundles\"][0][\"bundle\"][\"target\"][\"version\"]")" = 5 &&
	same_tree "$IH/feeds/iocs/current" src
'

test_expect_success 'import --json of a refused bundle carries the code and reason' '
	expect_code 4 imp import --json iso-b5 >out.json 2>/dev/null &&
	test "$(json_get out.json "d[\"bundles\"][0][\"result\"]")" = policy &&
	test "$(json_get out.json "d[\"bundles\"][0][\"exit\"]")" = 4
'

test_expect_success 'fsck is clean and the audit chain verifies after the imports' '
	imp fsck >out && grep consistent out &&
	imp audit verify && imp audit | grep -c " import " >n && test "$(cat n)" -ge 5
'

test_expect_success 'work is proportional: an unchanged file keeps its inode across versions' '
	i4=$(stat -c %i "$IH/feeds/iocs/versions/4/numbers") &&
	i5=$(stat -c %i "$IH/feeds/iocs/versions/5/numbers") && test "$i4" = "$i5"
'

test_done
