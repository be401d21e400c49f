#!/bin/sh
# bundle-standard-tools.sh BUNDLE BASE_DIR|- TARGET_DIR SIGNER_PUB SITE_KEY WORK
# Opens every layer of an airlock bundle with standard tools only (tar,
# minisign, b2sum, age, zstd, cat, tail/head, python3 for reading JSON),
# rebuilds the target tree from the base and checks it against TARGET_DIR
# and against the signed tree hash. Used by test_bundle.c; the same steps
# are in airlock-bundle(5). Exits non-zero, saying why, on any mismatch.
set -eu
bundle=$1 base=$2 target=$3 pub=$4 key=$5 work=$6
fail() { echo "bundle-standard-tools: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

mkdir -p "$work/c" "$work/p" "$work/frames"
cd "$work"

# Layer 1: container
tar -xf "$bundle" -C c
[ "$(tar -tf "$bundle" | tr '\n' ' ')" = "bundle.json bundle.json.minisig payload.age " ] ||
	fail "container members"
# Layer 2: signature
minisign -Vm c/bundle.json -p "$pub" -x c/bundle.json.minisig >/dev/null || fail "minisign -V"
# Layer 3: header -> payload hash and size
[ "$(b2sum c/payload.age | cut -d' ' -f1)" = "$(json c/bundle.json 'd["payload"]["blake2b"]')" ] ||
	fail "b2sum payload.age"
[ "$(stat -c %s c/payload.age)" = "$(json c/bundle.json 'd["payload"]["size"]')" ] ||
	fail "payload size"
n=0
while [ $n -lt "$(json c/bundle.json 'len(d["payload"]["segments"])')" ]; do
	seg=$(dd if=c/payload.age bs=16M skip=$n count=1 2>/dev/null | b2sum | cut -d' ' -f1)
	[ "$seg" = "$(json c/bundle.json "d['payload']['segments'][$n]")" ] || fail "segment $n"
	n=$((n + 1))
done
# Layer 4: encryption
age -d -i "$key" -o payload.tar.zst c/payload.age || fail "age -d"
# Layer 5: payload
zstd -q -d -c payload.tar.zst | tar -x -C p || fail "zstd -d | tar -x"
[ "$(zstd -q -d -c payload.tar.zst | tar -t | head -n 1)" = MANIFEST.json ] || fail "first member"

# Rebuild: base, minus removed, plus every entry (fields joined with '|':
# the test's paths have none; IFS whitespace would merge empty fields).
m=p/MANIFEST.json
if [ "$base" = - ]; then mkdir rebuilt; else cp -a "$base" rebuilt; fi
json $m '"\n".join(d["removed"])' | while IFS= read -r path; do
	if [ -n "$path" ]; then rm -- "rebuilt/$path"; fi
done
# Entries as lines (python3 only reads: an absent "type" is a file, an
# absent "mode" 0644, an absent delta "base" the entry's own path).
json $m '"\n".join("|".join([e["path"], e.get("type", "file"), e.get("source", ""),
    e.get("mode", "0644") if e.get("type") != "symlink" else "", str(e.get("size", "")),
    e.get("from", e.get("target", "")), str(e.get("frame", "")),
    e.get("base", e["path"]) if e.get("source") == "delta" else ""])
    for e in d["entries"])' >entries
# Frame i's base: its members' bases in manifest order, each only at its
# first use, concatenated; its members sit at cumulative offsets.
i=0
while [ $i -lt "$(json $m 'len(d["frames"])')" ]; do
	: >frames/base.bin
	: >frames/names
	while IFS='|' read -r path type src mode size arg frame bpath; do
		[ "$src" = delta ] && [ "$frame" = $i ] || continue
		if grep -Fxq -- "$bpath" frames/names; then continue; fi
		printf '%s\n' "$bpath" >>frames/names
		cat "$base/$bpath" >>frames/base.bin
	done <entries
	name=$(json $m "d['frames'][$i]['name']")
	zstd -q -d --patch-from=frames/base.bin "p/$name" -o "frames/$i.bin" || fail "patch $name"
	echo 0 >"frames/$i.off"
	i=$((i + 1))
done
while IFS='|' read -r path type src mode size arg frame bpath; do
	[ -n "$path" ] || continue
	out="rebuilt/$path"
	mkdir -p "$(dirname "$out")"
	rm -f "$out"
	case "$type/$src" in
	symlink/) ln -s "$arg" "$out" ;;
	file/whole) cat "p/files/$path" >"$out" ;;
	file/copy) cat "$base/$arg" >"$out" ;;
	file/delta)
		off=$(cat "frames/$frame.off")
		tail -c +$((off + 1)) "frames/$frame.bin" | head -c "$size" >"$out"
		echo $((off + size)) >"frames/$frame.off" ;;
	*) fail "entry kind $type/$src" ;;
	esac
	[ "$type" = symlink ] || chmod "$mode" "$out"
done <entries

# The rebuilt tree equals the target, modes and links included ...
diff -r --no-dereference rebuilt "$target" || fail "rebuilt tree differs"
(cd rebuilt && find . ! -type d -printf '%p %m %y\n' | LC_ALL=C sort) >modes.a
(cd "$target" && find . ! -type d -printf '%p %m %y\n' | LC_ALL=C sort) >modes.b
cmp -s modes.a modes.b || fail "modes differ"
# ... and gives the signed tree hash: find, stat, b2sum, sort, b2sum.
(cd rebuilt && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
	if [ -L "$f" ]; then
		t=$(readlink "$f")
		printf '120000 %s %s %s\n' "$(printf '%s' "$t" | wc -c)" \
			"$(printf '%s' "$t" | b2sum | cut -d' ' -f1)" "$f"
	else
		printf '100%s %s %s %s\n' "$(stat -c %a "$f")" "$(stat -c %s "$f")" \
			"$(b2sum <"$f" | cut -d' ' -f1)" "$f"
	fi
done) >listing
[ "$(b2sum listing | cut -d' ' -f1)" = "$(json c/bundle.json 'd["target"]["tree"]')" ] ||
	fail "tree hash of the rebuilt tree is not the signed one"
echo "# bundle-standard-tools: every layer opened; the target rebuilt and matched"
