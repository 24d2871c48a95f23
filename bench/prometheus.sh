#!/bin/sh
# Poll-cycle cost at the 10k preset (10 replicas, ~11 MB per scrape): scaletop
# scraping every replica's /metrics versus asking a Prometheus that scrapes
# them (issue 11). A real Prometheus (/usr/bin/prometheus) on 127.0.0.1
# scrapes the simulator every 5 s; each side runs `scaletop snapshot
# --window 1` (two polls) RUNS times and reports the median of the poll
# latency of its metrics sources (the slowest target for direct scraping,
# the whole query sequence for Prometheus) and of the CPU seconds (user +
# system) of the scaletop process. Reports; never fails.
set -u
: "${BUILD:=build}"
: "${SHARED:=../shared}"
. tests/lib/sh.sh
. tests/lib/sim.sh
PROM=${PROMETHEUS_BIN:-/usr/bin/prometheus}
RUNS=${BENCH_RUNS:-3}
if [ ! -x "$PROM" ] || [ ! -x "$SIM" ] || ! command -v jq >/dev/null 2>&1; then
    echo "bench: prometheus vs direct skipped (needs $PROM, $SIM, jq)"
    exit 0
fi
scratch
PROM_PID=""
cleanup() {
    [ -n "$PROM_PID" ] && kill -TERM "$PROM_PID" 2>/dev/null && sleep 0.5 && kill -KILL "$PROM_PID" 2>/dev/null
    sim_stop_all
}
trap cleanup EXIT

sim_start s --preset 10k --scenario steady --seed 3 --speed 10 ||
    { echo "bench: prometheus vs direct: sim did not start"; exit 0; }
targets() { jq -c "[$1[] | sub(\"^https?://\"; \"\") | sub(\"/.*$\"; \"\")]" "$SCRATCH/s.json"; }
cat >"$SCRATCH/prom.yml" <<YML
global: {scrape_interval: 5s, scrape_timeout: 5s}
scrape_configs:
  - job_name: coderd
    static_configs: [{targets: $(targets .metrics_urls)}]
  - job_name: provisionerd
    static_configs: [{targets: $(targets .provisioner_metrics_urls)}]
YML
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout -k 5 600 "$PROM" --config.file="$SCRATCH/prom.yml" --storage.tsdb.path="$SCRATCH/tsdb" \
    --web.listen-address="127.0.0.1:$PORT" --log.level=warn >"$SCRATCH/prom.log" 2>&1 &
PROM_PID=$!
sleep 20 # a few scrapes of every replica

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
ARGS=$(sim_args s)
CODER=$(echo "$ARGS" | sed 's/ --metrics [^ ]*//g; s/ --provisioner-metrics [^ ]*//g; s/ --kubeconfig [^ ]*//')
run() { # label, then scaletop options; prints "latency_ms cpu_s"
    label=$1
    shift
    i=0
    : >"$SCRATCH/$label.lat"
    : >"$SCRATCH/$label.cpu"
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f '%U %S' -o "$SCRATCH/time" "$SCALETOP" snapshot --format json --window 1 \
            --prometheus-rate-window 30s "$@" >"$SCRATCH/out.json" 2>/dev/null
        jq '[.sources[] | select(.kind == "metrics" or .kind == "provisioner-metrics" or .kind == "prometheus") | select(.status == "ok") | .latency_ms] | max // 0' \
            "$SCRATCH/out.json" >>"$SCRATCH/$label.lat"
        awk '{print $1 + $2}' "$SCRATCH/time" >>"$SCRATCH/$label.cpu"
        i=$((i + 1))
    done
    echo "$(median <"$SCRATCH/$label.lat") $(median <"$SCRATCH/$label.cpu")"
}
# shellcheck disable=SC2086
d=$(run direct $ARGS)
# shellcheck disable=SC2086
p=$(run prom $CODER --prometheus "http://127.0.0.1:$PORT")
body=$(curl -s --max-time 30 "$(jq -r '.metrics_urls[0]' "$SCRATCH/s.json")" | wc -c)
n=$(jq '.metrics_urls | length' "$SCRATCH/s.json")
echo "bench: 10k poll, direct scraping ($n replicas, ~$((body / 1000000)) MB each) = $(echo "$d" | awk '{printf "%.0f ms slowest target, %.2f s CPU per snapshot", $1, $2}') (median of $RUNS)"
echo "bench: 10k poll, through Prometheus = $(echo "$p" | awk '{printf "%.0f ms for the queries, %.2f s CPU per snapshot", $1, $2}') (median of $RUNS)"
echo "$d $p" | awk '{ if ($4 > 0) printf "[ratio direct/prometheus CPU = %.1f]\n", $2 / $4 }'
