# Helpers for suites that drive the real console in tmux. Source after
# tests/lib/sh.sh and scratch. tmux runs on a private socket (-L); call
# tmux_cleanup from the suite's EXIT trap. Every wait is a bounded poll.
SOCK="scaletop-test-$$"
SOCK_PATH="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
BIN="$(cd "$(dirname "$SCALETOP")" && pwd)/$(basename "$SCALETOP")"
SESS=none

tmux_cleanup() {
    tmux -L "$SOCK" kill-server >/dev/null 2>&1
    rm -f "$SOCK_PATH"
}

t() { tmux -L "$SOCK" "$@"; }
screen() { t capture-pane -p -t "$SESS"; }
fmt() { t display -p -t "$SESS" "$1"; }
header() { screen | head -n 1; }

# wait_for PATTERN [TENTHS]: poll the screen (default up to 10 s) for PATTERN.
wait_for() {
    i=0
    while [ $i -lt "${2:-100}" ]; do
        if screen | grep -qF -- "$1"; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# tmux_start NAME W H [ENV...]: a new session running sh in $SCRATCH (UTF-8,
# 256 colours); the server lives until tmux_cleanup.
tmux_start() {
    SESS=$1
    printf 'set -g status off\nset -g history-limit 0\n' >"$SCRATCH/tmux.conf"
    t -f "$SCRATCH/tmux.conf" new-session -d -s "$SESS" -x "$2" -y "$3" -c "$SCRATCH" \
        "env -i PATH='$PATH' HOME='$SCRATCH' TERM=xterm-256color LANG=C.UTF-8 TZ=UTC $4 PS1='PROMPT\$ ' sh"
    wait_for 'PROMPT$' 50
}

# tmux_launch ARGS: runs the console (its exit status printed as EXIT=N after).
tmux_launch() {
    t send-keys -t "$SESS" "clear; '$BIN' $*; echo EXIT=\$?" Enter
}

# restored NAME: the console exited 0 and the terminal is back.
restored() {
    if ! wait_for "EXIT=0" 50; then
        fail "$1" "no EXIT=0 on screen: $(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
    elif [ "$(fmt '#{alternate_on}')" != 0 ]; then
        fail "$1" "still on the alternate screen"
    elif [ "$(fmt '#{cursor_flag}')" != 1 ]; then
        fail "$1" "cursor left hidden"
    else
        ok "$1"
    fi
}
