#!/bin/sh
# airlock-signer bundle: bases, sequences, sites, the log, and a full disk.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/signer-lib.sh"

# header FILE EXPR: a value from the bundle.json inside bundle FILE.
header() {
	rm -rf hdr && mkdir hdr && tar -xf "$1" -C hdr bundle.json && json_get hdr/bundle.json "$2"
}

test_expect_success 'setup: home, key, sites hq and dc, version 1' '
	signer_setup && age-keygen -o dc.key 2>/dev/null &&
	airlock-signer site add dc "$(age-keygen -y dc.key)" >/dev/null &&
	mkdir src && seq 1 20000 >src/numbers && echo a >src/a &&
	airlock-signer snapshot iocs src >/dev/null
'

test_expect_success 'a site holding nothing gets a full bundle, sequence 1' '
	airlock-signer bundle iocs --to hq -o b1 --passphrase-file pass --json >out &&
	test -s b1 && test "$(json_get out "d[\"sequence\"]")" = 1 &&
	test "$(json_get out "d[\"base\"]")" = None &&
	test "$(header b1 "d[\"base\"]")" = None &&
	tar -tf b1 >list && printf "bundle.json\nbundle.json.minisig\npayload.age\n" >want &&
	test_cmp want list
'

test_expect_success 'afterwards the site is believed to hold the target' '
	airlock-signer site list --json >s.json &&
	test "$(json_get s.json "[s for s in d[\"sites\"] if s[\"name\"]==\"hq\"][0][\"holds\"][0][\"version\"]")" = 1
'

test_expect_success 'the signature verifies with minisign and signer.pub' '
	rm -rf c && mkdir c && tar -xf b1 -C c &&
	minisign -Vm c/bundle.json -p "$AIRLOCK_HOME/signer.pub" >out && grep verified out
'

# lifetime FILE: seconds between created and expires in the bundle's header.
lifetime() {
	rm -rf hdr && mkdir hdr && tar -xf "$1" -C hdr bundle.json &&
	python3 -c 'import json, sys, calendar, time
d = json.load(open(sys.argv[1]))
t = lambda s: calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
print(t(d["expires"]) - t(d["created"]))' hdr/bundle.json
}

test_expect_success 'default expiry is 30 days; --expires changes it' '
	test "$(lifetime b1)" = 2592000 &&
	airlock-signer bundle iocs --to dc --full --expires 12h -o b1dc --passphrase-file pass >/dev/null &&
	test "$(lifetime b1dc)" = 43200
'

test_expect_success 'nothing new to send is refused' '
	signer_fingerprint >before &&
	expect_code 1 airlock-signer bundle iocs --to hq -o b-none --passphrase-file pass 2>err &&
	grep "nothing to send" err && test ! -e b-none &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'the next version is a delta against what both sites hold' '
	sed -i "s/^5000$/five thousand/" src/numbers && echo b >src/b &&
	airlock-signer snapshot iocs src >/dev/null &&
	airlock-signer bundle iocs --to hq,dc -o b2 --passphrase-file pass --json >out &&
	test "$(json_get out "d[\"sequence\"]")" = 3 &&
	test "$(json_get out "d[\"base\"]")" = 1 && test "$(json_get out "d[\"target\"]")" = 2 &&
	test "$(header b2 "len(d[\"recipients\"])")" = 2 &&
	test "$(stat -c %s b2)" -lt "$(stat -c %s b1)"
'

test_expect_success 'each named site decrypts the one payload with age' '
	rm -rf c && mkdir c && tar -xf b2 -C c &&
	age -d -i hq.key c/payload.age >p1 && age -d -i dc.key c/payload.age >p2 && cmp p1 p2
'

test_expect_success '--from and --full choose the base' '
	echo c >src/c && airlock-signer snapshot iocs src >/dev/null &&
	airlock-signer bundle iocs --to hq --from 1 -o b3 --passphrase-file pass --json >out &&
	test "$(json_get out "d[\"base\"]")" = 1 && test "$(header b3 "d[\"base\"][\"version\"]")" = 1 &&
	airlock-signer bundle iocs --to dc --full -o b4 --passphrase-file pass --json >out &&
	test "$(json_get out "d[\"base\"]")" = None
'

test_expect_success 'the log lists every bundle with increasing sequences' '
	airlock-signer log --json >log.json &&
	test "$(json_get log.json "[b[\"sequence\"] for b in d[\"bundles\"]]")" = "[1, 2, 3, 4, 5]" &&
	test "$(json_get log.json "\",\".join(d[\"bundles\"][2][\"sites\"])")" = "hq,dc" &&
	test "$(json_get log.json "d[\"bundles\"][0][\"path\"]")" = "$TEST_ROOT/b1" &&
	airlock-signer log iocs >log.txt && test "$(wc -l <log.txt)" -eq 5
'

test_expect_success 'header sequence and id match the log' '
	test "$(header b3 "d[\"sequence\"]")" = 4 &&
	test "$(header b3 "d[\"bundle_id\"]")" = "$(json_get log.json "d[\"bundles\"][3][\"id\"]")"
'

test_expect_success 'an encrypted key without a terminal or passphrase file says how' '
	echo d >src/d && airlock-signer snapshot iocs src >/dev/null &&
	signer_fingerprint >before &&
	expect_code 1 setsid -w airlock-signer bundle iocs --to hq -o b5 </dev/null 2>err &&
	grep "no terminal" err && grep "hint: .*--passphrase-file" err && test ! -e b5 &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'a full output disk: no bundle, no sequence used, nothing recorded' '
	mkdir -p outdisk &&
	if ! mount -t tmpfs -o size=64k tmpfs outdisk 2>mnt.err; then
		echo "# SKIP cannot mount a tmpfs: $(cat mnt.err)"; exit 0
	fi
	head -c 300000 /dev/urandom >src/random && airlock-signer snapshot iocs src >/dev/null &&
	signer_fingerprint >before &&
	airlock-signer bundle iocs --to hq -o outdisk/b6 --passphrase-file pass 2>err; rc=$?
	left=$(ls -A outdisk); umount outdisk
	test $rc -eq 1 && grep "error: .*No space left on device" err && grep "hint:" err &&
	test -z "$left" && signer_fingerprint >after && test_cmp before after
'

test_expect_success 'after a failure the next bundle takes the next sequence' '
	airlock-signer bundle iocs --to hq -o b7 --passphrase-file pass --json >out &&
	test "$(json_get out "d[\"sequence\"]")" = 6
'

test_done
