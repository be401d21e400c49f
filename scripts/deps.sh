#!/bin/sh
# deps.sh - install the Debian packages airlock needs, only when something is
# missing, so `make demo` and `make check` work on a fresh bookworm machine.
set -eu

modules="libsodium libarchive libzstd sqlite3 ncursesw jansson cmocka"
# Libraries (pkg-config module -> Debian package)
pkg_for() {
	case "$1" in
	libsodium) echo libsodium-dev ;;
	libarchive) echo libarchive-dev ;;
	libzstd) echo libzstd-dev ;;
	sqlite3) echo libsqlite3-dev ;;
	ncursesw) echo libncurses-dev ;;
	jansson) echo libjansson-dev ;;
	cmocka) echo libcmocka-dev ;;
	esac
}
# Programs the tests, demo and benchmarks run (program -> Debian package)
tools="cc:gcc pkg-config:pkg-config age:age minisign:minisign zstd:zstd b2sum:coreutils
prove:perl tmux:tmux xdelta3:xdelta3 bsdiff:bsdiff rsync:rsync /usr/bin/time:time
clang:clang genisoimage:genisoimage mkfs.ext4:e2fsprogs python3:python3 sqlite3:sqlite3"

missing=""
for m in $modules; do
	pkg-config --exists "$m" 2>/dev/null || missing="$missing $(pkg_for "$m")"
done
for t in $tools; do
	prog=${t%%:*}
	command -v "$prog" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
