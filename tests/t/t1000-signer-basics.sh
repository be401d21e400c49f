#!/bin/sh
# airlock-signer: init, keygen, sites, snapshot, status, log, help, exit codes.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/signer-lib.sh"

test_expect_success '--version and --help on every command' '
	airlock-signer --version >out && grep "^airlock-signer [0-9]" out &&
	airlock-signer --help >out && grep "snapshot" out && grep "prune" out &&
	for c in init keygen site snapshot bundle status log prune; do
		airlock-signer $c --help >out || return 1
		grep "^usage: airlock-signer $c" out || return 1
	done
'

test_expect_success 'unknown command and unknown option are usage errors (2)' '
	expect_code 2 airlock-signer frobnicate 2>err && grep "unknown command" err &&
	expect_code 2 airlock-signer status --frob 2>err && grep "usage:" err &&
	expect_code 2 airlock-signer 2>err && grep "no command" err
'

test_expect_success 'a command on a home that does not exist says to run init' '
	expect_code 1 airlock-signer status 2>err &&
	grep "error: .* is not a signer home" err && grep "hint: run .airlock-signer init" err
'

test_expect_success 'init creates the home; a second init refuses' '
	airlock-signer init >out && test -f "$AIRLOCK_HOME/signer.db" &&
	test -d "$AIRLOCK_HOME/objects" &&
	expect_code 1 airlock-signer init 2>err && grep "already a signer home" err
'

test_expect_success '--home overrides AIRLOCK_HOME, before or after the command' '
	airlock-signer --home "$TEST_ROOT/other" init >/dev/null &&
	airlock-signer status --home "$TEST_ROOT/other" >out && grep "other" out
'

test_expect_success 'keygen: passphrase file, 0600 secret key, minisign formats' '
	printf "correct horse\n" >pass &&
	airlock-signer keygen --passphrase-file pass --json >out &&
	test "$(stat -c %a "$AIRLOCK_HOME/signer.key")" = 600 &&
	head -1 "$AIRLOCK_HOME/signer.pub" | grep "^untrusted comment: " &&
	id=$(json_get out "d[\"key_id\"]") &&
	grep "$id" "$AIRLOCK_HOME/signer.pub" &&
	test "$(json_get out "d[\"encrypted\"]")" = True
'

test_expect_success 'minisign verifies a signature made with our secret key' '
	echo "some data" >msg &&
	printf "correct horse\n" | minisign -S -s "$AIRLOCK_HOME/signer.key" -m msg >/dev/null 2>&1 &&
	minisign -V -p "$AIRLOCK_HOME/signer.pub" -m msg >out && grep "Signature and comment signature verified" out
'

test_expect_success 'keygen never overwrites a key' '
	cp "$AIRLOCK_HOME/signer.key" key.before &&
	expect_code 1 airlock-signer keygen --no-passphrase 2>err &&
	grep "has a key already" err && cmp key.before "$AIRLOCK_HOME/signer.key"
'

test_expect_success 'keygen option errors: both passphrase options, empty file, bad cost' '
	expect_code 2 airlock-signer --home h2 keygen --no-passphrase --passphrase-file pass 2>err &&
	grep "exclude each other" err &&
	airlock-signer --home h2 init >/dev/null && : >empty &&
	expect_code 1 airlock-signer --home h2 keygen --passphrase-file empty 2>err &&
	grep "is empty" err && test ! -e h2/signer.key &&
	expect_code 1 airlock-signer --home h2 keygen --passphrase-file missing 2>err &&
	grep "cannot open passphrase file" err &&
	AIRLOCK_KDF_COST=cheap expect_code 2 airlock-signer --home h2 keygen --no-passphrase 2>err &&
	grep AIRLOCK_KDF_COST err && test ! -e h2/signer.key
'

test_expect_success 'keygen --no-passphrase writes a key minisign uses without asking' '
	airlock-signer --home h2 keygen --no-passphrase --json >out &&
	test "$(json_get out "d[\"encrypted\"]")" = False &&
	minisign -S -s h2/signer.key -m msg </dev/null >/dev/null 2>&1 &&
	minisign -V -p h2/signer.pub -m msg >/dev/null
'

test_expect_success 'site add takes an age-keygen recipient; list shows it' '
	age-keygen -o hq.key 2>/dev/null &&
	airlock-signer site add hq "$(age-keygen -y hq.key)" >/dev/null &&
	airlock-signer site list >out && grep "^hq  age1" out &&
	airlock-signer site list --json >out.json &&
	test "$(json_get out.json "d[\"sites\"][0][\"recipient\"]")" = "$(age-keygen -y hq.key)"
'

