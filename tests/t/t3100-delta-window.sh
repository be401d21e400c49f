#!/bin/sh
# A changed file larger than the whole compressed payload: its delta frame's
# window is above the outer frame's, and the header must declare a window
# limit that covers it (regression: such a bundle was refused as tampered).
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'set up a signer and an importer' '
	importer_setup
'

test_expect_success 'full bundle of a feed with one 64 KiB file imports' '
	mkdir src && head -c 65536 /dev/urandom | od -An -tx1 | head -c 65536 >src/big.txt &&
	echo small >src/small.txt &&
	sign snapshot iocs src >/dev/null && mkbundle full.bundle --full &&
	imp import full.bundle >/dev/null
'

test_expect_success 'a one-byte change in the big file travels as a delta and imports' '
	printf X | dd of=src/big.txt bs=1 seek=30000 conv=notrunc 2>/dev/null &&
	sign snapshot iocs src >/dev/null && mkbundle delta.bundle &&
	test "$(stat -c %s delta.bundle)" -lt 8192 &&
	imp import delta.bundle >out &&
	grep -q "imported   iocs@2" out &&
	cmp src/big.txt "$IH/feeds/iocs/current/big.txt"
'

test_done
