# Kubernetes discovery of coderd's metrics endpoints: with a kubeconfig and
# no --metrics, `scaletop snapshot` lists the coder service's EndpointSlices
# in the simulator's Kubernetes API (namespace coder, each slice naming its
# prometheus-http port) and scrapes every replica, as if --metrics had been
# given; with --prometheus it leaves coderd metrics to Prometheus instead.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
trap sim_stop_all EXIT

if ! command -v jq >/dev/null 2>&1; then
    fail k8s_discovery_tools "jq is needed (scripts/deps.sh)"
    exit 0
fi
sim_start s --preset 1k --scenario steady --seed 5 --speed 30 ||
    { fail k8s_discovery_sim_start "no manifest"; exit 0; }
# the sim's options without its metrics URLs
ARGS=$(sim_args s | sed 's/ --metrics [^ ]*//g; s/ --provisioner-metrics [^ ]*//g')
case "$ARGS" in
*--metrics*) fail k8s_discovery_args "still has --metrics: $ARGS" ;;
esac
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 2 $ARGS >"$SCRATCH/j.json" 2>"$SCRATCH/err"
check_eq k8s_discovery_exit_0 "$?" 0
J="$SCRATCH/j.json"
want=$(jq -r '[.metrics_urls[] | sub("^http://"; "") | sub("/metrics$"; "")] | sort | join(",")' "$SCRATCH/s.json")
check_eq k8s_discovery_targets "$(jq -r '[.servers[] | .metrics_target] | sort | join(",")' "$J")" "$want"
check_eq k8s_discovery_sources_ok \
    "$(jq -r '[.sources[] | select(.kind == "metrics") | .status] | unique | join(",")' "$J")" ok
check_eq k8s_discovery_one_server_per_replica \
    "$(jq '[.servers[] | select(.id != null and .metrics_target != null)] | length' "$J")" 3
check_eq k8s_discovery_figures \
    "$(jq '[.servers[] | .api_p95_ms != null and .requests_per_s > 0 and .rss_bytes > 0] | all' "$J")" \
    true

# With Prometheus configured, coderd metrics are Prometheus's job: no discovery.
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 --timeout 2 $ARGS \
    --prometheus http://127.0.0.1:9/ >"$SCRATCH/p.json" 2>/dev/null
check_eq k8s_discovery_not_with_prometheus \
    "$(jq -r '[.sources[] | select(.kind == "metrics") | .status] | join(",")' "$SCRATCH/p.json")" \
    disabled

# The service has no ready endpoints (the Kubernetes API answers 404 for
# slices and endpoints): a source error that says why, not a crash.
ctl s POST /faults '{"listener": "k8s", "path_prefix": "/apis/discovery.k8s.io", "kind": "status", "status": 403}' >/dev/null
ctl s POST /faults '{"listener": "k8s", "path_prefix": "/api/v1/namespaces/coder/endpoints", "kind": "status", "status": 403}' >/dev/null
# shellcheck disable=SC2086
timeout 60 "$SCALETOP" snapshot --format json --window 1 $ARGS >"$SCRATCH/f.json" 2>/dev/null
ctl s DELETE /faults >/dev/null
check_contains k8s_discovery_forbidden_is_a_status \
    "$(jq -r '.sources[] | select(.kind == "metrics") | "\(.status) \(.error)"' "$SCRATCH/f.json")" \
    "error Kubernetes discovery"
