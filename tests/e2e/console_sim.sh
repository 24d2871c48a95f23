#!/bin/sh
# End-to-end: the real console in tmux against the simulator (steady, 30x).
# What the simulator's truth reports is on screen (a replica's hostname, a
# queue's pending count, a proxy's name) under a LIVE header; a resize
# redraws whole frames; [ travels back (REPLAY, an earlier time) and G
# returns to LIVE; m stores a marker in the history file; w writes the file
# it names (0600, with the pane titles); with the API hanging, keys still
# answer and the pane says stale/error; a second console on the same history
# file is a viewer: it shows the same data and sends the deployment nothing;
# q gives the terminal back.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
. tests/lib/tmux.sh
trap 'tmux_cleanup; sim_stop_all' EXIT

if ! command -v tmux >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1; then
    fail console-tools "tmux and sqlite3 are needed (scripts/deps.sh installs them)"
    exit 0
fi
if ! sim_start s --preset 1k --scenario steady --speed 30 --seed 5; then
    fail console-sim "the simulator did not start: $(tail -n 3 "$SCRATCH/s.log")"
    exit 0
fi
ARGS="$(sim_args s) --interval 1 --timeout 1"
DB="$SCRATCH/h.db"
truth() { ctl s GET /truth | jq -r "$1"; }
frames() { sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null || echo 0; }

tmux_start rec 200 60 "SCALETOP_DB='$DB'"
tmux_launch "$ARGS"
host=$(truth '.replicas[0].hostname')
proxy=$(truth '.proxies[] | select(.name != "primary") | .name' | head -n 1)
if wait_for 'coder-api' && wait_for "$proxy" 100; then
    ok console-proxy-name
else
    fail console-proxy-name "no proxy '$proxy': $(screen | grep -i prox | head -n 3 | tr '\n' '|')"
fi
check_contains console-header-live "$(header)" ' LIVE '
# hostnames are long: the zoomed Servers pane has room for them
t send-keys -t "$SESS" 2 z
if wait_for "$host" 50; then ok console-replica-hostname; else
    fail console-replica-hostname "no '$host': $(screen | grep -i coder- | head -n 3 | tr '\n' '|')"
fi
t send-keys -t "$SESS" Escape 3
# the prod queue's pending count as the truth says it (it moves: retry)
good=0
i=0
while [ $i -lt 30 ] && [ $good = 0 ]; do
    want=$(truth '.queues[] | select(.tags.cluster == "prod") | .pending')
    row=$(screen | grep -m1 'cluster=prod')
    # the row: the tags, then pending: the first number standing alone
    got=$(printf '%s' "$row" | grep -o ' [0-9][0-9]* ' | head -n 1 | tr -d ' ')
    [ -n "$want" ] && [ "$got" = "$want" ] && good=1
    i=$((i + 1))
    [ $good = 1 ] || sleep 0.3
done
if [ $good = 1 ]; then ok console-queue-pending; else
    fail console-queue-pending "screen row '$row', truth pending '$want'"
fi

# resize: every line of the new size is whole (frames closed at the edge)
t resize-window -t "$SESS" -x 80 -y 24
sleep 1
scr=$(screen)
if [ "$(printf '%s\n' "$scr" | wc -l)" -le 24 ] &&
    printf '%s\n' "$scr" | sed -n '2,23p' | grep -qv '[║│╗╝┐┘╮╯]$'; then
    fail console-resize-whole "a body line does not end on a frame: $(printf '%s\n' "$scr" | sed -n '2,23p' | grep -v '[║│╗╝┐┘]$' | head -n 2 | tr '\n' '|')"
elif [ "$(printf '%s\n' "$scr" | LC_ALL=C.UTF-8 wc -L)" -gt 80 ]; then
    fail console-resize-whole "a line wider than 80 columns"
else
    ok console-resize-whole
fi
check_contains console-resize-header "$(header)" ' LIVE '
t resize-window -t "$SESS" -x 200 -y 60

