#!/bin/sh
# The fault matrix (issue 9, DESIGN.md §10): `scaletop record` polls the
# simulator while one listener at a time misbehaves (5xx, 401/403/404/429,
# truncated, malformed and huge bodies, latency past the timeout, a server
# that never answers). For each fault: the recorder keeps running and keeps
# recording frames, the faulty source shows a clear status and message in
# the recorded snapshot while every other source stays ok, and once the
# fault is cleared the source is ok again by itself. Then a one-shot
# snapshot under a fault. Bounded: one recorder, ~3 cycles per phase.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
. tests/lib/tools.sh
trap 'kill -TERM $RPID 2>/dev/null; sim_stop_all' EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"
DUMP=$(tool_build history_dump) || { fail history_dump_build "cannot build"; exit 1; }

sim_start s --preset 1k --scenario steady --seed 9 --speed 30 || { fail sim_start "no manifest"; exit 1; }
ARGS=$(sim_args s)
DB=$SCRATCH/h.db
hostport() { m s "$1" | sed 's|^http://||; s|/.*||'; }
M0="metrics $(hostport '.metrics_urls[0]')"
M1="metrics $(hostport '.metrics_urls[1]')"
M2="metrics $(hostport '.metrics_urls[2]')"
P0="provisioner-metrics $(hostport '.provisioner_metrics_urls[0]')"

# shellcheck disable=SC2086
"$SCALETOP" record --db "$DB" --interval 1 --timeout 2 $ARGS 2>"$SCRATCH/rec.log" &
RPID=$!

frames() { [ -f "$DB" ] && sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null || echo 0; }
# wait_frames N: until N more frames than now are recorded (bounded: 20 s)
wait_frames() {
    base=$(frames)
    i=0
    while [ "$(frames)" -lt $((base + $1)) ] && [ $i -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
latest() { "$DUMP" "$DB" at "$("$DUMP" "$DB" times | tail -n 1)"; }
wait_frames 2
SEQ_FILE=

# phase NAME SOURCE FAULT_JSON PATTERN [STATUSES] [norecover]: fault on,
# SOURCE's status is one of STATUSES (default "error stale") with an error
# matching PATTERN (grep -Ei), the others ok; fault off, SOURCE ok again.
phase() {
    name=$1 src=$2 fault=$3 pat=$4 want=${5:-error stale}
    ctl s POST /faults "$fault" >/dev/null
    wait_frames 2
    latest >"$SCRATCH/f.json"
    st=$(jq -r --arg n "$src" '.sources[] | select(.name == $n) | "\(.status)|\(.error)"' "$SCRATCH/f.json")
    case " $want " in
    *" ${st%%|*} "*) ok "${name}_status" ;;
    *) fail "${name}_status" "$src is '$st', want one of: $want" ;;
    esac
    if printf '%s' "${st#*|}" | grep -Eiq "$pat"; then ok "${name}_message"; else fail "${name}_message" "'${st#*|}' lacks /$pat/"; fi
    others=$(jq -r --arg n "$src" '[.sources[] | select(.name != $n and .status != "ok" and .status != "disabled") | "\(.name)=\(.status): \(.error)"] | join("; ")' "$SCRATCH/f.json")
    check_eq "${name}_others_ok" "$others" ""
    echo "# $name: $src: $st"
    [ -n "$SEQ_FILE" ] && ctl s GET /requests | jq '.total' >"$SEQ_FILE"
    ctl s DELETE /faults >/dev/null
    [ "${6:-}" = norecover ] && return
    # recovery waits out the poller's backoff (it doubles per failure): bounded
    k=0
    while [ $k -lt 12 ]; do
        wait_frames 1
        got=$(latest | jq -r --arg n "$src" '.sources[] | select(.name == $n) | .status')
        [ "$got" = ok ] && break
        k=$((k + 1))
    done
    check_eq "${name}_recovers" "$got" ok
    if kill -0 "$RPID" 2>/dev/null; then ok "${name}_recorder_alive"; else fail "${name}_recorder_alive" "recorder exited"; fi
}

