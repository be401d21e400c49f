#!/bin/sh
# Every layer of a bundle opens with the standard Debian tools alone: tar,
# minisign -V, b2sum, age -d, tar --zstd, zstd -d --patch-from. The target
# tree is rebuilt from the base tree with those tools (python3 only reads
# MANIFEST.json and bundle.json) and compared with the original.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/signer-lib.sh"

# manifest_lines FILE: MANIFEST.json as tab-separated lines the shell reads:
#   removed PATH | frame INDEX NAME | symlink PATH TARGET |
#   whole PATH MODE | copy PATH MODE FROM | delta PATH MODE FRAME SIZE BASE
# (reading only: an absent "mode" is 0644, an absent delta "base" is PATH).
manifest_lines() {
	python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
out = []
for p in m["removed"]: out.append(["removed", p])
for i, f in enumerate(m["frames"]): out.append(["frame", str(i), f["name"]])
for e in m["entries"]:
    mode = e.get("mode", "0644")
    if e.get("type") == "symlink": out.append(["symlink", e["path"], e["target"]])
    elif e["source"] == "whole": out.append(["whole", e["path"], mode])
    elif e["source"] == "copy": out.append(["copy", e["path"], mode, e["from"]])
    else: out.append(["delta", e["path"], mode, str(e["frame"]), str(e["size"]),
                      e.get("base", e["path"])])
for l in out: print("\t".join(l))' "$1"
}

# frame_base INDEX BASE: the base of frame INDEX is its members' bases in
# manifest order, each only at its first use, concatenated.
frame_base() {
	: >frames/base.$1 && : >frames/names.$1 &&
	while IFS="	" read -r kind p mode frame size bp; do
		[ "$kind" = delta ] && [ "$frame" = "$1" ] || continue
		if grep -Fxq -- "$bp" frames/names.$1; then continue; fi
		printf "%s\n" "$bp" >>frames/names.$1 && cat "$2/$bp" >>frames/base.$1 || return 1
	done <lines
}

# rebuild BASE PAYLOADDIR OUT: applies an unpacked payload to a copy of BASE.
# A delta member's offset is the sum of the sizes of the frame's earlier
# members (frames/off.INDEX keeps the running sum).
rebuild() {
	base=$1 pay=$2 out=$3
	rm -rf "$out" frames && mkdir frames &&
	if [ -n "$base" ]; then cp -a "$base" "$out"; else mkdir "$out"; fi &&
	manifest_lines "$pay/MANIFEST.json" >lines &&
	# Frames first, against the base files, before anything is replaced.
	while IFS="	" read -r kind a b rest; do
		[ "$kind" = frame ] || continue
		frame_base "$a" "$base" && echo 0 >frames/off.$a &&
		zstd -q -d --patch-from=frames/base.$a "$pay/$b" -o frames/out.$a || return 1
	done <lines &&
	while IFS="	" read -r kind p a b c d; do
		case $kind in
		removed) rm -f "$out/$p" ;;
		symlink) mkdir -p "$(dirname "$out/$p")" && rm -f "$out/$p" && ln -s "$a" "$out/$p" ;;
		whole) mkdir -p "$(dirname "$out/$p")" && rm -f "$out/$p" &&
			cp "$pay/files/$p" "$out/$p" && chmod "$a" "$out/$p" ;;
		copy) mkdir -p "$(dirname "$out/$p")" && cp "$base/$b" "$out/$p.new" &&
			mv -f "$out/$p.new" "$out/$p" && chmod "$a" "$out/$p" ;;
		delta) mkdir -p "$(dirname "$out/$p")" && off=$(cat frames/off.$b) &&
			tail -c +$((off + 1)) "frames/out.$b" | head -c "$c" >"$out/$p.new" &&
			echo $((off + c)) >frames/off.$b &&
			mv -f "$out/$p.new" "$out/$p" && chmod "$a" "$out/$p" ;;
		esac || return 1
	done <lines &&
	# Directories left empty by removals do not exist in a tree.
	find "$out" -mindepth 1 -type d -empty -delete
}

# open_bundle FILE KEY DIR: tar, minisign, b2sum, age and tar --zstd.
open_bundle() {
	rm -rf "$3" && mkdir -p "$3/c" "$3/p" &&
	# the container has no end marker: tar must open it without a word
	tar -xf "$1" -C "$3/c" 2>"$3/tar.err" && test ! -s "$3/tar.err" &&
	tar -tf "$1" >"$3/list" 2>"$3/tar.err" && test ! -s "$3/tar.err" &&
	printf "bundle.json\nbundle.json.minisig\npayload.age\n" | test_cmp - "$3/list" &&
	minisign -Vm "$3/c/bundle.json" -p "$AIRLOCK_HOME/signer.pub" >/dev/null &&
	test "$(b2sum "$3/c/payload.age" | cut -d" " -f1)" = \
		"$(json_get "$3/c/bundle.json" "d[\"payload\"][\"blake2b\"]")" &&
	age -d -i "$2" -o "$3/payload.tar.zst" "$3/c/payload.age" &&
	tar --zstd -xf "$3/payload.tar.zst" -C "$3/p" &&
	tar --zstd -tf "$3/payload.tar.zst" | head -1 | grep -x MANIFEST.json
}

