# tests/t/signer-lib.sh - helpers for the signer tests (sourced after lib.sh).
AIRLOCK_HOME="$TEST_ROOT/home"
export AIRLOCK_HOME

# A fingerprint of the whole signer state: the catalog's SQL dump, the
# object names and every file name and mode in the home.
signer_fingerprint() {
	sqlite3 "$AIRLOCK_HOME/signer.db" .dump &&
	(cd "$AIRLOCK_HOME" && find . -path ./signer.db -prune -o -printf '%p %m %s\n' | LC_ALL=C sort)
}

# A signer home with a passphrase key and one site "hq" (identity hq.key).
signer_setup() {
	airlock-signer init >/dev/null &&
	printf 'correct horse\n' >"$TEST_ROOT/pass" &&
	airlock-signer keygen --passphrase-file "$TEST_ROOT/pass" >/dev/null &&
	age-keygen -o "$TEST_ROOT/hq.key" 2>/dev/null &&
	airlock-signer site add hq "$(age-keygen -y "$TEST_ROOT/hq.key")" >/dev/null
}

# json_get FILE EXPR: prints a value from a JSON file (python3, no jq here).
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"
}
