# tests/tui/lib.sh - drive airlock-tui in a real terminal (tmux) and assert
# on the screen text. Sourced after tests/t/lib.sh's TAP helpers:
#   tui_start ARGS...      run airlock-tui ARGS in a fresh 80x24 tmux window
#   tui_wait TEXT [SECS]   poll the screen until TEXT appears (default 10 s)
#   tui_gone TEXT [SECS]   poll until TEXT is no longer on the screen
#   tui_keys KEYS...       tmux send-keys (names like Enter, Escape, C-c, Down)
#   tui_type TEXT          send TEXT literally
#   tui_screen             print the screen text
#   tui_resize W H         resize the window
#   tui_exited [SECS]      wait for the program to end; prints its exit status
# Every tmux server is private (-L) and killed at exit.
TUI_TESTDIR=$(cd "$(dirname "$0")" && pwd)
. "$TUI_TESTDIR/../t/lib.sh"

# One private server per start (a killed server may still be exiting when
# the next one would reuse its socket). Tests run in subshells, so the
# current socket's number lives in a file; all servers are killed at exit.
TUI_BASE="airlock-test-$$"
TUI_SESSION=tui
TUI_TERM=${TUI_TERM:-xterm-256color}
TUI_LANG=${TUI_LANG:-C.UTF-8}

tui_starts() {
	cat "$TEST_ROOT/.tui-starts" 2>/dev/null || echo 0
}

tmux_() {
	tmux -L "$TUI_BASE-$(tui_starts)" -f /dev/null "$@"
}

tui_cleanup() {
	n=0
	last=$(tui_starts)
	while [ "$n" -le "$last" ]; do
		tmux -L "$TUI_BASE-$n" kill-server >/dev/null 2>&1
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_BASE-$n"
		n=$((n + 1))
	done
	rm -rf "$TEST_ROOT"
}
trap tui_cleanup EXIT

command -v tmux >/dev/null 2>&1 || {
	echo "1..0 # SKIP tmux is not installed (scripts/deps.sh installs it)"
	exit 0
}

# Extra environment for the console: TUI_ENV="NO_COLOR=1 LANG=C" etc.
TUI_ENV=${TUI_ENV:-}

tui_start() {
	tmux_ kill-server >/dev/null 2>&1
	echo $(( $(tui_starts) + 1 )) >"$TEST_ROOT/.tui-starts"
	rm -f "$TEST_ROOT/.tui-pid" "$TEST_ROOT/.tui-exit"
	# tmux does not always learn a pane's exit status, so a small shell
	# records the console's pid and status; the console still owns the
	# terminal (its input is the tty, not the /dev/null of a background job).
	tmux_ new-session -d -s "$TUI_SESSION" -x 80 -y 24 \
	    "env TERM=$TUI_TERM LANG=$TUI_LANG LC_ALL=$TUI_LANG $TUI_ENV airlock-tui $* </dev/tty & \
	     echo \$! >'$TEST_ROOT/.tui-pid'; wait \$!; echo \$? >'$TEST_ROOT/.tui-exit'" \; \
	    set-option -t "$TUI_SESSION" remain-on-exit on \; \
	    set-option -g window-size manual >/dev/null
}

tui_screen() {
	tmux_ capture-pane -p -t "$TUI_SESSION"
}

# The screen with its colour and attribute escapes.
tui_screen_escapes() {
	tmux_ capture-pane -p -e -t "$TUI_SESSION"
}

tui_wait() {
	want=$1
	limit=$(( ${2:-10} * 10 ))
	i=0
	while [ "$i" -lt "$limit" ]; do
		if tui_screen | grep -F -q -- "$want"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "screen never showed '$want'; it shows:" >&2
	tui_screen >&2
	return 1
}

# tui_wait_re REGEX [SECS]: as tui_wait, for an extended regular expression.
tui_wait_re() {
	limit=$(( ${2:-10} * 10 ))
	i=0
	while [ "$i" -lt "$limit" ]; do
		if tui_screen | grep -E -q -- "$1"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "screen never matched '$1'; it shows:" >&2
	tui_screen >&2
	return 1
}

tui_gone() {
	gone=$1
	limit=$(( ${2:-10} * 10 ))
	i=0
	while [ "$i" -lt "$limit" ]; do
		if ! tui_screen | grep -F -q -- "$gone"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "screen still shows '$gone':" >&2
	tui_screen >&2
	return 1
}

tui_keys() {
	tmux_ send-keys -t "$TUI_SESSION" "$@"
}

tui_type() {
	tmux_ send-keys -t "$TUI_SESSION" -l -- "$1"
}

tui_resize() {
	tmux_ resize-window -t "$TUI_SESSION" -x "$1" -y "$2"
}

# tui_wait_size W H: the window and the screen's last line follow a resize.
tui_wait_size() {
	i=0
	while [ "$i" -lt 100 ]; do
		if [ "$(tmux_ display-message -p -t "$TUI_SESSION" '#{window_width}x#{window_height}')" = "$1x$2" ] &&
		    [ "$(tui_screen | wc -l)" -eq "$2" ] && tui_screen | tail -n 1 | grep -q Help; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "the screen did not become $1x$2" >&2
	return 1
}

# Prints the exit status once the program has ended.
tui_exited() {
	limit=$(( ${1:-10} * 10 ))
	i=0
	while [ "$i" -lt "$limit" ]; do
		if [ -s "$TEST_ROOT/.tui-exit" ]; then
			cat "$TEST_ROOT/.tui-exit"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "the console is still running" >&2
	return 1
}

# The pid of the console (for signal tests).
tui_pid() {
	i=0
	while [ ! -s "$TEST_ROOT/.tui-pid" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat "$TEST_ROOT/.tui-pid"
}
