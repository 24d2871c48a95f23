# Workspaces per node against the simulator's truth: scaletop's per-node
# workspaces, requests, usage and control-plane pods (capacity.nodes) must
# equal what the simulator placed, with the metrics API and without it (404,
# as on a cluster without metrics-server), and the advisor must name the
# crowded nodes and the coderd pod beside workspaces.
#
# Workspaces start and stop once a simulated minute, so a snapshot taken
# across such a moment may hold either world: the truth is read just before
# and just after, and a snapshot is compared only when the two agree (at most
# five attempts; at the default speed a minute boundary falls inside one in
# about one attempt in twenty). Numbers are then compared exactly, up to
# 1e-9 relative (cores are sums of millicores and nanocores).
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"

# snap NAME EXTRA...: a snapshot of sim NAME whose bracketing truths agree;
# leaves $SCRATCH/NAME.s.json and $SCRATCH/NAME.t.json. 1 if never stable.
snap() {
    n=$1
    shift
    tries=0
    while [ $tries -lt 5 ]; do
        tries=$((tries + 1))
        ctl "$n" GET /truth | jq -S '{nodes, metrics_api}' >"$SCRATCH/$n.t0.json"
        # shellcheck disable=SC2046
        "$SCALETOP" snapshot --format json --window 1 $(sim_args "$n") "$@" \
            >"$SCRATCH/$n.s.json" 2>"$SCRATCH/$n.err" || continue
        ctl "$n" GET /truth | jq -S '{nodes, metrics_api}' >"$SCRATCH/$n.t.json"
        cmp -s "$SCRATCH/$n.t0.json" "$SCRATCH/$n.t.json" && return 0
    done
    return 1
}

# compare NAME: every field of every truth node against the snapshot's node
# of that name; prints the mismatches (nothing when all agree).
compare() {
    jq -rn --slurpfile s "$SCRATCH/$1.s.json" --slurpfile t "$SCRATCH/$1.t.json" '
      def same($a; $b): if $a == null or $b == null then $a == $b
        else (($a - $b) | fabs) <= 1e-9 * ([($b | fabs), 1] | max) end;
      ($s[0].capacity.nodes | map({(.name): .}) | add // {}) as $got |
      $t[0].nodes[] | . as $w | $got[$w.name] as $g |
      if $g == null then "\($w.name): missing"
      else
        ( ["workspaces", "pods", "cpu_allocatable_cores", "memory_allocatable_bytes",
           "cpu_requested_cores", "memory_requested_bytes", "workspace_cpu_requested_cores",
           "workspace_memory_requested_bytes", "cpu_usage_cores", "memory_usage_bytes",
           "workspace_cpu_usage_cores", "workspace_memory_usage_bytes"][] as $f |
          select(same($g[$f]; $w[$f]) | not) | "\($w.name).\($f): got \($g[$f]), truth \($w[$f])" ),
        ( ["coderd", "postgres", "proxies", "provisioners"][] as $f |
          select(same($g.control_plane[$f]; $w[$f]) | not) |
          "\($w.name).\($f): got \($g.control_plane[$f]), truth \($w[$f])" ),
        ( select(($g.schedulable) != $w.schedulable) |
          "\($w.name).schedulable: got \($g.schedulable), truth \($w.schedulable)" )
      end'
}

# --- with the metrics API, the crowded nodes packed past the advisor's
# threshold, one coderd replica on the most crowded workspace node ---
sim_start a --preset 1k --seed 5 --colocate-coderd --packed-nodes || fail sim_start_a "no manifest"
if snap a; then
    ok node_load_stable_snapshot
else
    fail node_load_stable_snapshot "truth moved during 5 snapshots: $(cat "$SCRATCH/a.err")"
fi
S="$SCRATCH/a.s.json"
T="$SCRATCH/a.t.json"
check_eq node_load_source_ok "$(jq -r '.sources[] | select(.name == "kubernetes") | "\(.status) \(.error)"' "$S")" "ok null"
check_eq node_load_metrics_api "$(jq '.capacity.metrics_api' "$S")" true
check_eq node_load_node_names \
    "$(jq -r '[.capacity.nodes[].name] | sort | join(" ")' "$S")" \
    "$(jq -r '[.nodes[].name] | sort | join(" ")' "$T")"
bad=$(compare a)
check_eq node_load_per_node_equals_truth "$bad" ""
check_eq node_load_workspaces_add_up \
    "$(jq '[.capacity.nodes[].workspaces] | add' "$S")" "$(jq '[.nodes[].workspaces] | add' "$T")"
# unevenly spread: the most crowded node holds clearly more than the median
check_eq node_load_uneven "$(jq '[.capacity.nodes[] | select(.workspaces > 0) | .workspaces] | sort |
    (.[-1]) as $max | (.[length / 2 | floor]) as $med | $max >= $med + 3' "$S")" true
check_eq node_load_most_loaded_first "$(jq '[.capacity.nodes[] |
    (.workspace_cpu_requested_cores / .cpu_allocatable_cores)] | . == (sort | reverse)' "$S")" true