# time travel: back three frames, then live again
i=0
while [ "$(frames)" -lt 5 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
live_time=$(header | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' | head -n 1)
t send-keys -t "$SESS" '[' '[' '['
if wait_for 'REPLAY' 30; then
    shown=$(header | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' | head -n 1)
    if [ -n "$shown" ] && [ "$(printf '%s\n%s\n' "$shown" "$live_time" | sort | head -n 1)" = "$shown" ] &&
        [ "$shown" != "$live_time" ]; then
        ok console-replay-earlier
    else
        fail console-replay-earlier "shown '$shown', live was '$live_time'"
    fi
else
    fail console-replay-earlier "no REPLAY in the header: $(header)"
fi
t send-keys -t "$SESS" G
i=0
while ! header | grep -q ' LIVE ' && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
check_contains console-back-to-live "$(header)" ' LIVE '

# m: a marker with the note, in the history file
t send-keys -t "$SESS" m
t send-keys -t "$SESS" -l 'e2e deploy 42'
t send-keys -t "$SESS" Enter
wait_for 'marked ' 30
check_eq console-mark "$(sqlite3 "$DB" "SELECT note FROM marker" 2>&1)" "e2e deploy 42"

# w: the file the footer names
t send-keys -t "$SESS" w
if wait_for 'snapshot written to ' 30; then
    f=$(screen | grep -o 'snapshot written to [^ ]*' | head -n 1 | sed 's/snapshot written to //')
    if [ -f "$f" ] && [ "$(stat -c %a "$f")" = 600 ] && grep -q Servers "$f" && grep -q Provisioners "$f" &&
        grep -q Capacity "$f"; then
        ok console-write-snapshot
    else
        fail console-write-snapshot "'$f': $(ls -l "$f" 2>&1)"
    fi
else
    fail console-write-snapshot "no message: $(screen | tail -n 1)"
fi

# r polls now; ? lists the time-travel keys
t send-keys -t "$SESS" r
if wait_for 'refreshing' 30; then ok console-refresh; else fail console-refresh "$(screen | tail -n 1)"; fi
t send-keys -t "$SESS" '?'
if wait_for 'go to a time' 30 && screen | grep -qF 'mark the moment shown'; then ok console-help-keys; else
    fail console-help-keys "$(screen | grep -i 'time' | head -n 3 | tr '\n' '|')"
fi
t send-keys -t "$SESS" Escape

# a viewer on the same file while this one records
tmux_start view 200 60 "SCALETOP_DB='$DB'"
tmux_launch "$ARGS"
if wait_for "$proxy" 100 && wait_for 'coder-api' 10; then
    ok viewer-same-data
else
    fail viewer-same-data "$(screen | head -n 5 | tr '\n' '|')"
fi
check_contains viewer-header-live "$(header)" ' LIVE '
SESS=rec
t send-keys -t rec q
restored console-q-restores
# only the viewer runs now: the deployment hears nothing from it
sleep 1.5
before=$(ctl s GET /requests | jq .total)
sleep 3
after=$(ctl s GET /requests | jq .total)
check_eq viewer-sends-no-requests "$after" "$before"
SESS=view
t send-keys -t view q
restored viewer-q-restores

# a hanging API: keys still answer; the pane says so
tmux_start hang 120 40 "SCALETOP_DB='$SCRATCH/h2.db'"
tmux_launch "$ARGS"
wait_for 'coder-api' 100
if screen | grep -q 'stale'; then
    fail console-hang-baseline "'stale' on screen before the fault"
fi
ctl s POST /faults '{"listener": "api", "kind": "hang", "max_hold_ms": 30000}' >/dev/null
sleep 3
before=$(screen | sed -n '2,$p' | md5sum)
t send-keys -t "$SESS" Tab
i=0
changed=0
while [ $i -lt 10 ]; do # at most 1 s
    if [ "$(screen | sed -n '2,$p' | md5sum)" != "$before" ]; then changed=1; break; fi
    sleep 0.1
    i=$((i + 1))
done
check_eq console-keys-while-api-hangs "$changed" 1
if wait_for 'stale' 100 || screen | grep -q 'error'; then
    ok console-hang-shows-stale
else
    fail console-hang-shows-stale "$(screen | head -n 12 | tr '\n' '|')"
fi
ctl s DELETE /faults >/dev/null
t send-keys -t "$SESS" q
restored console-q-after-hang
