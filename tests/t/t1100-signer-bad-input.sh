#!/bin/sh
# airlock-signer: every bad input is refused with a clear message, exit 1 (2
# for usage errors), and leaves the home exactly as it was.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/signer-lib.sh"

# refused CODE PATTERN cmd...: the command fails with CODE, stderr matches
# PATTERN and has a hint, and the home's fingerprint is unchanged.
refused() {
	code=$1 pattern=$2
	shift 2
	signer_fingerprint >before &&
	expect_code "$code" "$@" 2>err &&
	grep "^airlock-signer: error: .*$pattern" err &&
	grep "^airlock-signer: hint: " err &&
	signer_fingerprint >after && test_cmp before after
}

test_expect_success 'setup: a home, a key, a site, version 1 of feed iocs' '
	signer_setup && mkdir src && echo a >src/a && echo b >src/b &&
	airlock-signer snapshot iocs src >/dev/null
'

test_expect_success 'missing source directory' '
	refused 1 "does not exist" airlock-signer snapshot iocs nowhere
'

test_expect_success 'source that is a file' '
	refused 1 "is not a directory" airlock-signer snapshot iocs src/a
'

test_expect_success 'unreadable source (run as an unprivileged user)' '
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "# SKIP needs root and setpriv"; exit 0
	fi
	# TEST_ROOT is private (0700): the unprivileged user works in its own dir.
	priv=$(mktemp -d /tmp/airlock-priv.XXXXXX) && chmod 755 "$priv" &&
	cp -r src "$priv/src" && mkdir "$priv/src/locked" && echo x >"$priv/src/locked/f" &&
	chmod 000 "$priv/src/locked" && chown -R 65534:65534 "$priv" &&
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups \
		env AIRLOCK_HOME="$priv/home" "$AIRLOCK_BIN/airlock-signer" "$@"; } &&
	as_nobody init >/dev/null &&
	sqlite3 "$priv/home/signer.db" .dump >before &&
	as_nobody snapshot iocs "$priv/src" 2>err; rc=$?
	sqlite3 "$priv/home/signer.db" .dump >after
	left=$(find "$priv/home/objects" -type f)
	rm -rf "$priv"
	test $rc -eq 1 && grep "error: cannot read .*locked" err && grep "hint:" err &&
	test_cmp before after && test -z "$left"
'

test_expect_success 'a socket in the source' '
	cp -r src s1 &&
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" s1/sock &&
	refused 1 "sock.*it is a socket" airlock-signer snapshot iocs s1
'

test_expect_success 'a fifo in the source' '
	cp -r src s2 && mkfifo s2/pipe &&
	refused 1 "pipe.*named pipe" airlock-signer snapshot iocs s2
'

test_expect_success 'a device in the source' '
	cp -r src s3 && mknod s3/null c 1 3 &&
	refused 1 "null.*it is a device" airlock-signer snapshot iocs s3
'

test_expect_success 'symlinks pointing outside the tree, or absolute' '
	cp -r src s4 && ln -s ../../etc/passwd s4/out &&
	refused 1 "outside the source" airlock-signer snapshot iocs s4 &&
	cp -r src s5 && ln -s /etc/passwd s5/abs &&
	refused 1 "absolute target" airlock-signer snapshot iocs s5
'

test_expect_success 'a symlink inside the tree is stored as a symlink, not followed' '
	cp -r src s6 && ln -s a s6/link &&
	airlock-signer snapshot iocs s6 --json >out &&
	test "$(json_get out "d[\"files\"]")" = 3 &&
	sqlite3 "$AIRLOCK_HOME/signer.db" "SELECT type, link_target FROM files WHERE path = '"'"'link'"'"'" >row &&
	echo "1|a" >want && test_cmp want row
'

test_expect_success 'a name that is not UTF-8' '
	cp -r src s7 && : >"s7/$(printf "bad\377name")" &&
	refused 1 "UTF-8" airlock-signer snapshot iocs s7
'

test_expect_success 'a file over 4 GiB (sparse)' '
	cp -r src s8 && truncate -s 5G s8/huge &&
	refused 1 "larger than 4 GiB" airlock-signer snapshot iocs s8
'

test_expect_success 'an empty feed' '
	mkdir s9 && mkdir s9/emptydir &&
	refused 1 "contains no files" airlock-signer snapshot iocs s9
'

