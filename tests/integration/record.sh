#!/bin/sh
# `scaletop record` and `scaletop mark` end to end on a real history file:
# records snapshot JSON lines, leaves a file the stock sqlite3 shell can read
# (integrity, 0600, rollup rows), stores markers beside a running recorder,
# refuses a second recorder, and stops with status 0 on SIGTERM.
. tests/lib/sh.sh
scratch
DB=$SCRATCH/h.db
FIX=tests/data/snapshot_full.json

jq -c --slurpfile d "$FIX" -n \
    'range(0;500) as $i | $d[0] | .time = ((1795749120 + $i * 10) | todate)
     | .postgres.tps = $i | .servers[0].api_p95_ms = ($i % 7) + 0.5' >"$SCRATCH/in.jsonl"

"$SCALETOP" record --db "$DB" --from-json "$SCRATCH/in.jsonl" 2>"$SCRATCH/log"
check_eq record-exit "$?" 0
check_contains record-log "$(cat "$SCRATCH/log")" "stopped (end of input): 500 frames recorded, 0 failed"
check_eq record-frames "$(sqlite3 "$DB" 'SELECT count(*) FROM frame')" 500
check_eq record-integrity "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
check_eq record-mode "$(stat -c %a "$DB")" 600
check_eq record-schema "$(sqlite3 "$DB" 'PRAGMA user_version')" 3
# the 03:00 hour closed: its minute rows are plain SQL
check_eq record-rollup "$(sqlite3 "$DB" "SELECT count, min, max, last FROM rollup_1m
    WHERE series_id = (SELECT id FROM series WHERE name = 'postgres/tps')
    AND t = strftime('%s', '2026-11-27 03:20:00')")" "6|48.0|53.0|53.0"
# and the 6-hour row over it holds every closed hour's samples
check_eq record-rollup-6h "$(sqlite3 "$DB" "SELECT count > 0 AND count = (SELECT sum(count)
    FROM rollup_1h WHERE series_id = r.series_id AND t < r.t + 21600) FROM rollup_6h r
    WHERE series_id = (SELECT id FROM series WHERE name = 'postgres/tps')
    AND t = strftime('%s', '2026-11-27 00:00:00')")" 1
check_eq record-series-name "$(sqlite3 "$DB" "SELECT unit FROM series WHERE name = 'server/coderd-0/api_p95_ms'")" ms

"$SCALETOP" mark "failover started" --at 2026-11-27T03:20:00Z --db "$DB" >/dev/null
check_eq mark-exit "$?" 0
check_eq mark-row "$(sqlite3 "$DB" "SELECT datetime(t / 1000, 'unixepoch') || ' ' || note FROM marker")" \
    "2026-11-27 03:20:00 failover started"
out=$("$SCALETOP" mark "x" --at yesterday-ish --db "$DB" 2>&1)
check_eq mark-bad-time "$?" 2
check_contains mark-bad-time-msg "$out" "cannot read the time"
out=$("$SCALETOP" mark "x" --db "$SCRATCH/none.db" 2>&1)
check_contains mark-no-file "$out" "no such file"

# a live recorder fed through a FIFO: second recorder refused, SIGTERM stops it
mkfifo "$SCRATCH/fifo"
"$SCALETOP" record --db "$SCRATCH/live.db" --from-json "$SCRATCH/fifo" 2>"$SCRATCH/live.log" &
pid=$!
exec 3>"$SCRATCH/fifo"
head -n 3 "$SCRATCH/in.jsonl" >&3
n=0
while [ "$n" -lt 100 ]; do
    f=$(sqlite3 "$SCRATCH/live.db" 'SELECT count(*) FROM frame' 2>/dev/null)
    [ "$f" = 3 ] && break
    sleep 0.1
    n=$((n + 1))
done
check_eq live-frames "$f" 3
out=$("$SCALETOP" record --db "$SCRATCH/live.db" --from-json "$SCRATCH/in.jsonl" 2>&1)
check_eq second-recorder-exit "$?" 1
check_contains second-recorder-msg "$out" "already being recorded by another scaletop (pid $pid)"
"$SCALETOP" mark "while recording" --db "$SCRATCH/live.db" >/dev/null
check_eq mark-beside-recorder "$?" 0
kill -TERM "$pid"
exec 3>&-
wait "$pid"
check_eq sigterm-exit "$?" 0
check_contains sigterm-log "$(cat "$SCRATCH/live.log")" "stopped (SIGTERM): 3 frames recorded"
check_eq after-sigterm-integrity "$(sqlite3 "$SCRATCH/live.db" 'PRAGMA integrity_check')" ok
