#!/bin/sh
# t5000: hostile and damaged bundles: each is refused with the documented
# exit code and a clear message, the store is unchanged, and import puts
# the bundle in quarantine with its reason.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

# refused CODE MESSAGE BUNDLE: import fails with CODE and MESSAGE, the store
# is unchanged, the quarantine grew by one with that reason.
refused() {
	store_fingerprint >before &&
	nq=$(imp quarantine list --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"quarantine\"]))") &&
	expect_code "$1" imp import "$3" 2>err &&
	grep -- "airlock-importer: error: .*$2" err &&
	store_fingerprint >after && test_cmp before after &&
	imp quarantine list --json >q.json &&
	test "$(json_get q.json "len(d[\"quarantine\"])")" = $((nq + 1)) &&
	json_get q.json "d[\"quarantine\"][0][\"reason\"]" | grep -- "$2" &&
	test -f "$(json_get q.json "d[\"quarantine\"][0][\"file\"]")"
}

test_expect_success 'setup: v1 imported, v1->v2 bundle ready' '
	importer_setup && feed_v1 && mkbundle b1 && imp import b1 >/dev/null &&
	feed_v2 && mkbundle b2 && imp verify b2 >/dev/null
'

test_expect_success 'a flipped payload byte: hash mismatch (exit 3)' '
	cp b2 x && flip_byte x $(( $(member_offset x payload.age) + 100 )) &&
	refused 3 "payload hash does not match the signed header" x
'

test_expect_success 'a flipped byte in bundle.json: signature failure (exit 3)' '
	cp b2 x && flip_byte x $(( $(member_offset x bundle.json) + 30 )) &&
	refused 3 "signature" x && grep "hint: the bundle was altered" err
'

test_expect_success 'a flipped byte in a tar header or the padding: container refused (exit 3)' '
	cp b2 x && flip_byte x 100 && refused 3 "" x &&
	cp b2 x && flip_byte x $(( $(stat -c %s x) - 10 )) && refused 3 "" x
'

test_expect_success 'truncated bundle and trailing bytes are refused (exit 3)' '
	head -c $(( $(stat -c %s b2) - 512 )) b2 >x && refused 3 "truncated" x &&
	cp b2 x && printf "hidden data" >>x && refused 3 "after the end of the container" x &&
	cp b2 x && head -c 1024 /dev/zero >>x && refused 3 "without tar.s end marker" x
'

test_expect_success 'a file that is not a bundle (exit 3), an empty file (exit 3)' '
	echo hello >x && refused 3 "" x &&
	: >x && refused 3 "" x
'

test_expect_success 'a bundle signed by an unknown key: policy (exit 4) with a hint' '
	mkdir other && AIRLOCK_HOME="$TEST_ROOT/other" airlock-signer init >/dev/null &&
	AIRLOCK_HOME="$TEST_ROOT/other" airlock-signer keygen --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	AIRLOCK_HOME="$TEST_ROOT/other" airlock-signer site add hq "$(cat "$TEST_ROOT/rcp")" >/dev/null &&
	AIRLOCK_HOME="$TEST_ROOT/other" airlock-signer snapshot iocs src >/dev/null &&
	AIRLOCK_HOME="$TEST_ROOT/other" airlock-signer bundle iocs --to hq -o x-other --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	refused 4 "which this site does not trust" x-other && grep "hint: if the signer is genuine" err
'

test_expect_success 'a feed the signer may not publish: policy (exit 4)' '
	mkdir s2 && echo x >s2/x && sign snapshot secret s2 >/dev/null &&
	sign bundle secret --to hq -o x-secret --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	refused 4 "may not publish feed .secret." x-secret
'

test_expect_success 'a bundle not made for this site: policy (exit 4)' '
	age-keygen -o dc.key 2>/dev/null && sign site add dc "$(age-keygen -y dc.key)" >/dev/null &&
	sign bundle iocs --to dc --full -o x-dc --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	refused 4 "is not among the bundle.s 1 recipients" x-dc
'

test_expect_success 'an expired bundle: policy (exit 4)' '
	sign bundle iocs --to hq --from 1 --expires 1s -o x-exp --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	sleep 2 && refused 4 "bundle expired at" x-exp
'

test_expect_success 'inbox words: ready, tampered, refused, already imported' '
	mkdir inbox && cp b1 inbox/1 && cp b2 inbox/2 && cp x-other inbox/3 &&
	cp b2 inbox/4 && flip_byte inbox/4 $(( $(member_offset inbox/4 bundle.json) + 30 )) &&
	imp inbox inbox >out &&
	grep "^already imported .* 1 " out && grep "^ready .* 2 " out &&
	grep "^refused .* 3 " out && grep "^tampered .* 4 " out
'

test_expect_success 'a bundle created before the newest accepted one: policy (exit 4)' '
	sleep 1 && sign bundle iocs --to hq --from 1 -o x-late --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	imp import x-late >/dev/null &&
	refused 4 "created before the newest bundle already accepted" b2
'

test_expect_success 'a bundle whose target is not above the highest accepted: rollback (exit 4)' '
	sleep 1 && sign bundle iocs --to hq --from 1 -o x-again --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	refused 4 "is not newer than 2, the highest accepted.*(rollback)" x-again
'

test_expect_success 'a revoked signer: every bundle refused, even ones made before (exit 4)' '
	feed_v3 && mkbundle b3 &&
	imp trust revoke pub >/dev/null &&
	refused 4 "signer .pub. .key [0-9A-F]*. is revoked" b3
'

test_expect_success 'refusals are audited with the key id and reason' '
	imp audit --json >a.json &&
	json_get a.json "[r[\"result\"] for r in d[\"audit\"] if r[\"event\"]==\"refuse\"]" >res &&
	grep verify res && grep policy res && imp audit verify
'

test_expect_success 'quarantine show gives the record' '
	imp quarantine show 1 >out && grep "^result   verify" out && grep "^copy     .*/quarantine/1.bundle" out
'

test_done
