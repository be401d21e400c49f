#!/bin/sh
# t5100: forged bundles through the CLI. A payload correctly signed by a
# trusted key and encrypted to the site, whose MANIFEST.json or members
# disagree with the base version, with each other or with the signed
# target tree, is refused by 'airlock-importer import' with exit 3 and a
# message naming the disagreement, and the store is unchanged. The bundles
# are built by the unit test tests/unit/test_apply.c (bytes under its
# control, layer by layer); with AIRLOCK_IMPORTER_CLI set it runs this
# build's program on each one before the library's own import.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"

test_expect_success 'the forger and the program are built' '
	test -x "$AIRLOCK_BIN/tests/test_apply" && test -x "$AIRLOCK_BIN/airlock-importer"
'

test_expect_success 'every forged bundle: exit 3, its reason on stderr, store unchanged' '
	AIRLOCK_IMPORTER_CLI="$AIRLOCK_BIN/airlock-importer" CMOCKA_MESSAGE_OUTPUT=TAP \
		"$AIRLOCK_BIN/tests/test_apply" >out 2>&1 || { cat out; false; }
	cat out && ! grep "^not ok" out && grep -c "^ok" out | grep -qx 12
'

test_done
