#!/bin/sh
# sweep.sh - measure.c over every step of every dataset in /work/corpus.
# usage: sweep.sh MEASURE_BINARY [datasets...]
m=$1; shift
store=${TMPDIR:-/tmp}/plan-explore-store
for d in ${*:-bcd aws-api caniuse geoip burner cwe}; do
	n=$(ls -d /work/corpus/$d/v* | wc -l)
	k=2
	while [ $k -le $n ]; do
		printf '%s v%s ' $d $k
		"$m" "$store" /work/corpus/$d/v$((k - 1)) /work/corpus/$d/v$k
		k=$((k + 1))
	done
done
