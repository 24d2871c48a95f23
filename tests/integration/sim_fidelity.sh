#!/bin/sh
# The simulator answers like the real Coder server: for every fixture in
# $SHARED/fixtures/coder/api the sim's answer for the same endpoint has the
# same field names, JSON types and missing-versus-null fields (recursively,
# tests/integration/sim_schema.jq), and every error fixture is reproduced
# with its real status code and exact envelope.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
trap sim_stop_all EXIT INT TERM
FX="$SHARED/fixtures/coder/api"
SCHEMA=tests/integration/sim_schema.jq

if ! sim_start lic --preset 1k --seed 7 --scenario steady --db-metrics on; then
    fail sim_start "licensed sim did not write its manifest: $(cat "$SCRATCH/lic.log")"
    exit 1
fi
if ! sim_start unlic --preset 1k --seed 7 --unlicensed --stats-delay 100000 \
    --health-compute-s 600; then
    fail sim_start "unlicensed sim did not write its manifest"
    exit 1
fi

# shape NAME SIM PATH FIXTURE...: compare one answer with the fixtures' schema
shape() {
    name=$1
    s=$2
    p=$3
    shift 3
    body="$SCRATCH/body.json"
    code=$(api "$s" "$p" -o "$body" -w '%{http_code}')
    if [ "$code" != 200 ]; then
        fail "$name" "GET $p answered $code: $(head -c 200 "$body")"
        return
    fi
    files=""
    for f in "$@"; do files="$files $FX/$f"; done
    # shellcheck disable=SC2086
    jq -s '.' $files >"$SCRATCH/fx.json"
    diffs=$(jq -r --slurpfile fxw "$SCRATCH/fx.json" -f "$SCHEMA" "$body" 2>&1)
    if [ -z "$diffs" ]; then
        ok "$name"
    else
        fail "$name" "$(printf '%s' "$diffs" | head -n 8 | tr '\n' ';')"
    fi
}

shape shape_buildinfo lic /api/v2/buildinfo buildinfo.json
shape shape_organizations lic /api/v2/organizations organizations.json
shape shape_replicas lic /api/v2/replicas replicas.json
shape shape_workspaceproxies lic /api/v2/workspaceproxies workspaceproxies.json
shape shape_regions lic /api/v2/regions regions.json regions_agpl.json
shape shape_regions_unlicensed unlic /api/v2/regions regions.json regions_agpl.json
shape shape_provisionerdaemons lic "/api/v2/organizations/coder/provisionerdaemons?offline=true&limit=1000" provisionerdaemons.json
shape shape_provisionerdaemons_org2 lic "/api/v2/organizations/platform-eng/provisionerdaemons?limit=100" provisionerdaemons.json
shape shape_provisionerjobs lic "/api/v2/organizations/coder/provisionerjobs?limit=300" provisionerjobs.json provisionerjobs_status_pending.json
shape shape_provisionerjobs_pending lic "/api/v2/organizations/coder/provisionerjobs?status=pending&limit=50" provisionerjobs_status_pending.json provisionerjobs.json
job=$(api lic "/api/v2/organizations/coder/provisionerjobs?status=running&limit=1" | jq -r '.[0].id')
shape shape_provisionerjob lic "/api/v2/organizations/coder/provisionerjobs/$job" provisionerjob.json provisionerjobs.json
shape shape_debug_health lic /api/v2/debug/health debug_health.json debug_health_failing.json
shape shape_debug_health_settings lic /api/v2/debug/health/settings debug_health_settings.json
shape shape_deployment_stats lic /api/v2/deployment/stats deployment_stats.json
shape shape_entitlements lic /api/v2/entitlements entitlements.json entitlements_agpl.json
shape shape_entitlements_unlicensed unlic /api/v2/entitlements entitlements_agpl.json entitlements.json
shape shape_groups lic "/api/v2/organizations/coder/groups" groups.json
shape shape_groups_query lic "/api/v2/groups?organization=coder" groups.json
shape shape_insights_user_status lic "/api/v2/insights/user-status-counts?timezone=UTC" insights_user_status_counts.json
shape shape_templates lic /api/v2/templates templates.json
shape shape_users lic "/api/v2/users?q=status:active&limit=1" users_limit1.json
shape shape_workspace_quota lic /api/v2/organizations/coder/members/me/workspace-quota workspace_quota.json workspace_quota_unlicensed.json
shape shape_workspace_quota_unlicensed unlic /api/v2/workspace-quota/me workspace_quota_unlicensed.json workspace_quota.json
shape shape_workspaces lic "/api/v2/workspaces?q=status:running&limit=5" workspaces.json

