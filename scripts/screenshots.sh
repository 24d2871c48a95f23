#!/bin/sh
# `make screenshots`: regenerates screenshots/ from the demo's parts at fixed
# moments: the simulator (incident scenario, 30x speed, seed 1), a throwaway
# PostgreSQL with load when PostgreSQL is installed, one recording console
# at 200x60 and two viewer consoles (80x24, 120x40) on the same history
# file, all in tmux on a private socket. Text captures go to
# screenshots/NAME.txt; PNG images (screenshots/NAME.png) are rendered from
# the colour captures by scripts/ansi2html.py and headless chromium when both
# python3 and chromium are installed (no network needed). Everything started
# here is stopped, and the temporary directory removed, on exit.
set -u
: "${BUILD:=build}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD/scaletop"
SIM="$ROOT/$BUILD/scaletop-sim"
OUT="$ROOT/screenshots"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-shots.XXXXXX")
SOCK="scaletop-shots-$$"
SIM_PID=""
PG=""

cleanup() {
    tmux -L "$SOCK" kill-server >/dev/null 2>&1
    if [ -n "$SIM_PID" ]; then
        kill -TERM "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    [ -n "$PG" ] && sh "$ROOT/tests/pg.sh" stop "$TMP/pg" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v tmux >/dev/null || { echo "screenshots: tmux is needed" >&2; exit 1; }
[ -x "$BIN" ] && [ -x "$SIM" ] || { echo "screenshots: run make first" >&2; exit 1; }
mkdir -p "$OUT"

"$SIM" --scenario incident --speed 30 --preset 1k --seed 1 --manifest "$TMP/sim.json" \
    2>"$TMP/sim.log" &
SIM_PID=$!
i=0
while [ ! -s "$TMP/sim.json" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$TMP/sim.json" ] || { echo "screenshots: the simulator did not start" >&2; exit 1; }
START=$(date +%s)

SCRATCH=$TMP
. "$ROOT/tests/lib/sim.sh"
trap cleanup EXIT # sim.sh does not set one, but be sure ours stays
ARGS="$(sim_args sim) --interval 2"
if sh "$ROOT/tests/pg.sh" start "$TMP/pg" >"$TMP/pg.log" 2>&1; then
    PG=1
    sh "$ROOT/tests/pg.sh" load "$TMP/pg" 600 >>"$TMP/pg.log" 2>&1
    conninfo=$(sed -n "s/^SCALETOP_PG_CONNINFO='\(.*\)'$/\1/p" "$TMP/pg/env")
    ARGS="$ARGS --pg '$conninfo'"
else
    echo "screenshots: no PostgreSQL: the Postgres pane will say how to enable it" >&2
fi
: >"$TMP/empty.conf"
ARGS="$ARGS --config $TMP/empty.conf"

t() { tmux -L "$SOCK" "$@"; }
printf 'set -g status off\nset -g history-limit 0\n' >"$TMP/tmux.conf"
session() { # NAME W H
    t -f "$TMP/tmux.conf" new-session -d -s "$1" -x "$2" -y "$3" -c "$TMP" \
        "env -i PATH='$PATH' HOME='$TMP' TERM=xterm-256color LANG=C.UTF-8 TZ=UTC \
         SCALETOP_DB='$TMP/history.db' sh -c \"'$BIN' $ARGS; sleep 600\""
}
session w200 200 60 # the recorder
sleep 3
session w120 120 40 # viewers of its history file
session w80 80 24

# shot NAME SESSION: the screen as text and with colours
shot() {
    t capture-pane -p -t "$2" >"$OUT/$1.txt"
    t capture-pane -p -e -t "$2" >"$TMP/$1.ansi"
    echo "screenshots: $1"
}
at() { # SECONDS since the simulator started
    now=$(date +%s)
    [ $((START + $1)) -gt "$now" ] && sleep $((START + $1 - now))
}

at 50 # about 25 simulated minutes in: a provisioner backlog, a slow database
shot console-200x60 w200
shot console-120x40 w120
shot console-80x24 w80
t send-keys -t w120 3 z
sleep 1
shot provisioners-120x40 w120
t send-keys -t w120 Escape 1
t send-keys -t w80 2 z
sleep 1
shot servers-80x24 w80
t send-keys -t w120 '?'
sleep 1
shot help-120x40 w120
t send-keys -t w120 Escape
# the compare view: A 40 s ago (20 simulated minutes), B the newest frame
t send-keys -t w120 g
t send-keys -t w120 -l -- '-40s'
t send-keys -t w120 Enter a G c
sleep 1
shot compare-120x40 w120
t send-keys -t w120 Escape
at 60
t send-keys -t w200 '{' '{'
sleep 1
shot replay-200x60 w200

if command -v python3 >/dev/null && command -v chromium >/dev/null; then
    for a in "$TMP"/*.ansi; do
        name=$(basename "$a" .ansi)
        size=${name##*-}
        w=${size%x*}
        h=${size#*x}
        python3 "$ROOT/scripts/ansi2html.py" <"$a" >"$TMP/$name.html"
        # 8.43 px per column of 14 px DejaVu Sans Mono, 17 px lines, 6 px padding
        chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --window-size=$((w * 843 / 100 + 14)),$((h * 17 + 12)) \
            --screenshot="$OUT/$name.png" "file://$TMP/$name.html" >/dev/null 2>&1 &&
            echo "screenshots: $name.png"
    done
else
    echo "screenshots: no PNG images (they need python3 and chromium)" >&2
fi
