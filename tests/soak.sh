#!/bin/sh
# Soak: `scaletop record` against the simulator's 10k preset at high speed
# while faults switch on and off (5xx, hangs, truncated and huge bodies on
# rotating listeners). After a warm-up, resident memory (VmRSS) and open file
# descriptors are sampled; at the end they must be flat: fds equal (±2),
# RSS grown by at most 25 % + 8 MB (SOAK_RSS_SLACK_KB). The history stays intact and the
# recorder stops with 0 on SIGTERM.
#   tests/soak.sh [SECONDS]   (default 600; `make soak`; make check runs 45)
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
RPID=""
trap 'kill -TERM $RPID 2>/dev/null; sim_stop_all' EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"
DURATION=${1:-${SOAK_SECONDS:-600}}
WARMUP=$((DURATION / 4))
[ "$WARMUP" -gt 60 ] && WARMUP=60

sim_start s --preset 10k --scenario steady --seed 21 --speed 60 || { fail soak_sim "no manifest"; exit 1; }
ARGS=$(sim_args s)
DB=$SCRATCH/soak.db
# shellcheck disable=SC2086
"$SCALETOP" record --db "$DB" --interval 1 --timeout 2 $ARGS 2>"$SCRATCH/rec.log" &
RPID=$!
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$RPID/status" 2>/dev/null; }
fds() { ls "/proc/$RPID/fd" 2>/dev/null | wc -l; }

set -- \
    '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"status","status":503}' \
    '{"listener":"metrics:0","kind":"hang","max_hold_ms":4000}' \
    '{"listener":"metrics:1","kind":"truncate"}' \
    '{"listener":"k8s","kind":"status","status":500}' \
    '{"listener":"api","path_prefix":"/api/v2/organizations","kind":"malformed"}' \
    '{"listener":"proxy:sydney","kind":"latency","latency_ms":3000}'
start=$(date +%s)
rss0="" fds0=""
i=0
while [ $(($(date +%s) - start)) -lt "$DURATION" ]; do
    if [ -z "$rss0" ] && [ $(($(date +%s) - start)) -ge "$WARMUP" ]; then
        rss0=$(rss)
        fds0=$(fds)
    fi
    # one fault for 3 s, then 2 s clean, rotating through the list
    n=$((i % $#))
    eval "f=\${$((n + 1))}"
    ctl s POST /faults "$f" >/dev/null
    sleep 3
    ctl s DELETE /faults >/dev/null
    sleep 2
    i=$((i + 1))
    kill -0 "$RPID" 2>/dev/null || break
done
if kill -0 "$RPID" 2>/dev/null; then ok soak_recorder_alive; else fail soak_recorder_alive "exited: $(tail -n 3 "$SCRATCH/rec.log")"; fi
# let the last fault's effects settle (a hang ends, the backoff passes)
sleep 3
rss1=$(rss)
fds1=$(fds)
echo "# soak ${DURATION}s: $i fault rounds; RSS ${rss0:-?} -> ${rss1:-?} kB; fds ${fds0:-?} -> ${fds1:-?}"
if [ -n "$rss0" ] && [ -n "$rss1" ] && [ "$rss1" -le $((rss0 + rss0 / 4 + ${SOAK_RSS_SLACK_KB:-8192})) ]; then
    ok soak_rss_flat
else
    fail soak_rss_flat "RSS ${rss0:-?} -> ${rss1:-?} kB"
fi
if [ -n "$fds0" ] && [ "$fds1" -le $((fds0 + 2)) ]; then ok soak_fds_flat; else fail soak_fds_flat "fds ${fds0:-?} -> ${fds1:-?}"; fi
kill -TERM "$RPID"
wait "$RPID"
check_eq soak_sigterm_exit "$?" 0
RPID=""
check_eq soak_integrity "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
n=$(sqlite3 "$DB" 'SELECT count(*) FROM frame')
if [ "$n" -ge $((DURATION / 4)) ]; then ok soak_frames; else fail soak_frames "$n frames in ${DURATION}s"; fi
