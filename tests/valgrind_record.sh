#!/bin/sh
# `scaletop record` under valgrind (memcheck, --leak-check=full): a live
# recording of the simulator for a few cycles, stopped with SIGTERM, and an
# import with --from-json. Any memory error or definite leak fails. Run by
# `make valgrind` (tests/run.sh with SCALETOP_VALGRIND=1); bounded (~1 min).
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
RPID=""
trap 'kill -TERM $RPID 2>/dev/null; sim_stop_all' EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"
if ! command -v valgrind >/dev/null 2>&1; then
    fail valgrind_record "valgrind not installed (scripts/deps.sh)"
    exit 0
fi
VG="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"

sim_start s --preset 1k --seed 2 --speed 30 || { fail valgrind_sim "no manifest"; exit 1; }
ARGS=$(sim_args s)
DB=$SCRATCH/v.db
# shellcheck disable=SC2086
$VG "$SCALETOP" record --db "$DB" --interval 2 --timeout 10 $ARGS 2>"$SCRATCH/vg.log" &
RPID=$!
i=0
while [ $i -lt 600 ]; do
    n=$([ -f "$DB" ] && sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null)
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.1
    i=$((i + 1))
done
kill -TERM "$RPID"
wait "$RPID"
rc=$?
RPID=""
if [ "$rc" = 0 ] && ! grep -q '^==[0-9]*==' "$SCRATCH/vg.log"; then
    ok valgrind_record_live
else
    fail valgrind_record_live "exit $rc, ${n:-0} frames: $(grep -m3 '^==[0-9]*==' "$SCRATCH/vg.log" | tr '\n' ' ')"
fi

jq -c --slurpfile d tests/data/snapshot_full.json -n \
    'range(0;20) as $i | $d[0] | .time = ((1795749120 + $i * 10) | todate)' >"$SCRATCH/in.jsonl"
$VG "$SCALETOP" record --db "$SCRATCH/i.db" --from-json "$SCRATCH/in.jsonl" 2>"$SCRATCH/vg2.log"
rc=$?
if [ "$rc" = 0 ] && ! grep -q '^==[0-9]*==' "$SCRATCH/vg2.log"; then
    ok valgrind_record_import
else
    fail valgrind_record_import "exit $rc: $(grep -m3 '^==[0-9]*==' "$SCRATCH/vg2.log" | tr '\n' ' ')"
fi
$VG "$SCALETOP" check --db "$SCRATCH/i.db" --at 2026-11-27T03:15:00Z >/dev/null 2>"$SCRATCH/vg3.log"
rc=$?
if [ "$rc" -le 3 ] && ! grep -q '^==[0-9]*==' "$SCRATCH/vg3.log"; then
    ok valgrind_check_at
else
    fail valgrind_check_at "exit $rc: $(grep -m3 '^==[0-9]*==' "$SCRATCH/vg3.log" | tr '\n' ' ')"
fi
