#!/bin/sh
# A payload over 16 MiB lists one hash per 16 MiB segment in bundle.json,
# and the importer checks each segment as it spools it: damage in either
# segment is refused (exit 3) naming the segment, and the store is unchanged.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'a 20 MB incompressible feed makes a two-segment bundle' '
	importer_setup && mkdir src && head -c 20000000 /dev/urandom >src/big.bin &&
	sign snapshot iocs src >/dev/null && mkbundle b &&
	tar xf b bundle.json &&
	test "$(python3 -c "import json; print(len(json.load(open(\"bundle.json\"))[\"payload\"][\"segments\"]))")" = 2
'

for seg in 0 1; do
test_expect_success "a flipped byte in segment $seg is refused, naming it" '
	off=$(( $(member_offset b payload.age) + '$seg' * 16777216 + 4096 )) &&
	cp b x && flip_byte x $off && store_fingerprint >before &&
	expect_code 3 imp import x 2>err &&
	grep "payload segment '$seg' does not match the signed header" err &&
	store_fingerprint >after && test_cmp before after
'
done

test_expect_success 'the intact bundle imports' '
	imp import b >/dev/null && cmp src/big.bin "$IH/feeds/iocs/current/big.bin"
'

test_done