phase api_500 coder-replicas '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"status","status":500}' '500'
phase api_401 coder-api '{"listener":"api","path_prefix":"/api/v2/buildinfo","kind":"status","status":401}' '401|token|auth'
phase api_malformed coder-replicas '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"malformed"}' 'json|parse|malformed|invalid'
phase metrics_503 "$M0" '{"listener":"metrics:0","kind":"status","status":503}' '503'
phase metrics_truncate "$M1" '{"listener":"metrics:1","kind":"truncate"}' 'trunc|incomplete|short|closed|partial|transfer'
phase metrics_huge "$M2" '{"listener":"metrics:2","kind":"huge","huge_bytes":80000000}' 'large|limit|cap|size|exceed|big'
# malformed lines are skipped and counted: the source may stay ok, but says so
phase prov_malformed "$P0" '{"listener":"prov:0","kind":"malformed"}' 'malformed' "ok error stale"
# one proxy hanging: the proxy-health source works; that proxy is unreachable
phase proxy_hang proxy-health '{"listener":"proxy:sydney","kind":"hang","max_hold_ms":8000}' 'unreachable.*timed out' "ok"
check_eq proxy_hang_sydney_unreachable "$(jq -r '.proxies[] | select(.name == "sydney") | .status' "$SCRATCH/f.json")" unreachable
phase k8s_404 kubernetes '{"listener":"k8s","path_prefix":"/api/v1/nodes","kind":"status","status":404}' '404|not found|permission'
phase api_latency coder-replicas '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"latency","latency_ms":4000}' 'timed out'
# 403 near the end: a permission refusal turns the source off ("disabled",
# with the reason) and it is asked again only every 10 minutes
phase api_403 coder-replicas '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"status","status":403}' 'no permission.*403' "disabled" norecover
# 429 last: the poller honours X-Ratelimit-Reset (60 s here) and must not
# ask again before it, so it stays stale past the fault instead of recovering
SEQ_FILE=$SCRATCH/seq
phase api_429 coder-provisioners '{"listener":"api","path_prefix":"/api/v2/organizations","kind":"status","status":429}' '429|rate limit' "error stale" norecover
SEQ_FILE=
wait_frames 2
since=$(cat "$SCRATCH/seq")
n=$(ctl s GET "/requests?since=$since" | jq '[.requests[] | select(.path | startswith("/api/v2/organizations/"))] | length')
check_eq api_429_honours_reset "$n" 0

# frames throughout: the recorder never stopped for more than a few cycles
gap=$("$DUMP" "$DB" times | awk 'NR > 1 && $1 - p > 8 { g = $1 - p } { p = $1 } END { print g + 0 }')
check_eq history_no_gap "$gap" 0
kill -TERM "$RPID"
wait "$RPID"
check_eq recorder_sigterm_exit "$?" 0
LOG=$(cat "$SCRATCH/rec.log")
check_contains log_fault_line "$LOG" "scaletop record: source coder-replicas: stale: HTTP 500"
check_contains log_recovery_line "$LOG" "scaletop record: source coder-replicas: ok again"
check_eq integrity "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# one-shot snapshot under a fault: exit 0, the source says why, others ok
ctl s POST /faults '{"listener":"metrics:0","kind":"status","status":502}' >/dev/null
# shellcheck disable=SC2086
"$SCALETOP" snapshot --format json --window 1 --timeout 2 $ARGS >"$SCRATCH/snap.json" 2>"$SCRATCH/snap.err"
check_eq snapshot_fault_exit "$?" 0
check_contains snapshot_fault_message \
    "$(jq -r --arg n "$M0" '.sources[] | select(.name == $n) | "\(.status) \(.error)"' "$SCRATCH/snap.json")" "502"
check_eq snapshot_fault_others_ok \
    "$(jq -r --arg n "$M0" '[.sources[] | select(.name != $n and .status != "ok" and .status != "disabled") | .name] | join(" ")' "$SCRATCH/snap.json")" ""
ctl s DELETE /faults >/dev/null
