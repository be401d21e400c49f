# tests/t/importer-lib.sh - helpers for the importer tests (sourced after
# lib.sh): a signer home (real airlock-signer) and an importer home that
# trusts it, bundles of a small feed, and a fingerprint of the store.
SH="$TEST_ROOT/signer"
IH="$TEST_ROOT/importer"
sign() { AIRLOCK_HOME="$SH" airlock-signer "$@"; }
imp() { airlock-importer --home "$IH" "$@"; }

# Signer with key and site "hq" = this importer; importer trusting it for
# every feed matching "io*".
importer_setup() {
	printf 'correct horse\n' >"$TEST_ROOT/pass" &&
	sign init >/dev/null && sign keygen --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	imp keygen --no-passphrase >"$TEST_ROOT/rcp" 2>/dev/null &&
	sign site add hq "$(cat "$TEST_ROOT/rcp")" >/dev/null &&
	imp trust add pub "$SH/signer.pub" --feeds 'io*' >/dev/null
}

# feed_v1 / feed_v2 / feed_v3: successive versions of src/ snapshotted as iocs.
feed_v1() {
	mkdir -p src/sub && seq 1 3000 >src/numbers && echo alpha >src/a &&
	printf '#!/bin/sh\necho hi\n' >src/run.sh && chmod 755 src/run.sh &&
	echo nested >src/sub/n.txt && ln -sf ../a src/sub/link-to-a &&
	sign snapshot iocs src >/dev/null
}
feed_v2() {
	sed -i 's/^1500$/fifteen hundred/' src/numbers && echo beta >src/b && rm src/a &&
	ln -sf ../b src/sub/link-to-a && cp src/sub/n.txt src/n-copy.txt &&
	sign snapshot iocs src >/dev/null
}
feed_v3() {
	echo gamma >>src/numbers && echo c >src/c && sign snapshot iocs src >/dev/null
}

# mkbundle OUT [signer bundle options]: a bundle of iocs for hq.
mkbundle() {
	out=$1 && shift &&
	sign bundle iocs --to hq -o "$out" --passphrase-file "$TEST_ROOT/pass" "$@" >/dev/null
}

# The store as consumers and the catalog see it, minus the audit log and
# the quarantine (which a refusal is meant to change).
store_fingerprint() {
	sqlite3 "$IH/importer.db" "SELECT * FROM feeds; SELECT feed, version, hex(tree), retained FROM versions;
		SELECT feed, version, path, mode, size, hex(hash) FROM files; SELECT * FROM bundles;" &&
	(cd "$IH" && find feeds objects -printf '%p %m %s %l\n' | LC_ALL=C sort)
}

# tree_listing DIR: the tree-hash listing of a published tree (as an
# auditor would compute it with find, stat and b2sum).
tree_listing() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort | while read -r p; do
		if [ -L "$p" ]; then
			t=$(readlink "$p"); printf '120000 %s %s %s\n' "${#t}" "$(printf %s "$t" | b2sum | cut -d" " -f1)" "$p"
		else
			m=100644; [ -x "$p" ] && m=100755
			printf '%s %s %s %s\n' "$m" "$(stat -c %s "$p")" "$(b2sum "$p" | cut -d" " -f1)" "$p"
		fi
	done)
}

# json_get FILE EXPR: a value from a JSON file.
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"
}

# Rebuilds a bundle from its three members (to forge one): tar as the
# signer writes it is not needed; tests that want a byte-exact container
# edit it in place instead (flip_byte).
flip_byte() {
	python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); b=f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0]^1]))' "$1" "$2"
}

# member_offset BUNDLE NAME: byte offset of a container member's data.
member_offset() {
	python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if m.name == sys.argv[2]: print(m.offset_data)' "$1" "$2"
}
