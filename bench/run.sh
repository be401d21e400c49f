#!/usr/bin/env bash
# bench/run.sh - airlock against the tools an operator would use instead, on
# real feed data (the corpus of ../shared/corpus), one version step at a time.
#
#   bench/run.sh [-d DATASETS] [-s STEPS] [-r RUNS] [-T TOOLS] [BUILD_DIR] [CORPUS_DIR]
#   bench/run.sh --report RESULTS.tsv      print the tables of an earlier run again
#
#   -d DATASETS  comma-separated (default: every dataset in CORPUS_DIR)
#   -s STEPS     target versions K of the steps vK-1 -> vK, e.g. 2-4,9 (default: all)
#   -r RUNS      runs of a fast command, the median is kept (default 3); a command
#                whose first run takes longer than SLOW_MS (default 1500 ms) runs once
#   -T TOOLS     subset of: airlock,full,patch,xdelta3,bsdiff,rsync (default: all)
#   -F           measure the full resend (tar + zstd -19) on every step; by default
#                only on the first and last step of each dataset, since it hardly
#                changes from one version to the next and is the slowest peer
#
# BUILD_DIR holds airlock-signer and airlock-importer (default: build/); without
# them only the peers are measured, and the run says so. CORPUS_DIR (default
# $AIRLOCK_CORPUS_DIR, else ../corpus next to the repository) holds
# DATASET/v1..vN; a dataset that is missing there is fetched with
# ../shared/corpus/fetch.sh (or $AIRLOCK_CORPUS_FETCH).
# Raw results: bench/out/<stamp>/results.tsv and airlock.tsv (bench/out/latest).
set -euo pipefail
{ # the whole script is parsed before it runs, so editing it meanwhile is safe

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

RUNS=3
SLOW_MS=${SLOW_MS:-1500}
ALL_TOOLS="airlock full patch xdelta3 bsdiff rsync"
PEERS="full patch xdelta3 bsdiff rsync"
datasets="" steps="" tools=$ALL_TOOLS report="" full_every=0

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

# ---- the tables (also used by --report) ------------------------------------
# results.tsv: dataset step tool bytes ms runs rss_kb
# airlock.tsv: dataset step payload_zstd age_overhead bundle_json minisig
#              container bundle_total snapshot_ms bundle_ms bundle_rss_kb
report() {
	local res=$1 air=$2
	awk -F'\t' -v air="$air" '
	function kib(b) { return b == "" ? "-" : (b < 10240 ? sprintf("%d B", b) : sprintf("%.1f KiB", b / 1024)) }
	function sec(ms, r) { return ms == "" ? "-" : sprintf("%.2f%s", ms / 1000, r == 1 ? "*" : "") }
	function mib(kb) { return kb == "" ? "-" : sprintf("%.0f", kb / 1024) }
	BEGIN {
		np = split("full patch xdelta3 bsdiff rsync", peer, " ")
		name["full"] = "tar + zstd -19"; name["patch"] = "zstd patch-from"; name["xdelta3"] = "xdelta3 -9"
		name["bsdiff"] = "bsdiff"; name["rsync"] = "rsync batch + zstd"
		if (air != "") while ((getline line < air) > 0) {
			split(line, f, "\t"); if (f[1] == "dataset") continue
			k = f[1] SUBSEP f[2]; A[k] = 1
			pay[k] = f[3]; over[k] = f[4] + f[5] + f[6] + f[7]; tot[k] = f[8]
			none[k] = (f[8] == "")   # unchanged tree: no version, no bundle
			snap[k] = f[9]; bms[k] = f[10]; brss[k] = f[11]; brun[k] = f[12]; bnd[k] = f[14]
		}
	}
	$1 == "dataset" { next }
	{
		k = $1 SUBSEP $2
		if (!($1 in seen)) { seen[$1] = 1; order[++nd] = $1 }
		if (!(k in st)) { st[k] = 1; steps[$1] = steps[$1] " " $2 }
		B[k, $3] = $4; T[k, $3] = $5; R[k, $3] = $6; M[k, $3] = $7
	}
	END {
		for (d = 1; d <= nd; d++) {
			ds = order[d]; n = split(steps[ds], s, " ")
			printf "\n### %s: bytes per step (airlock: payload + fixed overhead; - = not measured)\n\n", ds
			printf "| step | airlock payload | overhead | airlock bundle |"
			for (p = 1; p <= np; p++) printf " %s |", name[peer[p]]
			printf " best peer | airlock / best |\n|---|---|---|---|"
			for (p = 1; p <= np; p++) printf "---|"
			printf "---|---|\n"
			for (i = 1; i <= n; i++) {
				k = ds SUBSEP s[i]; best = ""; bn = ""
				for (p = 1; p <= np; p++) if ((k, peer[p]) in B && B[k, peer[p]] != "" && (best == "" || B[k, peer[p]] + 0 < best + 0)) { best = B[k, peer[p]]; bn = peer[p] }
				if (k in A && none[k])
					printf "| %s | nothing to send | 0 B | no bundle (unchanged) |", s[i]
				else
					printf "| %s | %s | %s | %s |", s[i], (k in A) ? kib(pay[k]) : "-", (k in A) ? kib(over[k]) : "-", (k in A) ? kib(tot[k]) : "-"
				for (p = 1; p <= np; p++) printf " %s |", kib(B[k, peer[p]])
				printf " %s (%s) | %s |\n", kib(best), bn, (k in A && !none[k] && best > 0) ? sprintf("%.2f", pay[k] / best) : "-"
			}
			printf "\n### %s: create time in s (* = 1 run, else median of 3), peak RSS in MiB\n\n", ds
			printf "| step | airlock snapshot | airlock bundle |"
			for (p = 1; p <= np; p++) printf " %s |", name[peer[p]]
			printf " airlock bundle / patch-from | RSS airlock bundle | memory bound |"
			for (p = 1; p <= np; p++) printf " RSS %s |", peer[p]
			printf "\n|---|---|---|"
			for (p = 1; p <= 2 * np + 3; p++) printf "---|"
			printf "\n"
			for (i = 1; i <= n; i++) {
				k = ds SUBSEP s[i]
				printf "| %s | %s | %s |", s[i], (k in A) ? sec(snap[k], 1) : "-", (k in A) ? sec(bms[k], brun[k]) : "-"
				for (p = 1; p <= np; p++) printf " %s |", sec(T[k, peer[p]], R[k, peer[p]])
				printf " %s | %s | %s |", (k in A && T[k, "patch"] > 0) ? sprintf("%.2f", bms[k] / T[k, "patch"]) : "-", (k in A) ? mib(brss[k]) : "-", (k in A) ? mib(bnd[k]) : "-"
				for (p = 1; p <= np; p++) printf " %s |", mib(M[k, peer[p]])
				printf "\n"
			}
		}
		printf "\n### summary per dataset (sums over its steps)\n\n"
		printf "| dataset | steps | airlock payload | airlock overhead | best peer per step | airlock / best | zstd patch-from | airlock bundle time | patch-from time |\n"
		printf "|---|---|---|---|---|---|---|---|---|\n"
		for (d = 1; d <= nd; d++) {
			ds = order[d]; n = split(steps[ds], s, " "); sp = so = sb = sz = tb = tz = 0; na = nb = 0
			for (i = 1; i <= n; i++) {
				k = ds SUBSEP s[i]; best = ""
				for (p = 1; p <= np; p++) if ((k, peer[p]) in B && B[k, peer[p]] != "" && (best == "" || B[k, peer[p]] + 0 < best + 0)) best = B[k, peer[p]]
				sb += best; sz += B[k, "patch"]; tz += T[k, "patch"]
				if (k in A) { na++; sp += pay[k]; tb += bms[k]; if (!none[k]) { so += over[k]; nb++ } }
			}
			printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", ds, n, na ? kib(sp) : "-", nb ? kib(so / nb) " per bundle" : "-", kib(sb),
				(na == n && sb > 0) ? sprintf("%.2f", sp / sb) : "-", kib(sz), na ? sprintf("%.1f s", tb / 1000) : "-", sprintf("%.1f s", tz / 1000)
		}
	}' "$res"
}

# ---- arguments -------------------------------------------------------------
while (($#)); do
	case $1 in
	-d) datasets=${2:?-d needs a list}; shift 2 ;;
	-s) steps=${2:?-s needs a list}; shift 2 ;;
	-r) RUNS=${2:?-r needs a number}; shift 2 ;;
	-T) tools=${2:?-T needs a list}; tools=${tools//,/ }; shift 2 ;;
	-F) full_every=1; shift ;;
	--report) report=${2:?--report needs a results.tsv}; shift 2 ;;
	-h | --help) usage ;;
	-*) echo "$prog: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
