# A real Prometheus (the Debian package's /usr/bin/prometheus) on 127.0.0.1,
# scraping the simulator's coderd and provisioner endpoints every second:
# `scaletop snapshot --format json --prometheus URL` reports the replica and
# provisioner figures that direct scraping and the sim's truth report; when
# --metrics is also given, direct scraping is preferred and the source says
# so; history older than a local file is read with range queries, in the
# library (test_promapi live_range) and through the real binary: `scaletop
# replay --prometheus` over a file holding the last few seconds fills the
# older sparkline columns and the Servers pane says "history:
# local+prometheus" (the same replay without --prometheus leaves them
# blank; with a Prometheus that hangs, keys answer and q quits at once;
# the live console polling through Prometheus says the same),
# and a live `snapshot --format text --prometheus` draws its sparklines
# from Prometheus alone; query API failures (unreachable, HTTP 404, a
# server that hangs) are source statuses.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
. tests/lib/tmux.sh

PROM=${PROMETHEUS_BIN:-/usr/bin/prometheus}
if ! command -v jq >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 ||
    ! command -v tmux >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1 || [ ! -x "$PROM" ]; then
    fail prometheus_tools "jq, python3, tmux, sqlite3 and $PROM are needed (scripts/deps.sh)"
    exit 0
fi

