# tests/t/lib.sh - a small TAP harness in the style of git's t/ (sourced).
#   test_expect_success 'title' 'commands'   the commands must all succeed
#   test_done                                prints the plan, exits non-zero on failure
# Inside tests: expect_code N cmd... (exact exit code), test_cmp A B,
# fresh_dir NAME. AIRLOCK_BIN is the build directory (make sets it).
set -u
: "${AIRLOCK_BIN:?AIRLOCK_BIN must point at the build directory (run through make)}"
PATH="$AIRLOCK_BIN:$PATH"
export PATH
test_count=0
test_failed=0
TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/airlock-test.XXXXXX")
trap 'rm -rf "$TEST_ROOT"' EXIT
cd "$TEST_ROOT" || exit 1
# Fast scrypt for the many keys tests make; the default stays minisign's.
AIRLOCK_KDF_COST=interactive
export AIRLOCK_KDF_COST

test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TEST_ROOT/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$TEST_ROOT/.out"
	fi
}

# expect_code N cmd args...: runs cmd, fails unless it exits with exactly N
# (a crash by signal is never a clean failure).
expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "expected exit code $want, got $got from: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}