if [[ -n $report ]]; then
	air=${report%/*}/airlock.tsv
	[[ -f $air ]] || air=""
	report "$report" "$air"
	exit 0
fi
(($# <= 2)) || usage
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || die "-r wants a small positive number, not '$RUNS'"
for t in $tools; do [[ " $ALL_TOOLS " == *" $t "* ]] || die "unknown tool '$t' (known: $ALL_TOOLS)"; done
build=$(cd "${1:-$repo/build}" 2>/dev/null && pwd) || die "no build directory ${1:-$repo/build}"
corpus=${2:-${AIRLOCK_CORPUS_DIR:-$repo/../corpus}}
fetch=${AIRLOCK_CORPUS_FETCH:-$repo/../shared/corpus/fetch.sh}
mkdir -p "$corpus"
corpus=$(cd "$corpus" && pwd)

for t in zstd xdelta3 bsdiff rsync tar age /usr/bin/time python3; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done
have_airlock=0
if [[ " $tools " == *" airlock "* ]]; then
	if [[ -x $build/airlock-signer && -x $build/airlock-importer ]]; then
		have_airlock=1
	else
		note "no airlock-signer/airlock-importer in $build: measuring the peers only"
	fi
fi

if [[ -z $datasets ]]; then
	if [[ -f ${fetch%/*}/datasets.tsv ]]; then
		datasets=$(awk -F'\t' '$1 == "info" { printf "%s,", $2 }' "${fetch%/*}/datasets.tsv")
	else
		datasets=$(cd "$corpus" && for d in */v1; do printf '%s,' "${d%/v1}"; done)
	fi
