# A real Prometheus (the Debian package's /usr/bin/prometheus) on 127.0.0.1,
# scraping the simulator's coderd and provisioner endpoints every second:
# `scaletop snapshot --format json --prometheus URL` reports the replica and
# provisioner figures that direct scraping and the sim's truth report; when
# --metrics is also given, direct scraping is preferred and the source says
# so; history older than a local file is read with range queries; query API
# failures (unreachable, HTTP 404, a server that hangs) are source statuses.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch

PROM=${PROMETHEUS_BIN:-/usr/bin/prometheus}
if ! command -v jq >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 || [ ! -x "$PROM" ]; then
    fail prometheus_tools "jq, python3 and $PROM are needed (scripts/deps.sh)"
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
    sim_stop_all
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# within NAME GOT WANT TOLERANCE(fraction): |got - want| <= tol * max(|want|, 1)
within() {
    if jq -ne --argjson g "$2" --argjson w "$3" --argjson t "$4" \
        '($g - $w | fabs) <= $t * ([($w | fabs), 1] | max)' >/dev/null 2>&1; then
        ok "$1"
    else
        fail "$1" "got $2, want $3 (±$4)"
    fi
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
timeout -k 5 300 "$PROM" --config.file="$SCRATCH/prom.yml" --storage.tsdb.path="$SCRATCH/tsdb" \
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
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 2 $ARGS >"$SCRATCH/d.json" 2>"$SCRATCH/d.err"
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
    within "prometheus_${h}_cpu_cores_direct" "${got:-null}" "$direct" 0.25
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
for f in api_p95_ms:0.2 requests_per_s:0.25 build_p95_s:0.35; do
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
