#!/bin/sh
# Every simulated /metrics passes Prometheus's own `promtool check metrics`
# (format errors fail; only naming lints that the real Coder metrics also
# trigger are tolerated), counters grow with the simulated clock, the API
# latency histogram gives back the scenario's p50/p95/p99, the optional
# families follow --db-metrics / --agent-stats, and the 10k preset's coderd
# body has the size performance.md §1.5 predicts.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
trap sim_stop_all EXIT INT TERM

# promcheck NAME URL: format errors fail; naming lints are filtered
promcheck() {
    curl -s --max-time 30 "$2" >"$SCRATCH/scrape.prom"
    if [ ! -s "$SCRATCH/scrape.prom" ]; then
        fail "$1" "empty scrape of $2"
        return
    fi
    out=$(promtool check metrics <"$SCRATCH/scrape.prom" 2>&1)
    rc=$?
    bad=$(printf '%s\n' "$out" | grep -v 'should not have "_count" suffix' |
        grep -v 'should have "_total" suffix' | grep -v '^$')
    if [ $rc -eq 1 ] || [ -n "$bad" ]; then
        fail "$1" "promtool rc=$rc: $(printf '%s' "$bad" | head -n 3 | tr '\n' ' ')"
    else
        ok "$1"
    fi
}

# hq FILE METRIC Q: histogram_quantile over all series of METRIC (summed by le)
hq() {
    grep "^$2_bucket{" "$1" | sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' |
        awk -v q="$3" '{ c[$1] += $2 } END {
            n = 0; for (k in c) { if (k != "+Inf") { les[++n] = k + 0 } }
            # sort les numerically
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (les[j] < les[i]) { t = les[i]; les[i] = les[j]; les[j] = t }
            total = c["+Inf"]; rank = q * total; prev = 0; pc = 0
            for (i = 1; i <= n; i++) {
                key = sprintf("%g", les[i]); v = c[key]
                if (v >= rank) { printf "%.6f\n", prev + (les[i] - prev) * (rank - pc) / (v - pc); exit }
                prev = les[i]; pc = v
            }
            printf "%.6f\n", prev }'
}

# near NAME GOT WANT TOLERANCE(fraction)
near() {
    if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t * w) }'; then
        ok "$1"
    else
        fail "$1" "got $2, want $3 ±$(awk -v t="$4" 'BEGIN{print t*100}')%"
    fi
}

sim_start full --preset 1k --seed 3 --scenario incident --speed 60 --agent-stats on \
    --db-metrics on --builtin-provisioners 2 || { fail sim_start "$(cat "$SCRATCH/full.log")"; exit 1; }
sim_start plain --preset 1k --seed 3 --scenario steady || { fail sim_start plain; exit 1; }

i=0
for u in $(m full '.metrics_urls[], .provisioner_metrics_urls[]') $(m plain '.metrics_urls[], .provisioner_metrics_urls[]'); do
    promcheck "promtool_$i" "$u"
    i=$((i + 1))
done

F0=$(m full '.metrics_urls[0]')
P0=$(m plain '.metrics_urls[0]')
curl -s "$F0" >"$SCRATCH/full.prom"
curl -s "$P0" >"$SCRATCH/plain.prom"
check_eq db_metrics_on "$(grep -c '^coderd_db_query_latencies_seconds_bucket' "$SCRATCH/full.prom" | awk '{print ($1 > 0)}')" 1
check_eq db_metrics_off "$(grep -c '^coderd_db_query_latencies_seconds' "$SCRATCH/plain.prom")" 0
check_eq agent_stats_on "$(grep -c '^coderd_agentstats_rx_bytes{' "$SCRATCH/full.prom")" 1000
check_eq agent_stats_off "$(grep -c '^coderd_agentstats_' "$SCRATCH/plain.prom")" 0
check_eq agents_up_per_workspace "$(grep -c '^coderd_agents_up{' "$SCRATCH/plain.prom")" 1000
check_eq builtin_num_daemons "$(grep '^coderd_provisionerd_num_daemons ' "$SCRATCH/full.prom" | awk '{print $2}')" 2
check_eq external_only_num_daemons "$(grep '^coderd_provisionerd_num_daemons ' "$SCRATCH/plain.prom" | awk '{print $2}')" 0
for fam in process_cpu_seconds_total process_resident_memory_bytes process_open_fds process_max_fds go_goroutines process_start_time_seconds; do
    check_eq "family_$fam" "$(grep -c "^$fam " "$SCRATCH/plain.prom")" 1
