# Proxy health: each proxy's /healthz is timed from here; a proxy that stops
# answering is "unreachable" within the timeout, and nothing else is touched.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"

sim_start s --preset 2k --scenario steady --seed 5 || { fail sim_start "no manifest"; exit 1; }
ARGS=$(sim_args s)

# shellcheck disable=SC2086
"$SCALETOP" snapshot --format json --window 0.2 $ARGS >"$SCRATCH/a.json" 2>"$SCRATCH/a.err"
n=$(jq '[.proxies[] | select(.status == "ok" and .rtt_ms != null)] | length' "$SCRATCH/a.json")
want=$(jq '.proxies | length' "$SCRATCH/a.json")
check_eq proxy_health_all_ok_with_latency "$n" "$want"
[ "$want" -ge 2 ] && ok proxy_health_has_proxies || fail proxy_health_has_proxies "only $want"

victim=$(m s '.proxies[0].name')
ctl s POST /faults "{\"listener\":\"proxy:$victim\",\"kind\":\"hang\",\"max_hold_ms\":30000}" >/dev/null
start=$(date +%s)
# shellcheck disable=SC2086
"$SCALETOP" snapshot --format json --window 0.2 $ARGS >"$SCRATCH/b.json" 2>"$SCRATCH/b.err"
took=$(($(date +%s) - start))
st=$(jq -r --arg n "$victim" '.proxies[] | select(.name == $n) | .status' "$SCRATCH/b.json")
check_eq proxy_health_hung_proxy_unreachable "$st" unreachable
err=$(jq -r --arg n "$victim" '.proxies[] | select(.name == $n) | .errors[0] // ""' "$SCRATCH/b.json")
check_contains proxy_health_says_why "$err" "/healthz"
others=$(jq -r --arg n "$victim" '[.proxies[] | select(.name != $n and .primary != true) | .status] | unique | join(",")' "$SCRATCH/b.json")
check_eq proxy_health_others_unaffected "$others" ok
api_st=$(jq -r '.sources[] | select(.name == "coder-api") | .status' "$SCRATCH/b.json")
check_eq proxy_health_api_unaffected "$api_st" ok
# Two polls, each bounded by the 5 s proxy timeout, plus the window.
[ "$took" -le 20 ] && ok proxy_health_bounded || fail proxy_health_bounded "took ${took}s"
ctl s DELETE /faults >/dev/null