PROM_PID=""
cleanup() {
    if [ -n "$PROM_PID" ]; then
        kill -TERM "$PROM_PID" 2>/dev/null
        i=0
        while kill -0 "$PROM_PID" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$PROM_PID" 2>/dev/null
    fi
    if [ -n "${REC_PID:-}" ]; then
        kill -TERM "$REC_PID" 2>/dev/null
        wait "$REC_PID" 2>/dev/null
    fi
    tmux_cleanup
    sim_stop_all
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The simulated clock runs 30x, so a few seconds of scrapes hold minutes of
# traffic and rates read 30x the per-second truth (as in snapshot_truth.sh).
SPEED=30
sim_start s --preset 1k --scenario steady --seed 11 --db-metrics on --speed "$SPEED" ||
    { fail prometheus_sim_start "no manifest"; exit 0; }

targets() { # JSON list of host:port of the manifest's URL list $1
    jq -c "[$1[] | sub(\"^https?://\"; \"\") | sub(\"/.*$\"; \"\")]" "$SCRATCH/s.json"
}
cat >"$SCRATCH/prom.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: coderd
    static_configs: [{targets: $(targets .metrics_urls)}]
  - job_name: provisionerd
    static_configs: [{targets: $(targets .provisioner_metrics_urls)}]
EOF
PORT=$(free_port)
PURL="http://127.0.0.1:$PORT"
# bounded lifetime whatever happens to this script
timeout -k 5 900 "$PROM" --config.file="$SCRATCH/prom.yml" --storage.tsdb.path="$SCRATCH/tsdb" \
    --web.listen-address="127.0.0.1:$PORT" --log.level=warn >"$SCRATCH/prom.log" 2>&1 &
PROM_PID=$!

# Ready, and every replica's request rate computable (at least two scrapes).
i=0
n=0
while [ $i -lt 300 ]; do
    n=$(curl -s --max-time 2 "$PURL/api/v1/query" \
        --data-urlencode 'query=count(sum by (instance) (rate(coderd_api_requests_processed_total[5s])) > 0)' |
        jq -r '.data.result[0].value[1] // 0' 2>/dev/null)
    [ "${n:-0}" -ge 3 ] 2>/dev/null && break
    sleep 0.1
    i=$((i + 1))
done
check_eq prometheus_scrapes_sim "${n:-0}" 3
READY=$(date +%s)
# Rates and quantiles over the last 10 s (Prometheus divides an increase by
# the whole window, so a window longer than the data would under-read).
sleep 10
PW="--prometheus-rate-window 10s"

m s .token >"$SCRATCH/tok"
CODER="--coder-url $(m s .coder_url) --token-file $SCRATCH/tok"
ctl s GET /truth >"$SCRATCH/t0.json"
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 2 $CODER --prometheus "$PURL" $PW \
    >"$SCRATCH/p.json" 2>"$SCRATCH/p.err"
check_eq prometheus_snapshot_exit_0 "$?" 0
ARGS=$(sim_args s)
# Direct rates over 10 s as Prometheus's: the simulator rebuilds its
# exposition once a second (later when the machine is loaded), so two
# scrapes W seconds apart see W +- 1 or 2 s of counter growth: with W = 2
# that was half or one and a half times the rate (loaded runs read 0.5x);
# with W = 10 each side is within 20 %, hence 0.4 between them for rates.
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 10 $ARGS >"$SCRATCH/d.json" 2>"$SCRATCH/d.err"
check_eq prometheus_direct_snapshot_exit_0 "$?" 0
ctl s GET /truth >"$SCRATCH/t1.json"
P="$SCRATCH/p.json"
D="$SCRATCH/d.json"
T="$SCRATCH/t1.json"

check_eq prometheus_source_ok "$(jq -r '.sources[] | select(.kind == "prometheus") | "\(.status) \(.error)"' "$P")" "ok null"
check_eq prometheus_metrics_sources_disabled \
    "$(jq -r '[.sources[] | select(.kind == "metrics" or .kind == "provisioner-metrics") | .status] | unique | join(",")' "$P")" \
    disabled
# The same servers, each with its metrics target, as direct scraping shows.
check_eq prometheus_same_servers \
    "$(jq -r '[.servers[] | "\(.hostname)=\(.metrics_target)"] | sort | join(",")' "$P")" \
    "$(jq -r '[.servers[] | "\(.hostname)=\(.metrics_target)"] | sort | join(",")' "$D")"
for h in $(jq -r '.replicas[] | select(.present) | .hostname' "$T"); do
    sel=".servers[] | select(.hostname == \"$h\")"
    # Quantiles from buckets (see snapshot_truth.sh for the tolerances).
    for f in api_p50_ms:0.2 api_p95_ms:0.2 api_p99_ms:0.5 db_query_p95_ms:0.35; do
        got=$(jq "$sel | .${f%%:*}" "$P")
        want=$(jq ".replicas[] | select(.hostname == \"$h\") | .${f%%:*}" "$T")
        within "prometheus_${h}_${f%%:*}_truth" "${got:-null}" "$want" "${f#*:}"
        direct=$(jq "$sel | .${f%%:*}" "$D")
        within "prometheus_${h}_${f%%:*}_direct" "${got:-null}" "$direct" "${f#*:}"
    done
    got=$(jq --argjson sp "$SPEED" "$sel | .requests_per_s / \$sp" "$P")
    want=$(jq ".replicas[] | select(.hostname == \"$h\") | .requests_per_s" "$T")
    # The scrape-interval tolerance: a loaded machine can delay a scrape at
    # either edge of the 10 s window by a second (2 x 10 %), plus the
    # truth's own drift between the two moments compared.
    within "prometheus_${h}_requests_per_s_truth" "${got:-null}" "$want" 0.25
    # Process gauges: the scrape interval apart, so nearly the same.
    for f in rss_bytes:0.05 open_fds:0.1 max_fds:0 goroutines:0.2; do
        within "prometheus_${h}_${f%%:*}_direct" "$(jq "$sel | .${f%%:*}" "$P")" \
            "$(jq "$sel | .${f%%:*}" "$D")" "${f#*:}"
    done
    got=$(jq "$sel | .cpu_cores" "$P")
    direct=$(jq "$sel | .cpu_cores" "$D")
    within "prometheus_${h}_cpu_cores_direct" "${got:-null}" "$direct" 0.4
    # The DERP relay: the same fields as direct scraping (docs/derp.md), rates
    # against the truth with the request rate's tolerance (drops are few:
    # ~17 in a 10 s window, so whole counts cost more).
    check_eq "prometheus_${h}_derp_source" "$(jq -r "$sel | .derp_source" "$P")" metrics
    for f in derp_clients:0.02 derp_connections:0.02; do
        within "prometheus_${h}_${f%%:*}_direct" "$(jq "$sel | .${f%%:*}" "$P")" \
            "$(jq "$sel | .${f%%:*}" "$D")" "${f#*:}"
    done
    for f in bytes_per_s:0.25 packets_forwarded_per_s:0.25 packets_dropped_per_s:0.4; do
        got=$(jq --argjson sp "$SPEED" "$sel | .derp_${f%%:*} / \$sp" "$P")
        want=$(jq ".replicas[] | select(.hostname == \"$h\") | .derp.${f%%:*}" "$T")
        within "prometheus_${h}_derp_${f%%:*}_truth" "${got:-null}" "$want" "${f#*:}"
    done
done
# Deployment and provisioner figures.
for f in api_p95_ms:0.2 requests_per_s:0.4 build_p95_s:0.35; do
    within "prometheus_deployment_${f%%:*}_direct" "$(jq ".deployment.${f%%:*}" "$P")" \
        "$(jq ".deployment.${f%%:*}" "$D")" "${f#*:}"
done
check_eq prometheus_db_metrics_collected "$(jq '.deployment.db_metrics_collected' "$P")" \
    "$(jq '.deployment.db_metrics_collected' "$D")"
check_eq prometheus_queue_build_p95_known \
    "$(jq -c '[.provisioners.queues[] | .build_p95_s != null]' "$P")" \
    "$(jq -c '[.provisioners.queues[] | .build_p95_s != null]' "$D")"

# Both given: direct scraping wins, and the source says so.
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 $ARGS --prometheus "$PURL" >"$SCRATCH/b.json" 2>/dev/null
check_eq prometheus_both_prefers_direct \
    "$(jq -r '.sources[] | select(.kind == "prometheus") | .status' "$SCRATCH/b.json")" disabled
check_contains prometheus_both_says_why \
    "$(jq -r '.sources[] | select(.kind == "prometheus") | .error' "$SCRATCH/b.json")" \
    "direct scraping is preferred"
check_eq prometheus_both_direct_targets \
    "$(jq -r '[.servers[] | .metrics_target] | sort | join(",")' "$SCRATCH/b.json")" \
    "$(jq -r '[.servers[] | .metrics_target] | sort | join(",")' "$D")"

# History older than a local file: a store with the last seconds, and range
# queries for the rest (the case runs only with these variables).
# The case asks for five or more 2 s columns of Prometheus data older than
# the file's last 10 s: let Prometheus hold at least 30 s of rates first.
while [ $(($(date +%s) - READY)) -lt 30 ]; do sleep 1; done
INST=$(jq -r '.metrics_urls[0] | sub("^https?://"; "") | sub("/.*$"; "")' "$SCRATCH/s.json")
SCALETOP_TEST_PROMETHEUS="$PURL" SCALETOP_TEST_INSTANCE="$INST" \
    timeout 60 "$BUILD/tests/test_promapi" live_range

# ---- the same through the real binary: replay and snapshot ----
# Prometheus must hold a good minute of one replica's samples (counted by
# Prometheus itself, so a loaded machine that skips scrapes only waits
# longer; capped at 4 minutes) before the replay's 2-minute window is read.
i=0
n=0
while [ $i -lt 240 ]; do
    n=$(curl -s --max-time 2 "$PURL/api/v1/query" \
        --data-urlencode "query=count_over_time(process_open_fds{instance=\"$INST\"}[5m])" |
        jq -r '.data.result[0].value[1] // 0' 2>/dev/null)
    [ "${n:-0}" -ge 60 ] 2>/dev/null && break
    sleep 1
    i=$((i + 1))
done
check prometheus_holds_a_minute test "${n:-0}" -ge 60
# A local history of the last few seconds only: recorded with direct
# scraping, so each replica's metrics target is Prometheus's instance.
HDB="$SCRATCH/recent.db"
# shellcheck disable=SC2086
"$SCALETOP" record --db "$HDB" --interval 1 $ARGS 2>"$SCRATCH/rec.log" &
REC_PID=$!
# Until its newest frame has every replica's p95 (rates need two scrapes;
# a loaded machine may take longer), and three frames at least.
i=0
f=0
while [ $i -lt 150 ]; do
    [ -f "$HDB" ] && f=$(sqlite3 "$HDB" 'SELECT count(*) FROM frame' 2>/dev/null)
    if [ "${f:-0}" -ge 3 ] && "$SCALETOP" snapshot --db "$HDB" --at now --format json 2>/dev/null |
        jq -e '[.servers[] | select(.id != null) | .api_p95_ms != null] | length > 0 and all' >/dev/null; then
        break
    fi
    sleep 0.2
    i=$((i + 1))
done
kill -TERM "$REC_PID" 2>/dev/null
wait "$REC_PID" 2>/dev/null
REC_PID=""
SPAN=$(sqlite3 "$HDB" 'SELECT max(t) - min(t) FROM frame' 2>/dev/null)
check_eq prometheus_recent_history_recorded "$([ "$i" -lt 150 ] && echo yes)" yes
HOSTS=$(jq -r '[.replicas[] | select(.present) | .hostname] | join(" ")' "$T")

# spark_cols FILE: for each replica, the sparkline cells drawn on its row of
# the zoomed Servers pane (the "p95 trend" column; blank cells are gaps).
spark_cols() {
    for h in $HOSTS; do
        grep -m1 " $h " "$1" | python3 -c 'import sys; print(sum(1 for c in sys.stdin.read() if 0x2581 <= ord(c) <= 0x2588))'
    done | tr '\n' ' '
}
# at_least GOT MINS: as many counts as MINS, each at least its MINS one.
at_least() {
    python3 -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split()
sys.exit(0 if a and len(a) == len(b) and all(int(x) >= int(y) for x, y in zip(a, b)) else 1)' "$1" "$2"
}
# replay_screen NAME MINS ARGS: replays the newest frame zoomed on Servers
# until each replica's row has at least its MINS count of sparkline cells
# (range reads land asynchronously; at most 20 s), leaving the screen in
# $SCRATCH/NAME.txt.
replay_screen() {
    name=$1
    mins=$2
    shift 2
    tmux_launch replay --db "$HDB" "$@"
    wait_for REPLAY 100
    t send-keys -t "$SESS" 2 z
    i=0
    while [ $i -lt 100 ]; do
        sleep 0.2
        screen >"$SCRATCH/$name.txt"
        at_least "$(spark_cols "$SCRATCH/$name.txt")" "$mins" && break
        i=$((i + 1))
    done
    t send-keys -t "$SESS" q
    wait_for EXIT= 50
}
tmux_start rp 200 50
ONES=$(for h in $HOSTS; do printf '1 '; done)
replay_screen local "$ONES"
LOCAL=$(spark_cols "$SCRATCH/local.txt")
# The window is 2 minutes in 10 s columns; the file covers the last
# ${SPAN} ms: one or two columns of its own. Prometheus held a minute:
# about five more; ask for three.
WANT=$(for l in $LOCAL; do printf '%s ' $((l + 3)); done)
replay_screen prom "$WANT" --prometheus "$PURL"
PROM=$(spark_cols "$SCRATCH/prom.txt")
good=yes
THREES=$(for h in $HOSTS; do printf '3 '; done)
{ at_least "$LOCAL" "$ONES" && at_least "$THREES" "$LOCAL"; } ||
    good="no: without Prometheus the rows draw '$LOCAL' cells, the file (${SPAN} ms) fills one or two"
at_least "$PROM" "$WANT" || good="no: with Prometheus $PROM cells, wanted at least $WANT (without: $LOCAL)"
[ "$good" = yes ] || good="$good; screen rows: $(grep -e "history:" -e " ${HOSTS%% *} " "$SCRATCH/local.txt" "$SCRATCH/prom.txt" | cut -c1-220 | tr '\n' '|')"
check_eq prometheus_replay_fills_older_columns "$good" yes
[ "$good" = yes ] || { mkdir -p /tmp/pwdbg; cp "$SCRATCH"/*.txt "$HDB" "$SCRATCH/rec.log" /tmp/pwdbg/; }
check_contains prometheus_replay_says_prometheus "$(cat "$SCRATCH/prom.txt")" "history: local+prometheus"
if grep -q "history:" "$SCRATCH/local.txt"; then
    fail prometheus_replay_local_unlabelled "$(grep "history:" "$SCRATCH/local.txt")"
else
    ok prometheus_replay_local_unlabelled
fi

# The live console, polling through Prometheus into a new history file:
# the Servers pane fills its older columns from Prometheus and says so.
# shellcheck disable=SC2086
tmux_launch --db "$SCRATCH/live.db" --interval 1 $CODER --prometheus "$PURL" $PW
wait_for LIVE 100
t send-keys -t "$SESS" 2 z
if wait_for "history: local+prometheus" 300; then ok prometheus_live_console_says_prometheus; else
    fail prometheus_live_console_says_prometheus "$(screen | grep -e 'history' -e "${HOSTS%% *}" | cut -c1-200 | tr '\n' '|')"
fi
t send-keys -t "$SESS" q
restored prometheus_live_console_quits

# A Prometheus that accepts and never answers (the sim's metrics listener
# with a hang fault, held 20 s): the replay still draws, answers keys, and
# quits at once instead of waiting for the read in flight (a 60 s timeout).
ctl s POST /faults '{"listener": "metrics:0", "kind": "hang", "max_hold_ms": 20000}' >/dev/null
HANG=$(jq -r '.metrics_urls[0] | sub("/metrics$"; "")' "$SCRATCH/s.json")
tmux_launch replay --db "$HDB" --timeout 60 --prometheus "$HANG"
if wait_for REPLAY 100 && t send-keys -t "$SESS" '?' && wait_for 'go to a time' 50; then
    ok prometheus_replay_hanging_keys
else
    fail prometheus_replay_hanging_keys "$(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
fi
t send-keys -t "$SESS" Escape q
# 10 s for what takes a moment; waiting for the read would take 20 s
if wait_for EXIT=0 100; then ok prometheus_replay_hanging_quits; else
    fail prometheus_replay_hanging_quits "$(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
fi
ctl s DELETE /faults >/dev/null

# A live text snapshot with no history file: sparklines from Prometheus alone.
# shellcheck disable=SC2086
LANG=C.UTF-8 timeout 60 "$SCALETOP" snapshot --format text --width 200 --window 1 $CODER \
    --prometheus "$PURL" $PW >"$SCRATCH/ps.txt" 2>/dev/null
check_contains prometheus_snapshot_text_says_prometheus "$(cat "$SCRATCH/ps.txt")" "history: prometheus"
PS=$(for h in $HOSTS; do grep -m1 " $h " "$SCRATCH/ps.txt"; done |
    python3 -c 'import sys; print(sum(1 for l in sys.stdin if any(0x2581 <= ord(c) <= 0x2588 for c in l)))')
check_eq prometheus_snapshot_text_sparklines "$PS" "$(echo $HOSTS | wc -w)"

# Errors of the query API become source statuses; the snapshot still works.
DEAD=$(free_port)
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 $CODER --prometheus "http://127.0.0.1:$DEAD" >"$SCRATCH/e1.json" 2>/dev/null
check_eq prometheus_unreachable_exit_0 "$?" 0
check_eq prometheus_unreachable_status "$(jq -r '.sources[] | select(.kind == "prometheus") | .status' "$SCRATCH/e1.json")" error
check_eq prometheus_unreachable_servers_kept \
    "$(jq '[.servers[] | select(.id != null)] | length' "$SCRATCH/e1.json")" 3
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 $CODER --prometheus "$PURL/no/such/prefix" >"$SCRATCH/e2.json" 2>/dev/null
check_contains prometheus_http_404 \
    "$(jq -r '.sources[] | select(.kind == "prometheus") | "\(.status) \(.error)"' "$SCRATCH/e2.json")" \
    "error HTTP 404"
# A server that accepts and never answers: the sim's metrics listener with a
# hang fault stands in for a stuck Prometheus; bounded by --timeout.
ctl s POST /faults '{"listener": "metrics:0", "kind": "hang", "max_hold_ms": 20000}' >/dev/null
t0=$(date +%s)
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 --timeout 2 $CODER \
    --prometheus "$(jq -r '.metrics_urls[0] | sub("/metrics$"; "")' "$SCRATCH/s.json")" >"$SCRATCH/e3.json" 2>/dev/null
t1=$(date +%s)
ctl s DELETE /faults >/dev/null
check_contains prometheus_hang_times_out \
    "$(jq -r '.sources[] | select(.kind == "prometheus") | "\(.status) \(.error)"' "$SCRATCH/e3.json")" \
    "error"
check prometheus_hang_bounded test $((t1 - t0)) -le 15
