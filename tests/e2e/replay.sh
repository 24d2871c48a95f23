#!/bin/sh
# End-to-end: `scaletop replay` over a recorded history (30 frames 10 s
# apart, recorded with `scaletop record --from-json`, Postgres tps = 1000 +
# frame): --at shows REPLAY, that time and that time's values; ] and [ step
# one frame; g with a typed time goes there; G goes to the newest frame;
# usage errors, a missing history file and an unwritable history directory
# are reported plainly, never on the console's screen.
. tests/lib/sh.sh
scratch
. tests/lib/tmux.sh
trap 'tmux_cleanup; rm -rf "$SCRATCH"' EXIT

if ! command -v tmux >/dev/null 2>&1; then
    fail replay-tmux "tmux is not installed (scripts/deps.sh installs it)"
    exit 0
fi
DB="$SCRATCH/h.db"
jq -c --slurpfile d tests/data/snapshot_full.json -n \
    'range(0;30) as $i | $d[0] | .time = ((1795749120 + $i * 10) | todate)
     | .postgres.tps = (1000 + $i)' >"$SCRATCH/in.jsonl"
"$SCALETOP" record --db "$DB" --from-json "$SCRATCH/in.jsonl" 2>/dev/null
check_eq replay-recorded "$(sqlite3 "$DB" 'SELECT count(*) FROM frame')" 30

tps() { screen | grep -o 'transactions/s *[0-9.]*' | head -n 1 | awk '{print $2}'; }
# wait_header TEXT: the header shows TEXT within 3 s
wait_header() {
    i=0
    while [ $i -lt 30 ]; do
        header | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

tmux_start r 120 40
tmux_launch replay --db "$DB" --at 2026-11-27T03:13:00Z
if wait_header 'REPLAY  2026-11-27 03:13:00'; then ok replay-at-header; else
    fail replay-at-header "$(header)"
fi
check_eq replay-at-values "$(tps)" 1006
t send-keys -t "$SESS" ']'
wait_header '03:13:10' && check_eq replay-step-forward "$(tps)" 1007 ||
    fail replay-step-forward "$(header)"
t send-keys -t "$SESS" '[' '['
wait_header '03:12:50' && check_eq replay-step-back "$(tps)" 1005 ||
    fail replay-step-back "$(header)"
t send-keys -t "$SESS" '{'
wait_header '03:12:00'
check_eq replay-ten-back "$(tps)" 1000 # stops at the oldest frame
t send-keys -t "$SESS" g
t send-keys -t "$SESS" -l '2026-11-27 03:14:05'
t send-keys -t "$SESS" Enter
wait_header '03:14:00' && check_eq replay-goto "$(tps)" 1012 || fail replay-goto "$(header)"
t send-keys -t "$SESS" G
wait_header 'REPLAY  2026-11-27 03:16:50' && check_eq replay-newest "$(tps)" 1029 ||
    fail replay-newest "$(header)"
t send-keys -t "$SESS" g
t send-keys -t "$SESS" -l 'yesterday-ish'
t send-keys -t "$SESS" Enter
if wait_for 'bad TIME' 30; then ok replay-goto-bad-time; else fail replay-goto-bad-time "$(screen | tail -n 1)"; fi
t send-keys -t "$SESS" q
restored replay-q-restores

# without --at: the newest frame
tmux_launch replay --db "$DB"
wait_header 'REPLAY  2026-11-27 03:16:50' && ok replay-default-newest || fail replay-default-newest "$(header)"
t send-keys -t "$SESS" q
restored replay-default-q

out=$("$SCALETOP" replay --at nonsense --db "$DB" 2>&1)
check_eq replay-bad-at-status "$?" 2
check_contains replay-bad-at-msg "$out" "--at"
tmux_launch replay --db "$SCRATCH/none.db"
if wait_for 'EXIT=1' 50 && screen | grep -qF 'no such file'; then ok replay-no-file; else
    fail replay-no-file "$(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
fi
# the live console with a history directory it cannot create: said plainly
tmux_launch --db /proc/self/none/h.db
if wait_for 'EXIT=1' 50 && screen | grep -qF 'cannot keep history in /proc/self/none/h.db'; then
    ok console-unwritable-history
else
    fail console-unwritable-history "$(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
fi
out=$("$SCALETOP" replay </dev/null 2>&1)
check_contains replay-needs-terminal "$out" "needs a terminal"
