#!/bin/sh
# The simulator's control API and its dynamic behaviour: injected faults
# (latency, status codes on any listener, truncated, malformed and huge
# bodies, accept-and-never-answer), the request log, the Kubernetes subset
# (bearer auth, limit/continue pagination, 410 for an expired continue token,
# quantity notations that add up to the truth), the --speed clock, the
# incident timeline as seen through both the API and /__sim/truth, and a clean
# exit 0 on SIGTERM.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
trap sim_stop_all EXIT INT TERM

sim_start a --preset 1k --seed 11 --scenario steady || { fail sim_start "$(cat "$SCRATCH/a.log")"; exit 1; }
A=$(m a .coder_url)
OT="Coder-Session-Token: $(m a .token)"

check_eq control_needs_token "$(curl -s -o /dev/null -w '%{http_code}' "$A/__sim/truth")" 401
check_eq control_rejects_member "$(curl -s -o /dev/null -w '%{http_code}' -H "Coder-Session-Token: $(m a .member_token)" "$A/__sim/truth")" 401
check_eq control_bad_kind "$(ctl a POST /faults '{"kind":"explode"}' | jq -r .message)" "Unknown fault kind."

# latency on one path prefix only
ctl a POST /faults '{"listener":"api","path_prefix":"/api/v2/regions","kind":"latency","latency_ms":800}' >/dev/null
t=$(curl -s -o /dev/null -w '%{time_total}' -H "$OT" "$A/api/v2/regions")
check_eq fault_latency_slow "$(awk -v t="$t" 'BEGIN { print (t >= 0.7) }')" 1
t=$(curl -s -o /dev/null -w '%{time_total}' -H "$OT" "$A/api/v2/buildinfo")
check_eq fault_latency_other_path_fast "$(awk -v t="$t" 'BEGIN { print (t < 0.5) }')" 1
ctl a DELETE /faults >/dev/null

# status codes, with a count: the fault clears itself after N requests
ctl a POST /faults '{"path_prefix":"/api/v2/replicas","kind":"status","status":503,"count":1}' >/dev/null
check_eq fault_503 "$(curl -s -o /dev/null -w '%{http_code}' -H "$OT" "$A/api/v2/replicas")" 503
check_eq fault_count_expires "$(curl -s -o /dev/null -w '%{http_code}' -H "$OT" "$A/api/v2/replicas")" 200
for code in 401 403 404 429; do
    ctl a POST /faults "{\"path_prefix\":\"/api/v2/templates\",\"kind\":\"status\",\"status\":$code,\"count\":1}" >/dev/null
    body=$(curl -s -w ' %{http_code}' -H "$OT" "$A/api/v2/templates")
    check_eq "fault_api_$code" "$(echo "$body" | awk '{print $NF}')" "$code"
    check_eq "fault_api_${code}_envelope" "$(echo "$body" | sed 's/ [0-9]*$//' | jq -r 'has("message")')" true
done
M0=$(m a '.metrics_urls[0]')
ctl a POST /faults '{"listener":"metrics:0","kind":"status","status":500}' >/dev/null
check_eq fault_metrics_500 "$(curl -s -o /dev/null -w '%{http_code}' "$M0")" 500
check_eq fault_other_metrics_ok "$(curl -s -o /dev/null -w '%{http_code}' "$(m a '.metrics_urls[1]')")" 200
ctl a DELETE /faults >/dev/null

# truncated, malformed, huge
ctl a POST /faults '{"path_prefix":"/api/v2/templates","kind":"truncate"}' >/dev/null
curl -s -H "$OT" "$A/api/v2/templates" >"$SCRATCH/t.json"
rc=$?
check_eq fault_truncate_curl_error "$rc" 18
check_eq fault_truncate_invalid_json "$(jq . "$SCRATCH/t.json" >/dev/null 2>&1 && echo valid || echo invalid)" invalid
ctl a DELETE /faults >/dev/null
ctl a POST /faults '{"path_prefix":"/api/v2/workspaceproxies","kind":"malformed"}' >/dev/null
check_eq fault_malformed_json "$(curl -s -H "$OT" "$A/api/v2/workspaceproxies" | jq . >/dev/null 2>&1 && echo valid || echo invalid)" invalid
ctl a POST /faults '{"listener":"prov:0","kind":"malformed"}' >/dev/null
curl -s "$(m a '.provisioner_metrics_urls[0]')" | promtool check metrics >/dev/null 2>&1
check_eq fault_malformed_metrics "$?" 1
ctl a DELETE /faults >/dev/null
ctl a POST /faults '{"path_prefix":"/api/v2/buildinfo","kind":"huge","huge_bytes":8000000}' >/dev/null
check_eq fault_huge "$(curl -s "$A/api/v2/buildinfo" | wc -c | awk '{print ($1 >= 8000000)}')" 1
ctl a DELETE /faults >/dev/null