fi
datasets=${datasets//,/ }
[[ -n ${datasets// /} ]] || die "no datasets in $corpus and no fetch script at $fetch"

# in_steps K: is step K selected by -s?
in_steps() {
	local k=$1 part lo hi
	[[ -z $steps ]] && return 0
	for part in ${steps//,/ }; do
		if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
			lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]}
			((k >= lo && k <= hi)) && return 0
		elif [[ $part =~ ^[0-9]+$ ]]; then
			((k == part)) && return 0
		else
			die "bad step list '$steps' (example: 2-4,9)"
		fi
	done
	return 1
}

stamp=$(date -u +%Y%m%d-%H%M%S)
out=$here/out/$stamp
mkdir -p "$out"
ln -sfn "$stamp" "$here/out/latest"
work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
res=$out/results.tsv
air=$out/airlock.tsv
printf 'dataset\tstep\ttool\tbytes\tms\truns\trss_kb\n' >"$res"
printf 'dataset\tstep\tpayload_zstd\tage_overhead\tbundle_json\tminisig\tcontainer\tbundle_total\tsnapshot_ms\tbundle_ms\tbundle_rss_kb\truns\tpayload_age\tbound_kb\n' >"$air"

# ---- measuring ---------------------------------------------------------------
# measure CMD...: runs CMD (output to /dev/null) RUNS times, or once when the
# first run is slow; sets M_MS (median wall ms), M_RUNS, M_RSS (max peak RSS, KB,
# as /usr/bin/time -v reports "Maximum resident set size"). Fails loudly.
measure() {
	local i n=1 s e ms times=() rss
	M_RSS=0
	for ((i = 0; i < n; i++)); do
		s=$(date +%s%N)
		if ! /usr/bin/time -f '%M' -o "$work/time" "$@" >/dev/null 2>"$work/err"; then
			note "failed: $*"
			sed 's/^/  /' "$work/err" "$work/time" >&2
			return 1
		fi
		e=$(date +%s%N)
		ms=$(((e - s) / 1000000))
		times+=("$ms")
		rss=$(tail -n 1 "$work/time")
		((rss > M_RSS)) && M_RSS=$rss
		((i == 0 && ms < SLOW_MS)) && n=$RUNS
	done
	M_RUNS=$n
	M_MS=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
}

# mktar DIR OUT: a reproducible tar of a tree (sorted names, no owners)
mktar() {
	tar --sort=name --owner=0 --group=0 --numeric-owner --format=pax \
		--pax-option=delete=atime,delete=ctime -C "$1" -cf "$2" .
}

size() { stat -c %s "$1"; }

record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$res"; }

# peer DATASET K TOOL OLDDIR NEWDIR: one peer on step K, output in $work/p
peer() {
	local ds=$1 k=$2 tool=$3 old=$4 new=$5 o=$work/p.$3 ot=$work/t$(($2 - 1)).tar nt=$work/t$2.tar
	rm -f "$o"
	case $tool in
	full) measure zstd -q -f -19 --long=31 "$nt" -o "$o" ;;
	patch) measure zstd -q -f -19 --long=31 --patch-from="$ot" "$nt" -o "$o" ;;
	xdelta3) measure xdelta3 -9 -e -f -s "$ot" "$nt" "$o" ;;
	bsdiff) measure bsdiff "$ot" "$nt" "$o" ;;
	rsync)
		# --only-write-batch never touches the destination; --no-whole-file
		# forces the delta algorithm that rsync skips for local copies.
		rm -rf "$work/rsync-base" && cp -a "$old" "$work/rsync-base"
		measure bash -c 'rm -f "$3" "$3.zst"; rsync -a --delete --no-whole-file --only-write-batch="$3" "$1/" "$2/" &&
			zstd -q -19 --long=31 --rm "$3" -o "$3.zst"' _ "$new" "$work/rsync-base" "$work/batch"
		mv "$work/batch.zst" "$o"
		rm -f "$work/batch.sh"
		;;
	esac
	record "$ds" "$k" "$tool" "$(size "$o")" "$M_MS" "$M_RUNS" "$M_RSS"
}

