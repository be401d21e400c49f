#!/usr/bin/env bash
# demo/run.sh - airlock end to end on the sample feed in demo/feed, in a fresh
# temporary folder: both homes, keys, trust, snapshots, a full and a delta
# bundle, every layer of the delta bundle opened with standard tools, the
# imports, the receipt carried back, and a tampered bundle refused.
#
#   demo/run.sh [BUILD_DIR]      (make demo passes the absolute build dir)
#
# Keys are made with --no-passphrase so the demo runs unattended; operators
# give their keys a passphrase (keygen asks for it, or --passphrase-file).
# Any failing step stops the demo with a message (set -e).
set -euo pipefail
{ # the whole script is parsed before it runs, so editing it meanwhile is safe

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
for p in airlock-signer airlock-importer; do
	[[ -x $build/$p ]] || { echo "demo: $build/$p is missing: run make first" >&2; exit 1; }
done
for t in tar minisign b2sum age zstd python3 cmp; do
	command -v "$t" >/dev/null || { echo "demo: $t is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
PATH=$build:$PATH
export PATH
unset AIRLOCK_HOME

demo=$(mktemp -d "${TMPDIR:-/tmp}/airlock-demo.XXXXXX")
trap 'echo; echo "demo: FAILED at line $LINENO (the folder $demo is kept for a look)" >&2' ERR
cd "$demo"
t0=$(date +%s%N)

bold="" off=""
if [[ -t 1 ]]; then bold=$(tput bold 2>/dev/null || true) off=$(tput sgr0 2>/dev/null || true); fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
say() { printf '   %s\n' "$*"; }
# run CMD...: shows the command as typed, then runs it, output indented
run() {
	printf '%s$ %s%s\n' "$bold" "$*" "$off"
	"$@" 2>&1 | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}
# runsh 'pipeline': the same for a shell pipeline
runsh() {
	printf '%s$ %s%s\n' "$bold" "$1" "$off"
	bash -c "set -euo pipefail; $1" 2>&1 | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}
# json FILE KEY.KEY...: one value of a JSON file (python3 only reads it)
json() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$@"
}
human() { numfmt --to=iec-i --suffix=B "$1"; }

echo "airlock demo in $demo"
echo "(the sample feed is demo/feed/v1 and v2: documentation addresses, reserved domains, harmless hashes)"
cp -r "$here/feed" feed

section "1. Low side: the signer's home and signing key"
run airlock-signer --home low init
say "(--no-passphrase only for this demo: an operator protects the key with a passphrase)"
run airlock-signer --home low keygen --no-passphrase

section "2. High side: the importer's home and the site key (age X25519)"
run airlock-importer --home high keygen --no-passphrase
recipient=$(cat high/site.recipient)
say "the site's recipient, carried to the low side: $recipient"
run airlock-importer --home high trust add publisher low/signer.pub --feeds 'demo-*'
run airlock-importer --home high trust list

section "3. Low side: register the site, snapshot v1, full bundle"
run airlock-signer --home low site add site-a "$recipient"
run airlock-signer --home low snapshot demo-intel feed/v1
run airlock-signer --home low bundle demo-intel --to site-a --full -o full.bundle

section "4. Low side: snapshot v2, delta bundle against v1"
say "v2 changes a few indicators, adds feed/v2/rules/yara/fake_bot.yar, removes a Sigma rule and renames a Suricata file"
run airlock-signer --home low snapshot demo-intel feed/v2
run airlock-signer --home low bundle demo-intel --to site-a --from 1 -o delta.bundle
run airlock-signer --home low log
feedsize=$(find feed/v2 -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
say "feed v2: $(find feed/v2 -type f | wc -l) files, $(human "$feedsize")"
say "full.bundle:  $(human "$(stat -c %s full.bundle)") ($(stat -c %s full.bundle) bytes)"
say "delta.bundle: $(human "$(stat -c %s delta.bundle)") ($(stat -c %s delta.bundle) bytes)"

section "5. Every layer of delta.bundle opens with a standard tool (in open/)"
mkdir open
cd open
say "layer 1, container: an uncompressed tar of three files"
run tar tvf ../delta.bundle
run tar xf ../delta.bundle
say "layer 2, signature: minisign over bundle.json, with the signer's public key"
run minisign -Vm bundle.json -p ../low/signer.pub
say "layer 3, header: bundle.json (signed) names the payload's size and BLAKE2b-512"
runsh "head -c 600 bundle.json; echo ..."
want=$(json bundle.json payload blake2b)
run b2sum payload.age
got=$(b2sum payload.age | cut -d' ' -f1)
[[ $got == "$want" ]] || { echo "demo: b2sum of payload.age differs from the header" >&2; exit 1; }
say "matches payload.blake2b in bundle.json"
say "layer 4, encryption: age, to the site's key"
run age -d -i ../high/site.key -o payload.tar.zst payload.age
say "layer 5, payload: a zstd-compressed tar, MANIFEST.json first"
run tar --zstd -tvf payload.tar.zst
mkdir payload
run tar --zstd -xf payload.tar.zst -C payload
runsh "head -c 1200 payload/MANIFEST.json; echo ..."
say "layer 6, deltas: zstd patch-from frames against the base version's files"
say "rebuild v2 from v1 and the payload with cat, zstd, head/tail, cp only:"
cp -r ../feed/v1 rebuilt
python3 - payload/MANIFEST.json >rebuild.sh <<'EOF'
# Turns MANIFEST.json into the plain shell commands that apply it (printed, then run).
import json, shlex, sys
m = json.load(open(sys.argv[1]))
q = shlex.quote
print("set -e")
for p in m["removed"]:
    print("rm -- %s" % q("rebuilt/" + p))
# A frame's base: its members' bases (an absent "base" is the entry's own
# path) in manifest order, each once; members sit at cumulative offsets.
offsets = {}
for i, f in enumerate(m["frames"]):
    bases = []
    for e in m["entries"]:
        b = e.get("base", e["path"])
        if e.get("frame") == i and e.get("source") == "delta" and b not in bases:
            bases.append(b)
    offsets[i] = 0
    print("cat %s > base%d.bin" % (" ".join(q("../feed/v1/" + b) for b in bases), i))
    print("zstd -q -d --patch-from=base%d.bin %s -o frame%d.bin" % (i, q("payload/" + f["name"]), i))
for e in m["entries"]:
    dst = q("rebuilt/" + e["path"])
    print("mkdir -p \"$(dirname %s)\"" % dst)
    if e.get("type") == "symlink":
        print("ln -sfn %s %s" % (q(e["target"]), dst))
        continue
    src = e["source"]
    if src == "whole":
        print("cp %s %s" % (q("payload/files/" + e["path"]), dst))
    elif src == "copy":
        print("cp %s %s" % (q("../feed/v1/" + e["from"]), dst))
    elif src == "delta":
        off = offsets[e["frame"]]
        offsets[e["frame"]] += e["size"]
        print("tail -c +%d frame%d.bin | head -c %d > %s" % (off + 1, e["frame"], e["size"], dst))
    print("chmod %s %s" % (e.get("mode", "0644"), dst))
EOF
sed 's/^/  /' rebuild.sh
bash rebuild.sh
run diff -r rebuilt ../feed/v2
say "identical to feed/v2"
say "the tree hash, recomputed with find, b2sum and sort (bundle.json target.tree):"
treehash() {
	(cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r f; do
		m=100644; [[ -x $f ]] && m=100755
		printf '%s %s %s %s\n' "$m" "$(stat -c %s "$f")" "$(b2sum "$f" | cut -d' ' -f1)" "$f"
	done) | b2sum | cut -d' ' -f1
}
th=$(treehash rebuilt)
say "recomputed: ${th:0:32}..."
say "signed:     $(json bundle.json target tree | cut -c1-32)..."
[[ $th == "$(json bundle.json target tree)" ]] || { echo "demo: the tree hash differs" >&2; exit 1; }
cd ..

section "6. High side: verify and import the full bundle, then the delta"
run airlock-importer --home high verify full.bundle
run airlock-importer --home high import full.bundle
run airlock-importer --home high import delta.bundle
run airlock-importer --home high status
run diff -r high/feeds/demo-intel/current feed/v2
say "high/feeds/demo-intel/current is feed v2, byte for byte"

section "7. The receipt goes back to the low side"
receipt=$(airlock-importer --home high receipt demo-intel)
run airlock-importer --home high receipt demo-intel
run airlock-signer --home low site set site-a "$receipt"
run airlock-signer --home low site list

section "8. A tampered bundle is refused"
say "v3 adds one indicator; with the receipt recorded the signer picks the base (v2) itself"
cp -r feed/v2 feed/v3
echo "ipv4,192.0.2.99,80,2026-11-23,FakeBot,c2" >>feed/v3/indicators/indicators.csv
run airlock-signer --home low snapshot demo-intel feed/v3
run airlock-signer --home low bundle demo-intel --to site-a -o v3.bundle
cp v3.bundle tampered.bundle
# the payload's data starts after three 512-byte tar headers and the first two
# entries padded to 512 bytes
jl=$(tar tvf v3.bundle | awk '$6 == "bundle.json" { print $3 }')
sl=$(tar tvf v3.bundle | awk '$6 == "bundle.json.minisig" { print $3 }')
pl=$(tar tvf v3.bundle | awk '$6 == "payload.age" { print $3 }')
pos=$((512 + (jl + 511) / 512 * 512 + 512 + (sl + 511) / 512 * 512 + 512 + pl / 2))
byte=$(od -An -tu1 -j "$pos" -N1 tampered.bundle | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of=tampered.bundle bs=1 seek="$pos" conv=notrunc status=none
say "flipped one bit of byte $pos (inside payload.age): $(cmp -l v3.bundle tampered.bundle | wc -l) byte differs"
rc=0
run airlock-importer --home high import tampered.bundle || rc=$?
say "exit code $rc"
[[ $rc -eq 3 ]] || { echo "demo: the tampered bundle should have been refused with exit code 3, got $rc" >&2; exit 1; }
run airlock-importer --home high quarantine list
run airlock-importer --home high import v3.bundle
run airlock-importer --home high status

ms=$((($(date +%s%N) - t0) / 1000000))
section "done in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s; everything is in $demo"
trap - ERR
exit
}