# accept and never answer: the client times out; clearing the fault releases it
K=$(m a .kubernetes.server)
KT="Authorization: Bearer $(m a .kubernetes.token)"
ctl a POST /faults '{"listener":"k8s","kind":"hang","max_hold_ms":30000}' >/dev/null
curl -s --max-time 1 -H "$KT" "$K/api/v1/nodes" >/dev/null
check_eq fault_hang_times_out "$?" 28
start=$(date +%s)
curl -s --max-time 20 -H "$KT" "$K/api/v1/nodes" >/dev/null &
cpid=$!
sleep 0.5
ctl a DELETE /faults >/dev/null
wait $cpid
rc=$?
el=$(($(date +%s) - start))
check_eq fault_hang_released_on_clear "$([ "$el" -lt 5 ] && [ "$rc" -ne 28 ] && echo yes || echo "no (rc $rc after ${el}s)")" yes
check_eq fault_cleared_k8s_ok "$(curl -s -o /dev/null -w '%{http_code}' -H "$KT" "$K/api/v1/nodes?limit=1")" 200

# the request log: method and path of every request but the control API's
ctl a DELETE /requests >/dev/null
curl -s -H "$OT" "$A/api/v2/buildinfo" >/dev/null
curl -s "$M0" >/dev/null
curl -s -X POST -H "$OT" "$A/api/v2/templates" >/dev/null
ctl a GET /requests >"$SCRATCH/req.json"
check_eq reqlog_count "$(jq '.requests | length' "$SCRATCH/req.json")" 3
check_eq reqlog_methods "$(jq -r '[.requests[].method] | join(",")' "$SCRATCH/req.json")" "GET,GET,POST"
check_eq reqlog_listeners "$(jq -r '[.requests[].listener] | join(",")' "$SCRATCH/req.json")" "api,metrics:0,api"
check_eq reqlog_path "$(jq -r '.requests[0].path' "$SCRATCH/req.json")" /api/v2/buildinfo

