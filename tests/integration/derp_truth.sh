# DERP relay load against the simulator's truth: every coderd replica (the
# newer ones through coder_derp_server_*, the older one through expvar at its
# relay address) and every workspace proxy (its own /metrics), the totals,
# and the health report's STUN/DERP verdicts; then STUN fails: the relays
# carry what used to go direct, and `scaletop check` raises
# network.stun_failing.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"

# around NAME GOT A B TOL: GOT within TOL (fraction, at least 2) of the
# bracket [A, B] of the truth just before and just after the snapshot
# (clients follow the running workspaces, which drift by a few a minute).
around() {
    if jq -ne --argjson g "$2" --argjson a "$3" --argjson b "$4" --argjson t "$5" \
        '([$a,$b]|min) as $lo | ([$a,$b]|max) as $hi | ([$t * $hi, 2] | max) as $d |
         $g >= $lo - $d and $g <= $hi + $d' >/dev/null 2>&1; then
        ok "$1"
    else
        fail "$1" "got $2, truth $3..$4"
    fi
}

# derp_args NAME: scaletop options for the proxies' metrics and expvar
derp_args() {
    for i in $(m "$1" '.proxies | keys[]'); do
        printf -- ' --proxy-metrics %s=%s' "$(m "$1" ".proxies[$i].name")" \
            "$(m "$1" ".proxies[$i].metrics_url")"
    done
    printf -- ' --derp-expvar'
}

# Rates: the clock runs 30x, so a rate reads 30x the per-second truth; a
# metrics body may be up to a second old when scraped (20 % over a 5 s
# window) and counters are whole numbers (a drop rate of ~2/s counts ~10 in
# the window), hence the tolerances. Gauges are compared with the bracket.
SPEED=30
sim_start d --preset 2k --scenario steady --seed 5 --speed "$SPEED" --derp-expvar-only 1 ||
    { fail sim_start "no manifest"; exit 1; }
ARGS="$(sim_args d) $(derp_args d)"
ctl d GET /truth >"$SCRATCH/t0.json"
# shellcheck disable=SC2086
"$SCALETOP" snapshot --format json --window 5 $ARGS >"$SCRATCH/s.json" 2>"$SCRATCH/s.err" ||
    fail snapshot "$(cat "$SCRATCH/s.err")"
ctl d GET /truth >"$SCRATCH/t1.json"
S="$SCRATCH/s.json"
T="$SCRATCH/t1.json"
T0="$SCRATCH/t0.json"

bad=$(jq -r '[.sources[] | select(.status != "ok" and .status != "disabled") | "\(.name)=\(.status): \(.error)"] | join("; ")' "$S")
check_eq derp_all_sources_ok "$bad" ""
check_eq derp_expvar_source_ok "$(jq -r '.sources[] | select(.name == "derp-expvar") | .status' "$S")" ok
check_eq derp_proxy_metrics_sources \
    "$(jq '[.sources[] | select(.kind == "proxy-metrics" and .status == "ok")] | length' "$S")" \
    "$(jq '.proxies | length' "$T")"

for h in $(jq -r '.replicas[] | select(.present) | .hostname' "$T"); do
    sel='.replicas[] | select(.hostname == $h) | .derp'
    sv=$(jq -c --arg h "$h" '.servers[] | select(.hostname == $h)' "$S")
    check_eq "derp_${h}_source" "$(printf '%s' "$sv" | jq -r .derp_source)" \
        "$(jq -r --arg h "$h" "$sel.source" "$T")"
    for f in clients connections; do
        around "derp_${h}_$f" "$(printf '%s' "$sv" | jq ".derp_$f")" \
            "$(jq --arg h "$h" "$sel.$f" "$T0")" "$(jq --arg h "$h" "$sel.$f" "$T")" 0.02
    done
    for f in bytes_per_s:0.25 packets_forwarded_per_s:0.25 packets_dropped_per_s:0.4; do
        within "derp_${h}_${f%%:*}" \
            "$(printf '%s' "$sv" | jq --argjson sp "$SPEED" ".derp_${f%%:*} / \$sp")" \
            "$(jq --arg h "$h" "$sel.${f%%:*}" "$T")" "${f#*:}"
    done
done
check_eq derp_expvar_replica_is_the_old_build \
    "$(jq -r '[.servers[] | select(.derp_source == "expvar") | .hostname] | join(",")' "$S")" \
    "$(jq -r '[.replicas[] | select(.derp.source == "expvar") | .hostname] | join(",")' "$T")"