test_expect_success 'site add refuses a bad recipient, a bad name, a taken name' '
	signer_fingerprint >before &&
	expect_code 2 airlock-signer site add dc age1notakey 2>err && grep "hint:" err &&
	expect_code 2 airlock-signer site add "Bad Name" "$(age-keygen -y hq.key)" 2>err &&
	grep "invalid site name" err &&
	expect_code 1 airlock-signer site add hq "$(age-keygen -y hq.key)" 2>err &&
	grep "exists already" err &&
	expect_code 2 airlock-signer site add onlyname 2>err &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'snapshot records version 1 and prints it' '
	mkdir -p src/dir && echo one >src/dir/a && echo two >src/b && ln -s dir/a src/link &&
	airlock-signer snapshot iocs src --json >out &&
	test "$(json_get out "d[\"version\"]")" = 1 &&
	test "$(json_get out "d[\"files\"]")" = 3 &&
	test "$(json_get out "d[\"created\"]")" = True
'

test_expect_success 'the tree hash is the documented listing hash (find, b2sum, sort)' '
	(cd src && find . -type f -o -type l | sed "s|^\./||" | LC_ALL=C sort | while read -r p; do
		if [ -L "$p" ]; then t=$(readlink "$p"); printf "120000 %s %s %s\n" "${#t}" \
			"$(printf %s "$t" | b2sum | cut -d" " -f1)" "$p"
		else m=100644; [ -x "$p" ] && m=100755
			printf "%s %s %s %s\n" $m "$(stat -c %s "$p")" "$(b2sum "$p" | cut -d" " -f1)" "$p"
		fi; done) | b2sum | cut -d" " -f1 >want &&
	json_get out "d[\"tree\"]" >got && test_cmp want got
'

test_expect_success 'an unchanged tree makes no new version and says so' '
	signer_fingerprint >before &&
	airlock-signer snapshot iocs src >out && grep "unchanged" out &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'a changed tree is the next version' '
	echo three >src/c &&
	airlock-signer snapshot iocs src --json >out && test "$(json_get out "d[\"version\"]")" = 2
'

test_expect_success 'site set takes the importer receipt, checks the prefix' '
	r=$(json_get out "d[\"receipt\"]") &&
	airlock-signer site set hq "$r" >out2 && grep "holds iocs@2:" out2 &&
	airlock-signer site list >out3 && grep "holds $r" out3
'

test_expect_success 'site set refuses a typo, an unknown version, feed or site; nothing changes' '
	signer_fingerprint >before &&
	expect_code 2 airlock-signer site set hq iocs@2:00000000 2>err &&
	grep "does not match" err && grep "hint:" err &&
	expect_code 2 airlock-signer site set hq iocs@2:3f9 2>err &&
	expect_code 1 airlock-signer site set hq iocs@9:3f9a1c2e 2>err && grep "no version 9" err &&
	expect_code 1 airlock-signer site set hq nope@1:3f9a1c2e 2>err && grep "unknown feed" err &&
	expect_code 1 airlock-signer site set nobody iocs@1:3f9a1c2e 2>err && grep "unknown site" err &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'status shows key, feed and site, in text and JSON' '
	airlock-signer status >out && grep "^  iocs  version 2" out && grep "holds iocs@2" out &&
	airlock-signer status --json >out.json &&
	test "$(json_get out.json "d[\"feeds\"][0][\"latest\"][\"version\"]")" = 2 &&
	test "$(json_get out.json "d[\"key\"][\"present\"]")" = True &&
	test "$(json_get out.json "d[\"sites\"][0][\"holds\"][0][\"version\"]")" = 2
'

test_expect_success 'log is empty before any bundle; an unknown feed is an error' '
	airlock-signer log >out && grep "no bundles" out &&
	airlock-signer log --json >out.json && test "$(json_get out.json "len(d[\"bundles\"])")" = 0 &&
	expect_code 1 airlock-signer log nope 2>err && grep "unknown feed" err
'

test_expect_success 'prune --keep 1 keeps the version a site holds and the latest' '
	echo four >src/d && airlock-signer snapshot iocs src >/dev/null &&
	airlock-signer prune --keep 1 --json >out &&
	test "$(json_get out "d[\"versions_pruned\"]")" = 1 &&
	test "$(json_get out "d[\"held_kept\"]")" = 1 &&
	airlock-signer status --json >st.json &&
	test "$(json_get st.json "d[\"feeds\"][0][\"oldest_retained\"]")" = 2
'

test_expect_success 'prune removes objects only pruned versions used' '
	n=$(find "$AIRLOCK_HOME/objects" -type f | wc -l) &&
	airlock-signer site remove hq >/dev/null &&
	airlock-signer prune --keep 1 --json >out &&
	test "$(json_get out "d[\"versions_pruned\"]")" = 1 &&
	test "$(json_get out "d[\"objects_removed\"]")" = 0 &&
	echo changed >src/b && airlock-signer snapshot iocs src >/dev/null &&
	airlock-signer prune --keep 1 --json >out &&
	test "$(json_get out "d[\"objects_removed\"]")" = 1 &&
	test "$(find "$AIRLOCK_HOME/objects" -type f | wc -l)" -eq "$n"
'

test_expect_success 'prune usage errors' '
	expect_code 2 airlock-signer prune 2>err && grep "keep" err &&
	expect_code 2 airlock-signer prune --keep 0 2>err &&
	expect_code 2 airlock-signer prune --keep x 2>err
'

test_done