# Values the shape check cannot see but the quirks depend on.
check_eq unlicensed_quota_budget "$(api unlic /api/v2/workspace-quota/me | jq .budget)" -1
check_eq unlicensed_regions_primary_only "$(api unlic /api/v2/regions | jq '.regions | length')" 1
check_eq entitlements_without_token "$(curl -s -o /dev/null -w '%{http_code}' "$(m lic .coder_url)/api/v2/entitlements")" 200
check_eq proxies_primary_first "$(api lic /api/v2/workspaceproxies | jq -r '.regions[0].name')" primary
check_eq users_count_is_total "$(api lic '/api/v2/users?q=status:active&limit=1' | jq '.count > 1 and (.users | length) == 1')" true
check_eq replica_latency_is_us "$(api lic /api/v2/replicas | jq '[.[].database_latency] | min >= 1000')" true

# err NAME FIXTURE SIM CURL-ARGS...: status from the fixture name, exact envelope
err() {
    name=$1
    fx=$2
    s=$3
    shift 3
    want=$(echo "$fx" | sed 's/^error_\([0-9]*\).*/\1/')
    got=$(curl -s --max-time 20 -o "$SCRATCH/err.json" -w '%{http_code}' "$@")
    if [ "$got" != "$want" ]; then
        fail "$name" "status $got, want $want: $(head -c 200 "$SCRATCH/err.json")"
        return
    fi
    if jq -e --slurpfile want "$FX/$fx" '. == $want[0]' "$SCRATCH/err.json" >/dev/null 2>&1; then
        ok "$name"
    else
        fail "$name" "body $(head -c 300 "$SCRATCH/err.json") differs from $fx"
    fi
}
L=$(m lic .coder_url)
UL=$(m unlic .coder_url)
OT="Coder-Session-Token: $(m lic .token)"
MT="Coder-Session-Token: $(m lic .member_token)"
err error_401 error_401.json lic "$L/api/v2/replicas"
err error_400_query error_400_query.json lic -H "$OT" "$L/api/v2/organizations/coder/provisionerdaemons?foo=1"
err error_400_query_jobs error_400_query.json lic -H "$OT" "$L/api/v2/organizations/coder/provisionerjobs?foo=1"
err error_403_debug error_403_debug.json lic -H "$MT" "$L/api/v2/debug/health"
err error_403_feature error_403_feature.json unlic -H "Coder-Session-Token: $(m unlic .token)" "$UL/api/v2/workspaceproxies"
err error_404_resource error_404_resource.json lic -H "$MT" "$L/api/v2/organizations/coder/provisionerdaemons"
err error_404_resource_jobs error_404_resource.json lic -H "$MT" "$L/api/v2/organizations/coder/provisionerjobs"
err error_404_health_in_progress error_404_health_in_progress.json unlic -H "Coder-Session-Token: $(m unlic .token)" "$UL/api/v2/debug/health"
err error_400_deployment_stats error_400_deployment_stats_processing.json unlic -H "Coder-Session-Token: $(m unlic .token)" "$UL/api/v2/deployment/stats"

# 429: one connection, 513 requests to one endpoint within the minute window.
# A window boundary in the middle would reset the budget: start early in a minute.
sec=$(date +%S | sed 's/^0//')
if [ "$sec" -gt 50 ]; then sleep $((61 - sec)); fi
urls=""
i=0
while [ $i -lt 512 ]; do urls="$urls $L/api/v2/templates"; i=$((i + 1)); done
# shellcheck disable=SC2086
curl -s -H "$OT" $urls >/dev/null
err error_429_ratelimit error_429_ratelimit.json lic -H "$OT" "$L/api/v2/templates"
hdr=$(curl -s -D - -o /dev/null -H "$OT" "$L/api/v2/templates")
check_contains ratelimit_headers_limit "$hdr" "X-Ratelimit-Limit: 512"
check_contains ratelimit_headers_remaining "$hdr" "X-Ratelimit-Remaining: 0"
check_contains ratelimit_headers_reset "$hdr" "X-Ratelimit-Reset: "
check_eq ratelimit_per_endpoint "$(curl -s -o /dev/null -w '%{http_code}' -H "$OT" "$L/api/v2/regions")" 200
check_eq ratelimit_owner_bypass "$(curl -s -o /dev/null -w '%{http_code}' -H "$OT" -H 'X-Coder-Bypass-Ratelimit: true' "$L/api/v2/templates")" 200
check_eq ratelimit_member_bypass_428 "$(curl -s -o /dev/null -w '%{http_code}' -H "$MT" -H 'X-Coder-Bypass-Ratelimit: true' "$L/api/v2/templates")" 428

# Every response carries the build version, errors included.
for p in /api/v2/buildinfo /api/v2/replicas /healthz /api/v2/nonexistent; do
    h=$(curl -s -D - -o /dev/null "$L$p")
    check_contains "build_version_header_$(echo "$p" | tr '/' '_')" "$h" "X-Coder-Build-Version: v2.38.5+3f0c1a7"
done