same_tree() {
	diff -r --no-dereference "$1" "$2" &&
	(cd "$1" && find . -printf "%p %y %m\n" | LC_ALL=C sort) >tree1 &&
	(cd "$2" && find . -printf "%p %y %m\n" | LC_ALL=C sort) >tree2 &&
	test_cmp tree1 tree2
}

test_expect_success 'setup: v1 of a feed, signed bundle chain for site hq' '
	signer_setup &&
	mkdir -p v1/rules v1/lists && seq 1 30000 >v1/lists/big.txt &&
	seq 1 500 | sed "s/^/rule /" >v1/rules/a.rules && echo "old" >v1/rules/gone.rules &&
	echo "#!/bin/sh" >v1/run.sh && chmod 755 v1/run.sh && echo same >v1/same.txt &&
	head -c 20000 /dev/urandom >v1/moved.bin && ln -s lists/big.txt v1/latest &&
	seq 1 20000 | sed "s/^/ioc-/" >v1/lists/iocs-2024.csv &&
	seq 1 3000 | sed "s/^/sig-/" >v1/rules/sigs-alpha.rules &&
	: >v1/empty && airlock-signer snapshot iocs v1 >/dev/null &&
	airlock-signer bundle iocs --to hq -o full.bundle --passphrase-file pass >/dev/null
'

test_expect_success 'the full bundle opens and rebuilds v1 with standard tools alone' '
	open_bundle full.bundle hq.key f &&
	test "$(json_get f/c/bundle.json "d[\"base\"]")" = None &&
	rebuild "" f/p out1 && same_tree v1 out1
'

test_expect_success 'setup: v2 changes, adds, removes, renames, re-links, re-modes' '
	cp -a v1 v2 && sed -i "s/^12345$/changed/; s/^29999$/also changed/" v2/lists/big.txt &&
	sed -i "s/^rule 250$/rule 250 revised/" v2/rules/a.rules && rm v2/rules/gone.rules &&
	mkdir v2/new && echo "brand new" >v2/new/file.txt && mv v2/moved.bin v2/new/renamed.bin &&
	rm v2/latest && ln -s rules/a.rules v2/latest && chmod 644 v2/run.sh &&
	echo "now with data" >v2/empty &&
	sed "s/^ioc-777$/ioc-777 revoked/" v1/lists/iocs-2024.csv >v2/lists/iocs-2025.csv &&
	rm v2/lists/iocs-2024.csv && mkdir -p v2/feeds/beta &&
	sed "s/^sig-1500$/sig-1500 retired/" v1/rules/sigs-alpha.rules >v2/feeds/beta/collection.txt &&
	rm v2/rules/sigs-alpha.rules &&
	airlock-signer snapshot iocs v2 >/dev/null &&
	airlock-signer bundle iocs --to hq -o delta.bundle --passphrase-file pass >/dev/null
'

test_expect_success 'the delta bundle opens layer by layer with standard tools' '
	open_bundle delta.bundle hq.key d &&
	test "$(json_get d/c/bundle.json "d[\"base\"][\"version\"]")" = 1 &&
	test "$(json_get d/c/bundle.json "d[\"target\"][\"version\"]")" = 2
'

test_expect_success 'zstd --patch-from and cat/tail/head rebuild v2 from v1' '
	rebuild v1 d/p out2 && same_tree v2 out2
'

test_expect_success 'the delta really uses patch-from frames and copies' '
	grep "^delta" lines && grep "^copy" lines && grep "^removed	rules/gone.rules" lines &&
	test "$(stat -c %s delta.bundle)" -lt "$(stat -c %s full.bundle)"
'

test_expect_success 'a file moved to an unrelated name and edited is coded against it by content' '
	grep "^delta	feeds/beta/collection.txt	0644	[0-9]*	[0-9]*	rules/sigs-alpha.rules$" lines
'

test_expect_success 'a renamed and edited file is coded against its old name, named as base' '
	grep "^delta	lists/iocs-2025.csv	0644	[0-9]*	[0-9]*	lists/iocs-2024.csv$" lines &&
	grep -F "\"path\":\"lists/iocs-2025.csv\",\"size\":" d/p/MANIFEST.json &&
	grep -F "\"base\":\"lists/iocs-2024.csv\"}" d/p/MANIFEST.json &&
	! grep -F "\"offset\"" d/p/MANIFEST.json && ! grep -F "\"bases\"" d/p/MANIFEST.json &&
	! grep -F "\"type\":\"file\"" d/p/MANIFEST.json && ! grep -F "\"mode\":\"0644\"" d/p/MANIFEST.json
'

test_expect_success 'a tampered bundle.json fails minisign -V' '
	sed "s/\"sequence\":2/\"sequence\":9/" d/c/bundle.json >forged.json &&
	! cmp -s forged.json d/c/bundle.json &&
	cp d/c/bundle.json.minisig forged.json.minisig &&
	! minisign -Vm forged.json -x forged.json.minisig -p "$AIRLOCK_HOME/signer.pub" 2>/dev/null
'

test_expect_success 'a site the bundle is not for cannot decrypt it' '
	age-keygen -o other.key 2>/dev/null &&
	! age -d -i other.key -o /dev/null d/c/payload.age 2>/dev/null
'

test_done