for p in $(jq -r '.proxies[].name' "$T"); do
    sel='.proxies[] | select(.name == $p) | .derp'
    sp=$(jq -c --arg p "$p" '.proxies[] | select(.name == $p)' "$S")
    around "derp_proxy_${p}_clients" "$(printf '%s' "$sp" | jq .derp_clients)" \
        "$(jq --arg p "$p" "$sel.clients" "$T0")" "$(jq --arg p "$p" "$sel.clients" "$T")" 0.02
    within "derp_proxy_${p}_bytes_per_s" \
        "$(printf '%s' "$sp" | jq --argjson sp "$SPEED" '.derp_bytes_per_s / $sp')" \
        "$(jq --arg p "$p" "$sel.bytes_per_s" "$T")" 0.25
done
within derp_total_bytes_per_s "$(jq --argjson sp "$SPEED" '.deployment.derp_bytes_per_s / $sp' "$S")" \
    "$(jq .network.relayed_bytes_per_s "$T")" 0.25
check_eq derp_stun_healthy "$(jq -r .deployment.stun_healthy "$S")" true
check_eq derp_derp_healthy "$(jq -r .deployment.derp_healthy "$S")" true

# STUN fails: everything relays. The control call changes the targets at
# once; a metrics body rendered just before it is at most a second old, so
# the window starts two seconds later.
ctl d POST /network '{"stun_failing":true}' >/dev/null
sleep 2
# shellcheck disable=SC2086
"$SCALETOP" snapshot --format json --window 5 $ARGS >"$SCRATCH/s2.json" 2>"$SCRATCH/s2.err" ||
    fail snapshot_stun_failing "$(cat "$SCRATCH/s2.err")"
ctl d GET /truth >"$SCRATCH/t2.json"
check_eq derp_stun_failing_seen "$(jq -r .deployment.stun_healthy "$SCRATCH/s2.json")" false
check_contains derp_stun_failing_code "$(jq -r '.deployment.health_codes | join(",")' "$SCRATCH/s2.json")" ESTUN01
within derp_total_bytes_when_relaying \
    "$(jq --argjson sp "$SPEED" '.deployment.derp_bytes_per_s / $sp' "$SCRATCH/s2.json")" \
    "$(jq .network.relayed_bytes_per_s "$SCRATCH/t2.json")" 0.25
if jq -ne --slurpfile a "$SCRATCH/s.json" --slurpfile b "$SCRATCH/s2.json" \
    '$b[0].deployment.derp_bytes_per_s > 5 * $a[0].deployment.derp_bytes_per_s' >/dev/null; then
    ok derp_relayed_traffic_grew
else
    fail derp_relayed_traffic_grew "$(jq .deployment.derp_bytes_per_s "$S") -> $(jq .deployment.derp_bytes_per_s "$SCRATCH/s2.json")"
fi
sim_stop_all
SIM_PIDS=""
mkdir -p "$SCRATCH"

# scaletop check at real speed: quiet about the network while STUN works;
# once it fails, network.stun_failing (warn) with the code as evidence, and
# no relay_load (1k users relay ~1.5 MB/s per replica: under the threshold).
sim_start c --preset 1k --scenario steady --seed 3 --db-metrics on ||
    { fail sim_start_check "no manifest"; exit 1; }
ARGS="$(sim_args c) $(derp_args c)"
# shellcheck disable=SC2086
"$SCALETOP" check --format json --window 1 $ARGS >"$SCRATCH/c0.json" 2>"$SCRATCH/c0.err"
rc=$?
check_eq derp_check_steady_exit_0 "$rc" 0
check_eq derp_check_steady_no_network_finding \
    "$(jq -r '[.findings[] | select(.rule | startswith("network.")) | .rule] | join(",")' "$SCRATCH/c0.json")" ""
ctl c POST /network '{"stun_failing":true}' >/dev/null
# shellcheck disable=SC2086
"$SCALETOP" check --format json --window 1 $ARGS >"$SCRATCH/c1.json" 2>"$SCRATCH/c1.err"
rc=$?
check_eq derp_check_stun_failing_exit_1 "$rc" 1
check_eq derp_check_stun_failing_rule \
    "$(jq -r '[.findings[] | select(.rule == "network.stun_failing") | "\(.severity) \(.entity)"][0]' "$SCRATCH/c1.json")" \
    "warn deployment"
check_contains derp_check_stun_failing_evidence \
    "$(jq -r '[.findings[] | select(.rule == "network.stun_failing") | .evidence][0]' "$SCRATCH/c1.json")" \
    "codes=ESTUN01"
check_eq derp_check_no_relay_load_at_1k \
    "$(jq '[.findings[] | select(.rule == "network.relay_load")] | length' "$SCRATCH/c1.json")" 0
# and back: the finding goes when STUN works again
ctl c POST /network '{"stun_failing":false}' >/dev/null
# shellcheck disable=SC2086
"$SCALETOP" check --format json --window 1 $ARGS >"$SCRATCH/c2.json" 2>"$SCRATCH/c2.err"
rc=$?
check_eq derp_check_stun_recovered_exit_0 "$rc" 0
