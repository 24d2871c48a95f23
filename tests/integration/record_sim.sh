#!/bin/sh
# `scaletop record` polling the simulator live: SIGTERM stops it with 0, the
# history holds frames whose values match the simulator's truth, a second
# recorder is refused; what the store rebuilds at each recorded time equals
# the snapshot that was recorded (store_snapshot_at through
# tests/tools/history_dump); `check --at` judges a recorded moment; `mark`
# takes the full TIME grammar.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
. tests/lib/tools.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"
DUMP=$(tool_build history_dump) || { fail history_dump_build "$(cat "$BUILD/tools/history_dump.log")"; exit 1; }

# The running count held (--ws-drift off): the simulated cluster sizes its
# node pool by it, and the exact allocatable check below reads the truth a
# moment after the last recorded frame.
sim_start s --preset 1k --scenario steady --seed 5 --speed 30 --ws-drift off ||
    { fail sim_start "no manifest"; exit 1; }
ARGS=$(sim_args s)

# ---- live recording ----
DB=$SCRATCH/live.db
# shellcheck disable=SC2086
"$SCALETOP" record --db "$DB" --interval 1 $ARGS 2>"$SCRATCH/rec.log" &
pid=$!
n=0
while [ "$n" -lt 100 ]; do
    # the sqlite3 shell would create a missing file (0644): wait for the recorder's
    [ -f "$DB" ] && f=$(sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null)
    [ "${f:-0}" -ge 4 ] && break
    sleep 0.1
    n=$((n + 1))
done
[ "${f:-0}" -ge 4 ] || fail live_frames "only ${f:-0} frames after 10 s"
# shellcheck disable=SC2086
out=$("$SCALETOP" record --db "$DB" --interval 1 $ARGS 2>&1)
check_eq live_second_recorder_exit "$?" 1
check_contains live_second_recorder_msg "$out" "already being recorded by another scaletop (pid $pid)"
ctl s GET /truth >"$SCRATCH/truth.json"
kill -TERM "$pid"
wait "$pid"
check_eq live_sigterm_exit "$?" 0
LOG=$(cat "$SCRATCH/rec.log")
check_contains live_log_start "$LOG" "scaletop record: recording into $DB"
check_contains live_log_stop "$LOG" "stopped (SIGTERM)"
check_contains live_log_source "$LOG" "source coder-api: ok"
if printf '%s\n' "$LOG" | grep -qv '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z scaletop record: '; then
    fail live_log_stamped "$(printf '%s\n' "$LOG" | grep -v '^[0-9]\{4\}-' | head -n 2)"
else
    ok live_log_stamped
fi
check_eq live_integrity "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
check_eq live_mode "$(stat -c %a "$DB")" 600
last=$("$DUMP" "$DB" times | tail -n 1)
"$DUMP" "$DB" at "$last" >"$SCRATCH/last.json"
S=$SCRATCH/last.json
T=$SCRATCH/truth.json
check_eq live_sources_ok \
    "$(jq -r '[.sources[] | select(.status != "ok" and .status != "disabled") | "\(.name)=\(.status)"] | join(" ")' "$S")" ""
check_eq live_replica_hosts \
    "$(jq -r '[.servers[] | select(.id != null) | .hostname] | sort | join(",")' "$S")" \
    "$(jq -r '[.replicas[] | select(.present) | .hostname] | sort | join(",")' "$T")"
check_eq live_db_latency \
    "$(jq -c '[.servers[] | select(.id != null) | {h: .hostname, l: .db_latency_ms}] | sort_by(.h)' "$S")" \
    "$(jq -c '[.replicas[] | select(.present) | {h: .hostname, l: .db_latency_ms}] | sort_by(.h)' "$T")"
check_eq live_cluster_allocatable "$(jq '.capacity.cluster.cpu_allocatable_cores' "$S")" \
    "$(jq '.cluster.cpu_allocatable_cores' "$T")"
check_eq live_proxies "$(jq -c '[.proxies[] | select(.name != "primary") | {name, status}] | sort_by(.name)' "$S")" \
    "$(jq -c '[.proxies[] | {name, status}] | sort_by(.name)' "$T")"
# frames every ~1 s: no gap over 3 s
gap=$("$DUMP" "$DB" times | awk 'NR > 1 && $1 - p > 3 { g = 1 } { p = $1 } END { print g + 0 }')
check_eq live_no_gap "$gap" 0

# ---- check --at over the recording ----
at=$(jq -r '.time' "$S")
"$SCALETOP" check --db "$DB" --at "$at" --format json >"$SCRATCH/check.json" 2>"$SCRATCH/check.err"
rc=$?
case $rc in 0 | 1 | 2) ok check_at_exit ;; *) fail check_at_exit "exit $rc: $(cat "$SCRATCH/check.err")" ;; esac
check_eq check_at_time "$(jq -r .time "$SCRATCH/check.json" | cut -c1-19)" "$(echo "$at" | cut -c1-19)"
check_eq check_at_sources "$(jq '.sources | length' "$SCRATCH/check.json")" "$(jq '.sources | length' "$S")"
out=$("$SCALETOP" check --db "$DB" --at 2001-01-01T00:00:00Z 2>&1)
check_eq check_at_before_history "$?" 3
out=$("$SCALETOP" check --db "$DB" --at "yesterday-ish" 2>&1)
check_eq check_at_bad_time "$?" 3
check_contains check_at_bad_time_msg "$out" "--at"

# ---- mark with the full TIME grammar ----
for t in now -5m "$(date -u +%H:%M)" "$(date -u '+%Y-%m-%d %H:%M')" 2026-11-27T03:12:00Z; do
    "$SCALETOP" mark "note at $t" --utc --at "$t" --db "$DB" >/dev/null 2>"$SCRATCH/mark.err"
    check_eq "mark_at_$(echo "$t" | tr -c 'a-zA-Z0-9\n' _)" "$?" 0
done
check_eq mark_rows "$(sqlite3 "$DB" 'SELECT count(*) FROM marker')" 5

# ---- round trip: what the store rebuilds equals what was recorded ----
: >"$SCRATCH/in.jsonl"
for i in 1 2 3; do
    # shellcheck disable=SC2086
    "$SCALETOP" snapshot --format json --window 1 $ARGS | jq -c 'del(.replay)' >>"$SCRATCH/in.jsonl"
done
"$SCALETOP" record --db "$SCRATCH/rt.db" --from-json "$SCRATCH/in.jsonl" 2>/dev/null
check_eq roundtrip_record "$?" 0
i=0
for t in $("$DUMP" "$SCRATCH/rt.db" times); do
    i=$((i + 1))
    want=$(sed -n "${i}p" "$SCRATCH/in.jsonl" | jq -S .)
    got=$("$DUMP" "$SCRATCH/rt.db" at "$t" | jq -S 'del(.replay)')
    if [ "$want" = "$got" ]; then
        ok "roundtrip_frame_$i"
    else
        fail "roundtrip_frame_$i" "$(printf '%s\n' "$want" >"$SCRATCH/w"; printf '%s\n' "$got" >"$SCRATCH/g"; diff "$SCRATCH/w" "$SCRATCH/g" | head -n 6 | tr '\n' ' ')"
    fi
done
check_eq roundtrip_frames "$i" 3