# ---- airlock -------------------------------------------------------------------
S() { "$build/airlock-signer" --home "$work/signer" "$@"; }

# quiet CMD...: no output unless it fails
quiet() { "$@" >"$work/out" 2>&1 || { note "failed: $*"; sed 's/^/  /' "$work/out" >&2; return 1; }; }

airlock_setup() {
	rm -rf "$work/signer" "$work/importer"
	quiet S init
	quiet S keygen --no-passphrase
	quiet "$build/airlock-importer" --home "$work/importer" keygen --no-passphrase
	quiet S site add bench "$(cat "$work/importer/site.recipient")"
}

# snapshot FEED DIR: records DIR, sets SNAP_VERSION, SNAP_CREATED (0: the
# tree equals the latest version, no new version) and SNAP_MS
snapshot() {
	local s=$(date +%s%N)
	S snapshot "$1" "$2" --json >"$work/snap.json"
	SNAP_MS=$((($(date +%s%N) - s) / 1000000))
	read -r SNAP_VERSION SNAP_CREATED < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["version"], 1 if d["created"] else 0)' "$work/snap.json")
}

# split_bundle FILE: the layers' sizes, from the container itself:
# payload_zstd age_overhead bundle_json minisig container total payload_age
split_bundle() {
	local f=$1 d=$work/layers total j m p hdr body chunks
	rm -rf "$d" && mkdir "$d"
	tar -xf "$f" -C "$d"
	total=$(size "$f") j=$(size "$d/bundle.json") m=$(size "$d/bundle.json.minisig") p=$(size "$d/payload.age")
	# age header: up to and including the "--- MAC" line
	local line
	line=$(grep -a -b -m1 '^--- ' "$d/payload.age")      # "OFFSET:--- MAC"
	local at=${line%%:*}
	hdr=$((at + ${#line} - ${#at})) # offset + the line + its newline
	# STREAM: 16-byte nonce, then 64 KiB chunks with a 16-byte tag each
	body=$((p - hdr - 16))
	chunks=$(((body + 65551) / 65552))
	((chunks > 0)) || chunks=1
	echo "$((body - 16 * chunks)) $((p - (body - 16 * chunks))) $j $m $((total - j - m - p)) $total $p"
}

# memory_bound PAYLOAD_AGE OLDDIR: issue 3's memory target for this bundle, in
# KiB: 64 MiB + 2 x the largest file delta-coded (a target in MANIFEST.json
# with source "delta", or its base in OLDDIR), read from the bundle itself
memory_bound() {
	age -d -i "$work/importer/site.key" "$1" | zstd -dc | tar -xOf - MANIFEST.json |
		python3 -c 'import json, os, sys
m = json.load(sys.stdin); big = 0
for e in m["entries"]:
    if e.get("source") == "delta":
        big = max(big, e["size"], os.path.getsize(os.path.join(sys.argv[1], e.get("base", e["path"]))))
print((64 * 1048576 + 2 * big) // 1024)' "$2"
}

airlock_step() {
	local ds=$1 k=$2 new=$3 feed=bench-$1 base=$SNAP_VERSION o=$work/a.bundle lay
	snapshot "$feed" "$new"
	if ((!SNAP_CREATED)); then
		note "$ds v$k: no change, the signer made no new version and there is no bundle to make"
		printf '%s\t%s\t\t\t\t\t\t\t%s\t\t\t\t\n' "$ds" "$k" "$SNAP_MS" >>"$air"
		return 0
	fi
	measure bash -c 'rm -f "$4"; "$1" --home "$2" bundle "$3" --to bench --from "$5" -o "$4"' _ \
		"$build/airlock-signer" "$work/signer" "$feed" "$o" "$base"
	lay=$(split_bundle "$o")
	local bound
	bound=$(memory_bound "$work/layers/payload.age" "$corpus/$ds/v$((k - 1))")
	set -- $lay
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ds" "$k" "$1" "$2" "$3" "$4" "$5" "$6" \
		"$SNAP_MS" "$M_MS" "$M_RSS" "$M_RUNS" "$7" "$bound" >>"$air"
}

# ---- the run -------------------------------------------------------------------
echo "airlock bench: $(date -u +%FT%TZ) on $(uname -n), $(nproc) cores; zstd $(zstd -V | grep -o 'v[0-9.]*' | head -1)"
echo "build: $build$( ((have_airlock)) || echo ' (airlock not built: peers only)'); tree at $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')"
echo "corpus: $corpus; results: $out"
t0=$(date +%s)
for ds in $datasets; do
	if ! [[ -d $corpus/$ds/v1 && -d $corpus/$ds/v2 ]]; then
		[[ -x $fetch ]] || die "$corpus/$ds is missing and there is no fetch script at $fetch"
		note "fetching $ds into $corpus/$ds"
		"$fetch" "$ds" "$corpus/$ds" >&2
	fi
	n=$(cd "$corpus/$ds" && ls -d v[0-9]* | sed 's/^v//' | sort -n | tail -1)
	first=""
	for ((k = 2; k <= n; k++)); do in_steps "$k" && { first=$k; break; }; done
	[[ -n $first ]] || { note "$ds: no selected step (it has v1..v$n)"; continue; }
	for ((last = n; last > first; last--)); do in_steps "$last" && break; done
	echo "== $ds: steps from v$((first - 1)) to v$n"
	rm -f "$work"/t*.tar
	mktar "$corpus/$ds/v$((first - 1))" "$work/t$((first - 1)).tar"
	if ((have_airlock)); then
		airlock_setup
		snapshot "bench-$ds" "$corpus/$ds/v$((first - 1))"
	fi
	snapped=$((first - 1))
	for ((k = first; k <= n; k++)); do
		in_steps "$k" || continue
		new=$corpus/$ds/v$k old=$corpus/$ds/v$((k - 1))
		[[ -f $work/t$((k - 1)).tar ]] || mktar "$old" "$work/t$((k - 1)).tar"
		# the signer's latest version must be vK-1, the base (after a skipped step)
		if ((have_airlock && snapped != k - 1)); then
			snapshot "bench-$ds" "$old"
		fi
		mktar "$new" "$work/t$k.tar"
		printf '  v%d -> v%d:' "$((k - 1))" "$k"
		if ((have_airlock)); then
			airlock_step "$ds" "$k" "$new"
			snapped=$k
			printf ' airlock'
		fi
		for tool in $PEERS; do
			[[ " $tools " == *" $tool "* ]] || continue
			[[ $tool != full ]] || ((full_every || k == first || k == last)) || continue
			peer "$ds" "$k" "$tool" "$old" "$new"
			printf ' %s' "$tool"
		done
		rm -f "$work/t$((k - 1)).tar"
		echo
	done
done
echo "total time: $(($(date +%s) - t0)) s"
report "$res" "$air" | tee "$out/tables.md"
echo
echo "raw results: $res, $air; tables: $out/tables.md"
exit
}
