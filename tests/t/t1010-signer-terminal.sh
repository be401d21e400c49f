#!/bin/sh
# Passphrases typed on the terminal: echo off, asked twice for a new key,
# asked once (and only when the key has one) for a bundle.
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/signer-lib.sh"

on_tty() {
	python3 "$TDIR/signer-pty.py" "$AIRLOCK_BIN/airlock-signer $1" "$2"
}

test_expect_success 'setup' '
	airlock-signer init >/dev/null && mkdir src && echo a >src/a &&
	airlock-signer snapshot iocs src >/dev/null && age-keygen -o hq.key 2>/dev/null &&
	airlock-signer site add hq "$(age-keygen -y hq.key)" >/dev/null
'

test_expect_success 'keygen asks twice; different answers make no key' '
	on_tty keygen "first-try,second-try" >screen; test $? -eq 1 &&
	grep "Repeat the passphrase" screen && grep "the two passphrases differ" screen &&
	test ! -e "$AIRLOCK_HOME/signer.key"
'

test_expect_success 'an empty passphrase is refused with a hint' '
	on_tty keygen "" >screen; test $? -eq 1 && grep "empty passphrase" screen &&
	grep "no-passphrase" screen && test ! -e "$AIRLOCK_HOME/signer.key"
'

test_expect_success 'keygen with the same answer twice; nothing is echoed' '
	on_tty keygen "tty-secret-42,tty-secret-42" >screen &&
	! grep "tty-secret-42" screen && test -f "$AIRLOCK_HOME/signer.key"
'

test_expect_success 'bundle asks once and signs with the typed passphrase' '
	on_tty "bundle iocs --to hq -o b1" "tty-secret-42" >screen &&
	grep "Passphrase for signer.key" screen && ! grep "tty-secret-42" screen && test -s b1
'

test_expect_success 'a wrong typed passphrase makes no bundle and records nothing' '
	echo b >src/b && airlock-signer snapshot iocs src >/dev/null &&
	signer_fingerprint >before &&
	on_tty "bundle iocs --to hq -o b2" "not-it" >screen; test $? -eq 1 &&
	grep "error: .*passphrase" screen && test ! -e b2 &&
	signer_fingerprint >after && test_cmp before after
'

test_expect_success 'a mistyped site is refused before the passphrase is asked' '
	on_tty "bundle iocs --to hqq -o b2" - >screen; test $? -eq 1 &&
	grep "unknown site" screen && ! grep "Passphrase" screen
'

test_done
