#!/bin/sh
# Cost control against the simulator's truth: `scaletop snapshot` (TZ=UTC,
# the simulator's off-peak hours) shows exactly the running, off-peak,
# without-autostop and daily-cost numbers and every quota group's pool and
# consumption that /__sim/truth holds. The running count is held still
# (--ws-drift off) and the off-peak window is placed hours away from now, so
# nothing moves while the snapshot is taken: the comparison is exact.
# Then: while it is off-peak every running workspace counts; without a
# licence the groups say "needs Premium" and the running numbers stay.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
trap sim_stop_all EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg" TZ=UTC

H=$(date -u +%H | sed 's/^0//')
# A weekday window from H+3 to H+5: now (and the next two hours) is peak.
A=$(((H + 3) % 24))
B=$(((H + 5) % 24))

snap() { # snap NAME CONFIG OUT
    m "$1" .token >"$SCRATCH/$1.token"
    "$SCALETOP" snapshot --format json --interval 1 --config "$2" --coder-url "$(m "$1" .coder_url)" \
        --token-file "$SCRATCH/$1.token" --db "$SCRATCH/$1.db" >"$3" 2>"$3.err"
}

sim_start t --preset 1k --seed 9 --ws-drift off --off-peak-hours "$A-$B" \
    --off-peak-weekends off --off-peak-share 0.3 --no-autostop-share 0.25 --gpu-cost 38 ||
    { fail cost_truth_sim "no manifest"; exit 1; }
# interval = 1s (and --interval 1): the snapshots below list again (the cadence holds across
# processes, through a stamp beside the history file).
printf '[cost]\ninterval = 1s\noff_peak_hours = %s-%s\noff_peak_weekends = false\n' "$A" "$B" >"$SCRATCH/peak.conf"
snap t "$SCRATCH/peak.conf" "$SCRATCH/s.json" || fail cost_truth_snapshot "$(cat "$SCRATCH/s.json.err")"
ctl t GET /truth | jq .cost >"$SCRATCH/truth.json"
S=$SCRATCH/s.json
W=$SCRATCH/truth.json

check_eq cost_truth_sources "$(jq -r '[.sources[] | select(.name == "coder-cost" or .name == "coder-groups") |
    "\(.name)=\(.status)"] | join(" ")' "$S")" "coder-cost=ok coder-groups=ok"
check_eq cost_truth_off_peak_now "$(jq .off_peak_now "$W")" false
for f in workspaces_running running_off_peak without_autostop daily_cost_credits; do
    check_eq "cost_truth_$f" "$(jq ".cost.$f" "$S")" "$(jq ".$f" "$W")"
done
# The shares are the simulator's settings (a seeded draw: within 10 points).
check_eq cost_truth_shares_plausible "$(jq '.cost | (.running_off_peak / .workspaces_running) as $o |
    (.without_autostop / .workspaces_running) as $n | $o > 0.2 and $o < 0.4 and $n > 0.15 and $n < 0.35' "$S")" true
check_eq cost_truth_listed_at "$(jq '.cost.listed_at != null and .cost.groups_at != null' "$S")" true
GROUPS='[.[] | "\(.organization)/\(.name) \(.members) \(.allowance_credits) \(.budget_credits) \(.consumed_credits)"] | sort | join("; ")'
check_eq cost_truth_groups "$(jq -r ".cost.groups | $GROUPS" "$S")" "$(jq -r ".groups | $GROUPS" "$W")"
# gpu-users at 38 credits a workspace use 152 of 160: the advisor says so.
check_eq cost_truth_quota_finding "$(jq -r '[.findings[] | select(.rule == "cost.quota_group") |
    "\(.entity) \(.severity)"] | join(" ")' "$S")" "quota_group/coder/gpu-users crit"
# 25 % of the running ones have no autostop: above the 20 % notice.
check_eq cost_truth_autostop_finding "$(jq -r '[.findings[] | select(.rule == "cost.no_autostop") |
    .severity] | join(" ")' "$S")" "info"

# While it is off-peak, every running workspace counts.
printf '[cost]\ninterval = 1s\noff_peak_hours = %s-%s\noff_peak_weekends = false\n' "$(((H + 23) % 24))" \
    "$(((H + 3) % 24))" >"$SCRATCH/off.conf"
snap t "$SCRATCH/off.conf" "$SCRATCH/o.json" || fail cost_truth_off_snapshot "$(cat "$SCRATCH/o.json.err")"
check_eq cost_truth_all_running_off_peak "$(jq '.cost.running_off_peak' "$SCRATCH/o.json")" \
    "$(jq '.workspaces_running' "$W")"
# No off-peak hours at all: unknown, not zero.
printf '[cost]\ninterval = 1s\noff_peak_hours = none\noff_peak_weekends = false\n' >"$SCRATCH/none.conf"
snap t "$SCRATCH/none.conf" "$SCRATCH/n.json" || fail cost_truth_none_snapshot "$(cat "$SCRATCH/n.json.err")"
check_eq cost_truth_no_hours_unknown "$(jq -c '[.cost.running_off_peak, .cost.workspaces_running]' "$SCRATCH/n.json")" \
    "[null,$(jq '.workspaces_running' "$W")]"

# Without a licence: groups need Premium, the running list does not.
sim_start u --preset 1k --seed 9 --ws-drift off --unlicensed || { fail cost_truth_sim_unlicensed "no manifest"; exit 1; }
snap u "$SCRATCH/peak.conf" "$SCRATCH/snap-u.json" || fail cost_truth_unlicensed_snapshot "$(cat "$SCRATCH/snap-u.json.err")"
check_eq cost_truth_unlicensed_groups_source "$(jq -r '.sources[] | select(.name == "coder-groups") |
    "\(.status) \(.reason)"' "$SCRATCH/snap-u.json")" "disabled needs_premium"
check_eq cost_truth_unlicensed_no_groups "$(jq -c '[.cost.groups, .cost.groups_at]' "$SCRATCH/snap-u.json")" "[[],null]"
check_eq cost_truth_unlicensed_running "$(jq '.cost.workspaces_running' "$SCRATCH/snap-u.json")" \
    "$(ctl u GET /truth | jq .cost.workspaces_running)"
check_eq cost_truth_unlicensed_cost_source "$(jq -r '.sources[] | select(.name == "coder-cost") | .status' \
    "$SCRATCH/snap-u.json")" ok

# A second one-shot right after, with the default 15-minute interval: it
# does not list again (a cron `check` every minute must not), and says why.
printf '[cost]\noff_peak_hours = %s-%s\noff_peak_weekends = false\n' "$A" "$B" >"$SCRATCH/default.conf"
ctl u DELETE /requests >/dev/null
snap u "$SCRATCH/default.conf" "$SCRATCH/again-u.json" || fail cost_truth_again_snapshot "$(cat "$SCRATCH/again-u.json.err")"
check_eq cost_truth_again_not_listed "$(ctl u GET /requests | jq '[.requests[] |
    select(.path == "/api/v2/workspaces" and (.query | test("status:running")) and
           (.query | test("limit=1(&|$)") | not))] | length')" 0
check_eq cost_truth_again_says_why "$(jq -r '.sources[] | select(.name == "coder-cost") |
    "\(.status) \(.reason) \(.error | test("by another scaletop"))"' "$SCRATCH/again-u.json")" \
    "disabled rate_limited true"
