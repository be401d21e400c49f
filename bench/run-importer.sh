#!/usr/bin/env bash
# bench/run-importer.sh - the high side: what an import costs.
#
#   bench/run-importer.sh [BUILD_DIR] [CORPUS_DIR]
#
# 1. Throughput: a full bundle of the largest corpus snapshot (or $SNAPSHOT),
#    imported by airlock-importer, against the standard-tool pipeline on the
#    very same bundle: tar xf, minisign -V, b2sum, age -d | zstd -d | tar -x
#    (and the same followed by sync, since airlock fsyncs before it publishes).
#    Wall time (median of $RUNS, default 3), MB/s of feed data, peak RSS.
# 2. Small delta into a large feed: a synthetic feed of $FILES (default 100000)
#    small files, imported full; then a bundle changing $CHANGED (default 10)
#    files, imported on top. Time, peak RSS and I/O of each import, from
#    /proc/PID/io (bench/measure.py).
# Raw results: bench/out/<stamp>-importer/importer.tsv.
set -euo pipefail
{ # the whole script is parsed before it runs, so editing it meanwhile is safe

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }

build=$(cd "${1:-$repo/build}" 2>/dev/null && pwd) || die "no build directory ${1:-$repo/build}"
corpus=$(cd "${2:-${AIRLOCK_CORPUS_DIR:-$repo/../corpus}}" 2>/dev/null && pwd) || die "no corpus directory (give CORPUS_DIR)"
RUNS=${RUNS:-3} FILES=${FILES:-100000} CHANGED=${CHANGED:-10}
[[ $RUNS =~ ^[1-9]$ && $FILES =~ ^[1-9][0-9]*$ && $CHANGED =~ ^[1-9][0-9]*$ ]] || die "RUNS, FILES, CHANGED must be positive numbers"
((CHANGED <= FILES)) || die "CHANGED must not exceed FILES"
for p in airlock-signer airlock-importer; do
	[[ -x $build/$p ]] || die "$build/$p is missing: build first (make)"
done
for t in tar minisign b2sum age zstd python3 /usr/bin/time; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done

stamp=$(date -u +%Y%m%d-%H%M%S)
out=$here/out/$stamp-importer
mkdir -p "$out"
tsv=$out/importer.tsv
printf 'case\ttool\trun\twall_ms\texit\tmaxrss_kb\trchar\twchar\tread_bytes\twrite_bytes\tsyscr\tsyscw\tdata_bytes\tfiles\n' >"$tsv"
work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench-imp.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

S() { "$build/airlock-signer" --home "$work/signer" "$@"; }
I() { "$build/airlock-importer" "$@"; }

# ---- homes: one signer, one pristine importer home that every run copies -----
S init >/dev/null
S keygen --no-passphrase >/dev/null
I --home tmpl keygen --no-passphrase >/dev/null
I --home tmpl trust add bench signer/signer.pub --feeds '*' >/dev/null
S site add bench "$(cat tmpl/site.recipient)" >/dev/null
fresh_importer() { rm -rf "$1" && cp -a tmpl "$1"; }

# m CASE TOOL RUN DATA FILES CMD...: one measured run, appended to the TSV
m() {
	local c=$1 t=$2 r=$3 d=$4 f=$5
	shift 5
	"$here/measure.py" -o "$work/m" "$@" >/dev/null 2>"$work/err" || {
		echo "$prog: failed: $*" >&2
		sed 's/^/  /' "$work/err" >&2
		exit 1
	}
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$t" "$r" "$(cat "$work/m")" "$d" "$f" >>"$tsv"
}

echo "airlock importer bench: $(date -u +%FT%TZ) on $(uname -n), $(nproc) cores; build $build"
echo "results: $tsv"

