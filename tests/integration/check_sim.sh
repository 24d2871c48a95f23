# scaletop check against the simulator: the steady deployment passes (exit
# 0); in the middle of the incident it exits 2 and names the crit findings.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"

sim_start steady --preset 1k --scenario steady --seed 3 --db-metrics on ||
    { fail sim_start "no manifest"; exit 1; }
# shellcheck disable=SC2086
out=$("$SCALETOP" check --window 1 $(sim_args steady) 2>&1)
rc=$?
check_eq check_steady_exit_0 "$rc" 0
check_contains check_steady_says_ok "$out" ": OK ("

# Incident timeline at 100x: minutes 30-40 (18-24 s real time) have a proxy
# unreachable and a job that no daemon can take, both critical.
sim_start inc --preset 1k --scenario incident --seed 3 --speed 100 ||
    { fail sim_start_incident "no manifest"; exit 1; }
ARGS=$(sim_args inc)
i=0
while [ $i -lt 300 ]; do
    ctl inc GET /truth >"$SCRATCH/truth.json"
    if jq -e '(.phases | index("proxy_unreachable")) and (.unrunnable_jobs | length > 0)' \
        "$SCRATCH/truth.json" >/dev/null 2>&1; then
        break
    fi
    sleep 0.1
    i=$((i + 1))
done
# shellcheck disable=SC2086
"$SCALETOP" check --format json --window 0.5 $ARGS >"$SCRATCH/check.json" 2>"$SCRATCH/check.err"
rc=$?
check_eq check_incident_exit_2 "$rc" 2
job=$(jq -r '.unrunnable_jobs[0].id' "$SCRATCH/truth.json")
proxy=$(jq -r '[.proxies[] | select(.status == "unreachable") | .name][0]' "$SCRATCH/truth.json")
check_eq check_incident_names_unrunnable_job \
    "$(jq -r --arg e "job/$job" '[.findings[] | select(.rule == "provisioners.unrunnable" and .entity == $e) | .severity][0]' "$SCRATCH/check.json")" crit
check_eq check_incident_names_unreachable_proxy \
    "$(jq -r --arg e "proxy/$proxy" '[.findings[] | select(.rule == "proxies.unhealthy" and .entity == $e) | .severity][0]' "$SCRATCH/check.json")" crit
check_eq check_incident_status_crit "$(jq -r .status "$SCRATCH/check.json")" crit
