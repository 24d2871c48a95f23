#!/bin/sh
# Cost control never lists all workspaces faster than its cadence
# (reference/performance.md §1.6): `scaletop record` polls the simulator every
# second with `[cost] interval = 5s` until the simulator's request log shows
# three running-workspace lists, then the log and the history are compared:
# - every /api/v2/workspaces request is a count (limit=1) or a page of the
#   running list (q=status:running, limit=100): never an unfiltered list;
# - each list is whole pages of the 600 running workspaces (1k preset);
# - the lists the history recorded (distinct cost.listed_at, scaletop's own
#   clock at the start of each list) are at least 5 s apart, and every list
#   in the request log is one of them (or the one in progress at the stop).
# No wall-clock assertion: the wait is a bounded loop on a condition, and the
# spacing is checked on the times scaletop itself scheduled by.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
. tests/lib/tools.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg" TZ=UTC
DUMP=$(tool_build history_dump) || { fail cost_cadence_dump_build "$(cat "$BUILD/tools/history_dump.log")"; exit 1; }

sim_start c --preset 1k --scenario steady --seed 3 --ws-drift off || { fail cost_cadence_sim "no manifest"; exit 1; }
T=$(m c .token)
U=$(m c .coder_url)
printf '%s\n' "$T" >"$SCRATCH/c.token"
CFG=$SCRATCH/scaletop.conf
printf '[cost]\ninterval = 5s\n' >"$CFG"
RUNNING=$(ctl c GET /truth | jq .cost.workspaces_running)
PAGES=$(((RUNNING + 99) / 100))
check_eq cost_cadence_running_known "$([ "${RUNNING:-0}" -gt 100 ] && echo yes)" yes

# lists: how many running lists the simulator has seen begin (offset=0 pages).
# RUNLIST: the requests for pages of the running list.
RUNLIST='.requests[] | select(.path == "/api/v2/workspaces" and
    (.query | test("(^|&)q=status:running(&|$)")))'
lists() {
    ctl c GET /requests | jq "[$RUNLIST | select(.query | test(\"(^|&)offset=0(&|\$)\"))] | length"
}

ctl c DELETE /requests >/dev/null
DB=$SCRATCH/cost.db
"$SCALETOP" record --db "$DB" --interval 1 --config "$CFG" --coder-url "$U" \
    --token-file "$SCRATCH/c.token" 2>"$SCRATCH/rec.log" &
pid=$!
n=0
while [ "$n" -lt 240 ]; do
    [ "$(lists)" -ge 3 ] && break
    sleep 0.5
    n=$((n + 1))
done
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
done
wait "$pid"
check_eq cost_cadence_recorder_exit "$?" 0
ctl c GET /requests >"$SCRATCH/req.json"
check_eq cost_cadence_log_complete "$(jq '.total <= 4096' "$SCRATCH/req.json")" true

# Every workspace request is a count or a page of the running list.
bad=$(jq -r '[.requests[] | select(.path | startswith("/api/v2/workspaces")) |
    "\(.path)?\(.query)" as $r | .query |
    select((test("(^|&)limit=1(&|$)") | not) and
           (. != "q=status:running&limit=100&offset=\(capture("offset=(?<o>[0-9]+)$").o // "x")")) |
    $r] | .[:3] | join(" ")' "$SCRATCH/req.json")
check_eq cost_cadence_never_unfiltered "$bad" ""

L=$(jq "[$RUNLIST | select(.query | test(\"(^|&)offset=0(&|\$)\"))] | length" "$SCRATCH/req.json")
P=$(jq "[$RUNLIST] | length" "$SCRATCH/req.json")
check_eq cost_cadence_three_lists "$([ "$L" -ge 3 ] && echo yes)" yes
# Whole lists of PAGES pages; the last may have been cut by the stop.
if [ "$P" -le $((L * PAGES)) ] && [ "$P" -ge $(((L - 1) * PAGES + 1)) ]; then
    ok cost_cadence_pages_per_list
else
    fail cost_cadence_pages_per_list "$P pages for $L lists of $PAGES"
fi
# The pages of one list are consecutive offsets 0, 100, ... (no re-listing).
offs=$(jq "[$RUNLIST | .query | capture(\"offset=(?<o>[0-9]+)\").o | tonumber] |
    [range(0; length) as \$i | select(.[\$i] != ((\$i % $PAGES) * 100))] | length" "$SCRATCH/req.json")
check_eq cost_cadence_offsets_in_order "$offs" 0

# The history: distinct list times, at least the cadence apart.
"$DUMP" "$DB" times >"$SCRATCH/times"
: >"$SCRATCH/listed"
while read -r t; do
    "$DUMP" "$DB" at "$t" | jq -r '.cost.listed_at // empty' >>"$SCRATCH/listed"
done <"$SCRATCH/times"
sort -u "$SCRATCH/listed" >"$SCRATCH/listed.u"
R=$(wc -l <"$SCRATCH/listed.u")
gaps=$(jq -Rn '[inputs | sub("\\.[0-9]+Z$"; "Z") as $s | (. | capture("\\.(?<f>[0-9]+)Z$").f // "0") as $f |
        ($s | fromdateiso8601) + ("0." + $f | tonumber)] | sort |
        [range(1; length) as $i | .[$i] - .[$i - 1]] | map(select(. < 4.998)) | length' "$SCRATCH/listed.u")
check_eq cost_cadence_lists_apart "$gaps" 0
# Each list the simulator saw was recorded (but the one in progress, or
# finished after the last recorded frame).
if [ "$R" -ge 2 ] && [ "$L" -ge "$R" ] && [ "$L" -le $((R + 1)) ]; then
    ok cost_cadence_lists_recorded
else
    fail cost_cadence_lists_recorded "$L lists in the request log, $R recorded"
fi
# The recorded numbers are the simulator's.
last=$(tail -n 1 "$SCRATCH/times")
check_eq cost_cadence_recorded_running \
    "$("$DUMP" "$DB" at "$last" | jq .cost.workspaces_running)" "$RUNNING"