# the advisor: the colocated coderd, and exactly the nodes past the share threshold
check_eq node_load_colocated_finding \
    "$(jq -r '[.findings[] | select(.rule == "capacity.control_plane_colocated") | .entity] | join(" ")' "$S")" \
    "$(jq -r '[.nodes[] | select(.workspaces > 0 and (.coderd + .postgres + .proxies) > 0) | "node/\(.name)"] | join(" ")' "$T")"
check_eq node_load_colocated_is_the_crowded_coderd_node \
    "$(jq -r '[.nodes[] | select(.coderd > 0 and .workspaces > 0) | .name] | join(" ")' "$T")" \
    gke-coder-pool-ws-0003
check_eq node_load_crowded_findings \
    "$(jq -r '[.findings[] | select(.rule == "capacity.node_crowded") | .entity] | sort | join(" ")' "$S")" \
    "$(jq -r '[.nodes[] | select(.workspaces > 0 and (.workspaces >= 20 or
        .workspace_cpu_requested_cores / .cpu_allocatable_cores >= 0.85 or
        .workspace_memory_requested_bytes / .memory_allocatable_bytes >= 0.85)) | "node/\(.name)"] | sort | join(" ")' "$T")"
check_eq node_load_some_crowded "$(jq '[.findings[] | select(.rule == "capacity.node_crowded")] | length > 0' "$S")" true
# the check command exits 1 (warn) on them
# shellcheck disable=SC2046
"$SCALETOP" check --format json --window 1 $(sim_args a) >"$SCRATCH/check.json" 2>/dev/null
check_eq node_load_check_lists_colocation \
    "$(jq '[.. | objects | select(.rule? == "capacity.control_plane_colocated")] | length > 0' "$SCRATCH/check.json")" true
sim_stop_all
mkdir -p "$SCRATCH"

# --- without the metrics API (404), coderd kept on the system nodes, and a
# configured workspace selector (the templates' app.kubernetes.io/name) ---
sim_start b --preset 1k --seed 6 --metrics-api off || fail sim_start_b "no manifest"
mkdir -p "$SCRATCH/cfg/scaletop"
printf '[kubernetes]\nworkspace_label_selector = app.kubernetes.io/name=coder-workspace\n' \
    >"$SCRATCH/b.ini"
if snap b --config "$SCRATCH/b.ini"; then
    ok node_load_nometrics_stable_snapshot
else
    fail node_load_nometrics_stable_snapshot "truth moved during 5 snapshots: $(cat "$SCRATCH/b.err")"
fi
S="$SCRATCH/b.s.json"
T="$SCRATCH/b.t.json"
# a cluster without metrics-server is not an error
check_eq node_load_nometrics_source_ok "$(jq -r '.sources[] | select(.name == "kubernetes") | "\(.status) \(.error)"' "$S")" "ok null"
check_eq node_load_nometrics_api_false "$(jq '.capacity.metrics_api' "$S")" false
check_eq node_load_nometrics_usage_null \
    "$(jq '[.capacity.nodes[] | .cpu_usage_cores, .memory_usage_bytes, .workspace_cpu_usage_cores,
        .workspace_memory_usage_bytes] | unique' "$S")" "$(printf '[\n  null\n]')"
bad=$(compare b)
check_eq node_load_nometrics_per_node_equals_truth "$bad" ""
# the steady placement is uneven but stays under the advisor's thresholds
check_eq node_load_steady_uneven "$(jq '[.capacity.nodes[] | select(.workspaces > 0) | .workspaces] | sort |
    (.[-1]) as $max | (.[0]) as $min | $max > $min' "$S")" true
check_eq node_load_steady_not_crowded \
    "$(jq '[.findings[] | select(.rule == "capacity.node_crowded")] | length' "$S")" 0
check_eq node_load_nometrics_no_colocation \
    "$(jq '[.findings[] | select(.rule == "capacity.control_plane_colocated")] | length' "$S")" 0
check_eq node_load_nometrics_coderd_on_system_nodes \
    "$(jq -r '[.capacity.nodes[] | select(.control_plane.coderd > 0) | .name] | sort | join(" ")' "$S")" \
    "gke-coder-pool-system-0000 gke-coder-pool-system-0001 gke-coder-pool-system-0002"
# scaletop asked the metrics API once per poll and got 404s, nothing more
n404=$(ctl b GET /requests | jq '[.requests[] | select(.path | startswith("/apis/metrics.k8s.io")) | .status] | unique')
check_eq node_load_nometrics_asked_and_404 "$(printf '%s' "$n404" | jq -c .)" "[404]"