# ---- 1. throughput ---------------------------------------------------------------
snap=${SNAPSHOT:-}
if [[ -z $snap ]]; then
	snap=$(du -sb "$corpus"/*/v[0-9]* | sort -n | tail -1 | cut -f2)
fi
[[ -d $snap ]] || die "no snapshot directory $snap"
bytes=$(find "$snap" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
files=$(find "$snap" -type f | wc -l)
echo "== 1. full import of $snap ($files files, $bytes bytes)"
S snapshot big "$snap" >/dev/null
S bundle big --to bench --full -o big.bundle >/dev/null
echo "   bundle: $(stat -c %s big.bundle) bytes"
cat >pipeline.sh <<'EOF'
# The auditor's way, every layer with a standard tool: $1 bundle, $2 signer.pub,
# $3 site.key, $4 output directory, $5 "sync" to flush like airlock does.
set -euo pipefail
mkdir -p "$4/layers" "$4/tree"
tar -xf "$1" -C "$4/layers"
minisign -q -Vm "$4/layers/bundle.json" -p "$2"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload"]["blake2b"])' "$4/layers/bundle.json")
[ "$(b2sum "$4/layers/payload.age" | cut -d' ' -f1)" = "$want" ]
age -d -i "$3" "$4/layers/payload.age" | zstd -q -d | tar -x -C "$4/tree"
[ "${5:-}" != sync ] || sync -f "$4/tree"
EOF
for ((r = 1; r <= RUNS; r++)); do
	fresh_importer imp
	m full airlock-import "$r" "$bytes" "$files" "$build/airlock-importer" --home imp import big.bundle
	rm -rf pipe
	m full pipeline "$r" "$bytes" "$files" bash pipeline.sh big.bundle signer/signer.pub tmpl/site.key pipe
	rm -rf pipe
	m full pipeline+sync "$r" "$bytes" "$files" bash pipeline.sh big.bundle signer/signer.pub tmpl/site.key pipe sync
done
rm -rf imp pipe

# ---- 2. a small delta into a large feed --------------------------------------------
echo "== 2. $FILES small files imported full, then $CHANGED of them changed"
python3 - "$FILES" feed <<'EOF'
# A synthetic indicator feed: FILES small text files, 100 to a directory,
# 200 to 1,200 bytes each, deterministic.
import os, random, sys
n, root = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(4242)
for i in range(n):
    d = os.path.join(root, "set%04d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    lines = ["# sample indicator set %d (synthetic benchmark data)" % i]
    for _ in range(rnd.randint(4, 30)):
        lines.append("198.51.%d.%d,%d,sample-%06d.example" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(100), rnd.randrange(10**6)))
    with open(os.path.join(d, "ind%06d.csv" % i), "w") as f:
        f.write("\n".join(lines) + "\n")
EOF
sbytes=$(du -sb feed | cut -f1)
s=$(date +%s%N); S snapshot many feed >/dev/null; snap1=$((($(date +%s%N) - s) / 1000000))
s=$(date +%s%N); S bundle many --to bench --full -o many-full.bundle >/dev/null; bfull=$((($(date +%s%N) - s) / 1000000))
# change CHANGED files spread over the tree: one new line each
python3 - "$FILES" "$CHANGED" feed <<'EOF'
import os, sys
n, k, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for j in range(k):
    i = j * (n // k)
    with open(os.path.join(root, "set%04d" % (i // 100), "ind%06d.csv" % i), "a") as f:
        f.write("203.0.113.%d,99,changed-%d.example\n" % (j % 256, j))
EOF
s=$(date +%s%N); S snapshot many feed >/dev/null; snap2=$((($(date +%s%N) - s) / 1000000))
s=$(date +%s%N); S bundle many --to bench --from 1 -o many-delta.bundle >/dev/null; bdelta=$((($(date +%s%N) - s) / 1000000))
echo "   signer: snapshot v1 ${snap1} ms, full bundle ${bfull} ms ($(stat -c %s many-full.bundle) bytes);" \
	"snapshot v2 ${snap2} ms, delta bundle ${bdelta} ms ($(stat -c %s many-delta.bundle) bytes)"
printf 'signer\tsnapshot-v1\t1\t%s\t0\t\t\t\t\t\t\t\t%s\t%s\n' "$snap1" "$sbytes" "$FILES" >>"$tsv"
printf 'signer\tbundle-full\t1\t%s\t0\t\t\t\t\t\t\t\t%s\t%s\n' "$bfull" "$(stat -c %s many-full.bundle)" "$FILES" >>"$tsv"
printf 'signer\tsnapshot-v2\t1\t%s\t0\t\t\t\t\t\t\t\t%s\t%s\n' "$snap2" "$sbytes" "$FILES" >>"$tsv"
printf 'signer\tbundle-delta\t1\t%s\t0\t\t\t\t\t\t\t\t%s\t%s\n' "$bdelta" "$(stat -c %s many-delta.bundle)" "$CHANGED" >>"$tsv"
fresh_importer imp
sync
m many import-full 1 "$sbytes" "$FILES" "$build/airlock-importer" --home imp import many-full.bundle
sync
m many import-delta 1 "$sbytes" "$CHANGED" "$build/airlock-importer" --home imp import many-delta.bundle
"$build/airlock-importer" --home imp status >/dev/null

# ---- report -------------------------------------------------------------------------
awk -F'\t' '
function mb(b) { return sprintf("%.1f", b / 1048576) }
$1 == "case" { next }
$1 == "full" { k = $2; n[k]++; t[k, n[k]] = $4; if ($6 > rss[k]) rss[k] = $6; data = $13; files = $14 }
$1 == "many" { mk[$2] = $0; if ($2 == "import-full") mfiles = $14 }
END {
	printf "\n### full import of the largest snapshot (%s MiB, %d files), median of %d runs\n\n", mb(data), files, n["airlock-import"]
	printf "| tool | wall s | MB/s | peak RSS MiB |\n|---|---|---|---|\n"
	split("airlock-import pipeline pipeline+sync", tools, " ")
	for (i = 1; i <= 3; i++) {
		k = tools[i]; c = n[k]
		for (a = 1; a <= c; a++) v[a] = t[k, a]
		for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[b] < v[a]) { x = v[a]; v[a] = v[b]; v[b] = x }
		med = v[int((c + 1) / 2)]
		printf "| %s | %.2f | %.1f | %.0f |\n", k, med / 1000, data / 1e6 / (med / 1000), rss[k] / 1024
	}
	printf "\n### %d small files: full import, then a bundle changing a few files\n\n", mfiles
	printf "| import | files carried | wall s | peak RSS MiB | read() MiB | write() MiB | disk read MiB | disk write MiB | read calls | write calls |\n"
	printf "|---|---|---|---|---|---|---|---|---|---|\n"
	split("import-full import-delta", ks, " ")
	for (i = 1; i <= 2; i++) {
		split(mk[ks[i]], f, "\t")
		printf "| %s | %s | %.2f | %.0f | %s | %s | %s | %s | %s | %s |\n", ks[i], f[14], f[4] / 1000, f[6] / 1024, mb(f[7]), mb(f[8]), mb(f[9]), mb(f[10]), f[11], f[12]
	}
}' "$tsv" | tee "$out/tables.md"
awk -F'\t' 'BEGIN { printf "\nsigner side of case 2:\n\n| step | wall s | bytes (feed, or bundle) |\n|---|---|---|\n" }
	$1 == "signer" { printf "| %s | %.2f | %s |\n", $2, $4 / 1000, $13 }' "$tsv" | tee -a "$out/tables.md"
echo
echo "raw results: $tsv"
exit
}
