# `scaletop snapshot --format json --metrics URL` against a real HTTP server on
# loopback that serves the coderd fixture on the first request and the same
# exposition with grown counters afterwards (100 more buildinfo requests in
# 10-25 ms, 500 health checks, 2 s of CPU), so the two polls of the one-shot
# snapshot see known growth. A second target that refuses connections must
# show as an error without disturbing the first.
. tests/lib/sh.sh
scratch

if ! command -v jq >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    fail metrics_snapshot_tools "jq and python3 are needed (scripts/deps.sh)"
    exit 0
fi

fix="$SHARED/fixtures/coder/metrics/coderd.prom"
cp "$fix" "$SCRATCH/first.prom"
awk '
/^coderd_api_request_latencies_seconds_bucket\{method="GET",path="\/api\/v2\/buildinfo",le="(0\.025|0\.05|0\.1|0\.5|1|5|10|30|\+Inf)"\}/ { $2 = $2 + 100 }
/^coderd_api_request_latencies_seconds_count\{method="GET",path="\/api\/v2\/buildinfo"\}/ { $2 = $2 + 100 }
/^coderd_api_requests_processed_total\{code="200",method="GET",path="\/healthz"\}/ { $2 = $2 + 500 }
/^process_cpu_seconds_total / { $2 = sprintf("%.2f", $2 + 2) }
{ print }' "$fix" >"$SCRATCH/grown.prom"

cat >"$SCRATCH/serve.py" <<'EOF'
import http.server, sys, threading
d = sys.argv[1]
bodies = [open(d + "/first.prom", "rb").read(), open(d + "/grown.prom", "rb").read()]
hits = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = bodies[min(hits[0], 1)]
        hits[0] += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(d + "/port", "w").write(str(s.server_address[1]))
threading.Timer(60, s.shutdown).start()
s.serve_forever()
EOF
python3 "$SCRATCH/serve.py" "$SCRATCH" &
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$SCRATCH"' EXIT
i=0
while [ ! -s "$SCRATCH/port" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
port=$(cat "$SCRATCH/port" 2>/dev/null)
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

json=$(timeout 60 "$SCALETOP" snapshot --format json --window 1 \
    --metrics "http://127.0.0.1:$port/metrics" --metrics "http://127.0.0.1:$dead/metrics" 2>"$SCRATCH/err")
rc=$?
check_eq metrics_snapshot_exit_0 "$rc" 0

q() { printf '%s' "$json" | jq -r "$1" 2>/dev/null; }
srv='.servers[] | select(.metrics_target == "127.0.0.1:'"$port"'")'
check_eq metrics_snapshot_target_is_own_server "$(q "[$srv] | length")" 1
check_eq metrics_snapshot_hostname "$(q "$srv | .hostname")" "127.0.0.1"
check_eq metrics_snapshot_rss "$(q "$srv | .rss_bytes")" 1048309760
check_eq metrics_snapshot_max_fds "$(q "$srv | .max_fds")" 1048576
check_eq metrics_snapshot_open_fds "$(q "$srv | .open_fds")" 611
# 100 requests in (10, 25] ms: p95 = 10 + 15 * 0.95
check_eq metrics_snapshot_api_p95 "$(q "$srv | .api_p95_ms * 1000 | round")" 24250
check_eq metrics_snapshot_api_p50 "$(q "$srv | .api_p50_ms * 1000 | round")" 17500
# rates depend on the real time between the polls (about one second)
rps=$(q "$srv | .requests_per_s")
cores=$(q "$srv | .cpu_cores")
check metrics_snapshot_requests_rate awk -v v="$rps" 'BEGIN { exit !(v > 250 && v <= 505) }'
check metrics_snapshot_cpu_cores awk -v v="$cores" 'BEGIN { exit !(v > 1.0 && v <= 2.02) }'
check_eq metrics_snapshot_db_metrics "$(q '.deployment.db_metrics_collected')" true
check_eq metrics_snapshot_agent_stats_full "$(q '.deployment.agent_stats_full')" true
check_eq metrics_snapshot_source_ok \
    "$(q '.sources[] | select(.name == "metrics 127.0.0.1:'"$port"'") | .status')" ok
check_eq metrics_snapshot_dead_target_error \
    "$(q '.sources[] | select(.name == "metrics 127.0.0.1:'"$dead"'") | .status')" error
check_eq metrics_snapshot_dead_target_reason \
    "$(q '.sources[] | select(.name == "metrics 127.0.0.1:'"$dead"'") | .reason')" unreachable
# one target down: no deployment-wide total passes for the whole
check_eq metrics_snapshot_no_partial_total "$(q '.deployment.requests_per_s')" null