# The writer appends without pause and the file is large enough that every
# read of it spans many appends, even on a loaded machine (a shell loop of
# printf, with a 64 MB file, was sometimes not scheduled during a read).
test_expect_success 'a file that keeps changing while it is read' '
	cp -r src s10 && head -c 200000000 /dev/zero >s10/growing &&
	python3 -c "
import sys
with open(\"s10/growing\", \"ab\", buffering=0) as f:
    while True:
        f.write(b\"x\")
" & writer=$!
	while [ "$(stat -c %s s10/growing)" -le 200000000 ]; do sleep 0.05; done
	refused 1 "kept changing while it was read" airlock-signer snapshot iocs s10; rc=$?
	kill $writer; wait $writer 2>/dev/null; rm -f s10/growing; test $rc -eq 0
'

test_expect_success 'an invalid feed name is a usage error' '
	refused 2 "invalid feed name" airlock-signer snapshot "Bad/Feed" src
'

test_expect_success 'a home on a full disk: the snapshot fails, the home is unchanged' '
	mkdir -p full &&
	if ! mount -t tmpfs -o size=600k tmpfs full 2>mnt.err; then
		echo "# SKIP cannot mount a tmpfs: $(cat mnt.err)"; exit 0
	fi
	(
	AIRLOCK_HOME="$TEST_ROOT/full/home" && export AIRLOCK_HOME &&
	airlock-signer init >/dev/null && mkdir big && head -c 1000000 /dev/urandom >big/f &&
	refused 1 "No space left on device" airlock-signer snapshot iocs big
	); rc=$?; umount full; test $rc -eq 0
'

test_expect_success 'bundle for an unknown site' '
	refused 1 "unknown site .nobody." airlock-signer bundle iocs --to nobody -o x.bundle &&
	test ! -e x.bundle
'

test_expect_success 'bundle of an unknown feed' '
	refused 1 "unknown feed" airlock-signer bundle nope --to hq -o x.bundle && test ! -e x.bundle
'

test_expect_success 'bundle usage errors' '
	refused 2 "no sites" airlock-signer bundle iocs -o x.bundle &&
	refused 2 "no output" airlock-signer bundle iocs --to hq &&
	refused 2 "exclude each other" airlock-signer bundle iocs --to hq --full --from 1 -o x &&
	refused 2 "--from needs" airlock-signer bundle iocs --to hq --from 01 -o x &&
	refused 2 "bad --expires" airlock-signer bundle iocs --to hq --expires 3y -o x &&
	refused 2 "bad --to" airlock-signer bundle iocs --to hq,,hq -o x &&
	refused 2 "named twice" airlock-signer bundle iocs --to hq,hq -o x &&
	test ! -e x
'

test_expect_success 'bundle with a wrong passphrase' '
	printf "wrong\n" >badpass &&
	refused 1 "passphrase" airlock-signer bundle iocs --to hq --full -o x.bundle \
		--passphrase-file badpass && test ! -e x.bundle
'

test_expect_success 'bundle whose base is no longer retained names the oldest retained' '
	echo c >src/c && airlock-signer snapshot iocs src >/dev/null &&
	echo d >src/d && airlock-signer snapshot iocs src >/dev/null &&
	airlock-signer prune --keep 1 >/dev/null &&
	r1=$(sqlite3 "$AIRLOCK_HOME/signer.db" "SELECT hex(substr(tree,1,4)) FROM versions WHERE version = 1" | tr A-F a-f) &&
	airlock-signer site set hq "iocs@1:$r1" >/dev/null &&
	refused 1 "base version 1 of feed .iocs. is no longer retained (the oldest retained version is 4)" \
		airlock-signer bundle iocs --to hq -o x.bundle --passphrase-file "$TEST_ROOT/pass" &&
	refused 1 "no longer retained" \
		airlock-signer bundle iocs --to hq --from 2 -o x.bundle --passphrase-file "$TEST_ROOT/pass" &&
	test ! -e x.bundle
'

test_expect_success 'bundle when the sites hold different versions' '
	age-keygen -o dc.key 2>/dev/null &&
	airlock-signer site add dc "$(age-keygen -y dc.key)" >/dev/null &&
	refused 1 "sites hold different versions" \
		airlock-signer bundle iocs --to hq,dc -o x.bundle --passphrase-file "$TEST_ROOT/pass"
'

test_expect_success 'bundle onto an existing file refuses to overwrite it' '
	echo keep >exists &&
	refused 1 "exists already" airlock-signer bundle iocs --to dc -o exists \
		--passphrase-file "$TEST_ROOT/pass" && echo keep | cmp - exists
'

test_done
