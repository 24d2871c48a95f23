# Helpers for suites that drive the simulator (build/scaletop-sim). Source
# after tests/lib/sh.sh and call scratch first. sim_start NAME ARGS... starts
# one sim, waits (bounded) for its manifest at $SCRATCH/NAME.json and records
# its pid; sim_stop_all (installed as the EXIT trap) stops every sim started
# here by pid and removes the scratch directory.
SIM_PIDS=""

sim_stop_all() {
    for p in $SIM_PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in $SIM_PIDS; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$p" 2>/dev/null
    done
    SIM_PIDS=""
    # a sanitizer report in any sim's log is a failure of the suite
    for l in "${SCRATCH:-/nonexistent}"/*.log; do
        [ -f "$l" ] || continue
        if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error:\|ThreadSanitizer' "$l"; then
            fail "sanitizer_$(basename "$l" .log)" "$(grep -m1 'Sanitizer\|runtime error' "$l")"
        fi
    done
    [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

# sim_start NAME ARGS...: prints nothing; sets the manifest path in $SCRATCH/NAME.json.
sim_start() {
    name=$1
    shift
    "$SIM" --manifest "$SCRATCH/$name.json" "$@" 2>"$SCRATCH/$name.log" &
    SIM_PIDS="$SIM_PIDS $!"
    i=0
    while [ ! -s "$SCRATCH/$name.json" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$SCRATCH/$name.json" ]
}

# m NAME FILTER: a value from a manifest
m() {
    jq -r "$2" "$SCRATCH/$1.json"
}

# api NAME PATH [curl args...]: GET with the owner token, body to stdout
api() {
    n=$1
    p=$2
    shift 2
    curl -s --max-time 20 -H "Coder-Session-Token: $(m "$n" .token)" "$@" "$(m "$n" .coder_url)$p"
}

# ctl NAME METHOD PATH [json]: the control API
ctl() {
    if [ -n "${4:-}" ]; then
        curl -s --max-time 10 -X "$2" -H "Coder-Session-Token: $(m "$1" .token)" \
            -H 'Content-Type: application/json' --data "$4" "$(m "$1" .control_url)$3"
    else
        curl -s --max-time 10 -X "$2" -H "Coder-Session-Token: $(m "$1" .token)" \
            "$(m "$1" .control_url)$3"
    fi
}

# sim_args NAME: prints the scaletop options that point at sim NAME (Coder
# URL, token file, every metrics endpoint, a kubeconfig for its Kubernetes
# API), writing the token file and kubeconfig into $SCRATCH.
sim_args() {
    n=$1
    m "$n" .token >"$SCRATCH/$n.token"
    cat >"$SCRATCH/$n.kubeconfig" <<KUBE
apiVersion: v1
kind: Config
clusters: [{name: sim, cluster: {server: "$(m "$n" .kubernetes.server)"}}]
users: [{name: sim, user: {token: "$(m "$n" .kubernetes.token)"}}]
contexts: [{name: sim, context: {cluster: sim, user: sim}}]
current-context: sim
KUBE
    printf -- '--coder-url %s --token-file %s --kubeconfig %s' "$(m "$n" .coder_url)" \
        "$SCRATCH/$n.token" "$SCRATCH/$n.kubeconfig"
    for u in $(m "$n" '.metrics_urls[]'); do printf -- ' --metrics %s' "$u"; done
    for u in $(m "$n" '.provisioner_metrics_urls[]'); do printf -- ' --provisioner-metrics %s' "$u"; done
}