# Kubernetes: auth, pagination, 410, quantities that add up
check_eq k8s_401 "$(curl -s -o /dev/null -w '%{http_code}' "$K/api/v1/nodes")" 401
check_eq k8s_401_status "$(curl -s "$K/api/v1/nodes" | jq -r '.kind + "/" + .reason')" Status/Unauthorized
ctl a GET /truth >"$SCRATCH/truth.json"
n=0
total=0
cont=""
: >"$SCRATCH/pods.jsonl"
while [ $n -lt 50 ]; do
    url="$K/api/v1/pods?limit=100"
    [ -n "$cont" ] && url="$url&continue=$cont"
    curl -s -H "$KT" "$url" >"$SCRATCH/page.json"
    [ $n -eq 0 ] && first_cont=$(jq -r '.metadata.continue // ""' "$SCRATCH/page.json")
    jq -c '.items[]' "$SCRATCH/page.json" >>"$SCRATCH/pods.jsonl"
    total=$((total + $(jq '.items | length' "$SCRATCH/page.json")))
    cont=$(jq -r '.metadata.continue // ""' "$SCRATCH/page.json" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
    n=$((n + 1))
    [ -z "$cont" ] && break
done
ctl a GET /truth >"$SCRATCH/truth2.json"
# pages read one consistent snapshot; the truth is read before and after it
either() { # NAME GOT FILTER: GOT equals FILTER's value in truth.json or truth2.json
    w1=$(jq "$3" "$SCRATCH/truth.json")
    w2=$(jq "$3" "$SCRATCH/truth2.json")
    if [ "$2" = "$w1" ] || [ "$2" = "$w2" ]; then ok "$1"; else fail "$1" "got $2, truth $w1 / $w2"; fi
}
either k8s_pages_cover_all_pods "$total" .cluster.pods
check_eq k8s_first_page_has_remaining "$(curl -s -H "$KT" "$K/api/v1/pods?limit=100" | jq '.metadata.remainingItemCount > 0')" true
ctl a POST /k8s/expire '{}' >/dev/null
fc=$(printf '%s' "$first_cont" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
check_eq k8s_410_expired "$(curl -s -w ' %{http_code}' -H "$KT" "$K/api/v1/pods?limit=100&continue=$fc" | sed 's/^\(.*\) \([0-9]*\)$/\2 \1/' | { read -r c b; echo "$c $(echo "$b" | jq -r .reason)"; })" "410 Expired"

QTY='def qty: tostring | capture("^(?<n>[+-]?[0-9.]+)(?<s>.*)$") | (.n | tonumber) * (
  {"":1,"m":0.001,"k":1000,"M":1e6,"G":1e9,"T":1e12,"Ki":1024,"Mi":1048576,"Gi":1073741824,"Ti":1099511627776}[.s]
  // (if (.s | test("^[eE][+-]?[0-9]+$")) then pow(10; .s[1:] | tonumber) else error("bad quantity \(.s)") end));'
cpu_pods=$(jq -s "$QTY"' [.[] | select(.metadata.namespace == "coder-workspaces") | .spec.containers[].resources.requests.cpu | qty] | add' "$SCRATCH/pods.jsonl")
either k8s_pod_cpu_matches_truth_quota "$(jq -n --argjson a "$cpu_pods" '$a * 1000 | round')" '.namespaces[] | select(.name == "coder-workspaces") | .resources["requests.cpu"].used * 1000 | round'
curl -s -H "$KT" "$K/api/v1/resourcequotas" >"$SCRATCH/rq.json"
ctl a GET /truth >"$SCRATCH/truth2.json"
either k8s_quota_used_matches_truth "$(jq "$QTY"' [.items[] | select(.metadata.namespace == "coder-workspaces") | .status.used["requests.memory"] | qty][0]' "$SCRATCH/rq.json")" \
    '.namespaces[] | select(.name == "coder-workspaces") | .resources["requests.memory"].used'
check_eq k8s_namespaced_quota "$(curl -s -H "$KT" "$K/api/v1/namespaces/coder/resourcequotas" | jq '[.items[].metadata.namespace] | unique | join(",")' -r)" coder
curl -s -H "$KT" "$K/api/v1/nodes" >"$SCRATCH/nodes.json"
alloc=$(jq "$QTY"' [.items[].status.allocatable.cpu | qty] | add' "$SCRATCH/nodes.json")
check_eq k8s_node_alloc_matches_truth "$(jq -n --argjson a "$alloc" --argjson b "$(jq .cluster.cpu_allocatable_cores "$SCRATCH/truth.json")" '($a - $b) | fabs < 0.001')" true
notations=$(cat "$SCRATCH/pods.jsonl" "$SCRATCH/nodes.json" "$SCRATCH/rq.json" | grep -o '"\(cpu\|memory\|pods\|requests\.[a-z]*\|limits\.[a-z]*\)": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' |
    sed -E 's/^[0-9]+$/plain/; s/^[0-9]+\.[0-9]+$/decimal/; s/^[0-9.]+m$/milli/; s/^[0-9.]+(Ki|Mi|Gi)$/binary/; s/^[0-9.]+[kMG]$/decimalSI/; s/^[0-9.]+[eE][-+]?[0-9]+$/exponent/' | sort -u | tr '\n' ' ')
check_eq k8s_quantity_notations "$notations" "binary decimal decimalSI exponent milli plain "
eps=$(curl -s -H "$KT" "$K/api/v1/namespaces/coder/endpoints/coder" | jq -r '[.subsets[] | "http://\(.addresses[0].ip):\(.ports[0].port)/metrics"] | join(" ")')
check_eq k8s_endpoints_are_metrics_urls "$eps" "$(m a '.metrics_urls | join(" ")')"
check_eq k8s_endpointslices "$(curl -s -H "$KT" "$K/apis/discovery.k8s.io/v1/namespaces/coder/endpointslices" | jq '.items | length')" 3
check_eq k8s_limitranges "$(curl -s -H "$KT" "$K/api/v1/limitranges" | jq -r '.items[0].spec.limits[0].defaultRequest.cpu')" 500m

# pagination of Coder lists: limit/offset and count
p1=$(api a '/api/v2/users?limit=2&offset=0' | jq -r '[.users[].username] | join(",")')
p2=$(api a '/api/v2/users?limit=2&offset=2' | jq -r '[.users[].username] | join(",")')
check_eq users_offset_pages_differ "$([ "$p1" != "$p2" ] && [ -n "$p2" ] && echo yes || echo "no: $p1 / $p2")" yes
ctl a GET /truth >"$SCRATCH/truth.json"
c=$(api a '/api/v2/workspaces?q=status:running&limit=1' | jq '.count')
ctl a GET /truth >"$SCRATCH/truth2.json"
either workspaces_count_limit1 "$c" .workspaces.running
check_eq provisionerjobs_default_limit "$(api a '/api/v2/organizations/coder/provisionerjobs' | jq length)" 50
check_eq provisionerjobs_status_filter "$(api a '/api/v2/organizations/coder/provisionerjobs?status=succeeded&limit=20' | jq -r '[.[].status] | unique | join(",")')" succeeded
check_eq provisionerdaemons_hide_offline "$(api a '/api/v2/organizations/coder/provisionerdaemons?limit=500' | jq '[.[] | select(.status == "offline")] | length')" 0
check_eq provisionerdaemons_offline_param "$(api a '/api/v2/organizations/coder/provisionerdaemons?limit=500&offline=true' | jq '[.[] | select(.status == "offline")] | length')" 1

# --speed: the simulated clock runs N times real time
sim_start fast --preset 1k --seed 2 --speed 600 || { fail sim_start fast; exit 1; }
t1=$(ctl fast GET /truth | jq .sim_elapsed_s)
sleep 1
t2=$(ctl fast GET /truth | jq .sim_elapsed_s)
check_eq speed_600 "$(awk -v a="$t1" -v b="$t2" 'BEGIN { d = b - a; print (d > 450 && d < 900) ? "ok" : d }')" ok

# the incident timeline (speed 120: one simulated minute per 0.5 s)
sim_start inc --preset 1k --seed 4 --scenario incident --speed 120 || { fail sim_start inc; exit 1; }
# wait_truth NAME JQ-CONDITION SECONDS
wait_truth() {
    i=0
    lim=$(($3 * 10))
    while [ $i -lt $lim ]; do
        if ctl inc GET /truth | jq -e "$2" >/dev/null 2>&1; then
            ok "$1"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    fail "$1" "truth never satisfied $2: $(ctl inc GET /truth | jq -c '{m: (.sim_elapsed_s / 60 | floor), phases}')"
    return 1
}
minute() { ctl inc GET /truth | jq '.sim_elapsed_s / 60 | floor'; }
wait_truth incident_backlog_builds '.queues[0].pending > 20' 20
wait_truth incident_db_spike '[.replicas[].db_latency_ms] | min > 10' 20
check_eq incident_db_spike_in_api "$(api inc /api/v2/replicas | jq '[.[].database_latency] | min > 10000')" true
old_id=$(ctl inc GET /truth | jq -r '.replicas[2].id')
wait_truth incident_replica_leaves '.replicas[2].present == false' 20
check_eq incident_replica_gone_from_api "$(api inc /api/v2/replicas | jq length)" 2
curl -s --max-time 3 "$(m inc '.metrics_urls[2]')" >/dev/null
check_eq incident_replica_metrics_drop "$?" 52
wait_truth incident_replica_rejoins '.replicas[2].present == true and .replicas[2].id != "'"$old_id"'"' 20
check_eq incident_rejoined_in_api "$(api inc /api/v2/replicas | jq -r '.[2].id')" "$(ctl inc GET /truth | jq -r '.replicas[2].id')"
wait_truth incident_proxy_unreachable '.proxies[0].status == "unreachable"' 20
check_eq incident_proxy_status_in_api "$(api inc /api/v2/workspaceproxies | jq -r '.regions[1].status.status')" unreachable
curl -s --max-time 3 "$(m inc '.proxies[0].url')/healthz" >/dev/null
check_eq incident_proxy_healthz_down "$?" 52
wait_truth incident_quota_squeezed '.namespaces[] | select(.name == "coder-workspaces") | .resources["requests.cpu"] | .used / .hard > 0.95' 20
wait_truth incident_unrunnable_job '.unrunnable_jobs | length == 1 and .[0].reason == "no_matching_daemon"' 20
uj=$(ctl inc GET /truth | jq -r '.unrunnable_jobs[0].id')
check_eq incident_unrunnable_in_api "$(api inc "/api/v2/organizations/coder/provisionerjobs/$uj" | jq -c '[.status, .tags.cluster, has("available_workers"), .queue_position, .queue_size]')" '["pending","staging",false,0,0]'
wait_truth incident_recovers '(.unrunnable_jobs | length == 0) and (.proxies[0].status == "ok") and ([.replicas[].db_latency_ms] | max < 10) and (.queues[0].pending < 10) and (.phases | length == 0)' 40

# SIGTERM: exit 0 promptly, even with a connection held open by a hang fault
sim_start term --preset 1k --seed 9 || { fail sim_start term; exit 1; }
ctl term POST /faults '{"listener":"api","path_prefix":"/api/v2/regions","kind":"hang","max_hold_ms":60000}' >/dev/null
curl -s --max-time 30 -H "Coder-Session-Token: $(m term .token)" "$(m term .coder_url)/api/v2/regions" >/dev/null &
sleep 0.3
pid=$(m term .pid)
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check_eq sigterm_exits_promptly "$(kill -0 "$pid" 2>/dev/null && echo running || echo exited)" exited
wait "$pid" 2>/dev/null