done
start=$(grep '^process_start_time_seconds ' "$SCRATCH/plain.prom" | awk '{printf "%d", $2}')
created=$(api plain /api/v2/replicas | jq -r '.[0].created_at | sub("\\.[0-9]+Z$"; "Z") | fromdate')
check_eq start_time_is_replica_created_at "$start" "$created"
# every histogram: cumulative buckets, _count equal to the +Inf bucket
bad=$(awk '/_bucket\{/ { key = $1; sub(/,?le="[^"]*"\}/, "}", key); sub(/\{\}/, "", key);
        if (key == last && $2 + 0 < prev + 0) print "non-cumulative " $1; last = key; prev = $2
        if ($1 ~ /le="\+Inf"/) inf[key] = $2 }
      /_count[{ ]/ { k = $1; sub(/_count/, "_bucket", k); if ((k in inf) && inf[k] != $2) print "count!=+Inf " $1 }' "$SCRATCH/full.prom" | head -3)
check_eq histograms_consistent "$bad" ""

# counters grow with the simulated clock
sum_req() { curl -s "$1" | awk '/^coderd_api_requests_processed_total\{/ { s += $2 } END { printf "%d", s }'; }
a=$(sum_req "$F0")
sleep 2.5
b=$(sum_req "$F0")
check_eq counters_grow "$([ "$b" -gt "$a" ] && echo yes || echo "no ($a -> $b)")" yes
pa=$(curl -s "$(m full '.provisioner_metrics_urls[0]')" | awk '/^coderd_provisionerd_job_timings_seconds_count/ { s += $2 } END { print s + 0 }')
check_eq provisioner_jobs_counted "$([ "$pa" -gt 0 ] && echo yes || echo "no ($pa)")" yes

# steady: histogram_quantile of the served buckets gives back the truth's quantiles
ctl plain GET /truth >"$SCRATCH/truth.json"
for q in 50 95 99; do
    want=$(jq ".replicas[0].api_p${q}_ms" "$SCRATCH/truth.json")
    got=$(hq "$SCRATCH/plain.prom" coderd_api_request_latencies_seconds "0.$q" | awk '{print $1 * 1000}')
    near "api_p${q}_from_buckets" "$got" "$want" 0.05
done
dbw=$(jq '.replicas[0].db_latency_ms' "$SCRATCH/truth.json")
check_eq replica_db_latency_matches_truth "$(api plain /api/v2/replicas | jq --argjson w "$dbw" '.[0].database_latency == ($w * 1000 | floor)')" true

# 10k: a coderd body of realistic size (≈11 MB stats off, ≈30 MB on)
sim_start big --preset 10k --seed 5 || { fail sim_start_10k "$(cat "$SCRATCH/big.log")"; exit 1; }
sz=$(curl -s "$(m big '.metrics_urls[0]')" | wc -c)
check_eq size_10k_stats_off "$(awk -v s="$sz" 'BEGIN { print (s > 9e6 && s < 14e6) ? "ok" : s }')" ok
sim_start bigstats --preset 10k --seed 5 --agent-stats on || { fail sim_start_10k_stats x; exit 1; }
sz=$(curl -s "$(m bigstats '.metrics_urls[0]')" | wc -c)
check_eq size_10k_stats_on "$(awk -v s="$sz" 'BEGIN { print (s > 24e6 && s < 36e6) ? "ok" : s }')" ok
check_eq replicas_10k "$(m big '.metrics_urls | length')" 10
