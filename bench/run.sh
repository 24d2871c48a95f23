#!/bin/sh
# `make bench`: runs every build/bench/* program and prints its
# "bench: <what> = <figure> <unit> (goal ...)" lines (DESIGN.md §8), then the
# peer comparisons measured in the same run. Benchmarks report; they never
# fail the build on noise.
set -u
: "${BUILD:=build}"
: "${SHARED:=../shared}"
export SHARED
TMP=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for b in "$BUILD"/bench/*; do
    [ -x "$b" ] || continue
    "$b" 2>&1 | grep -E '^(bench:|\[ratio)' || echo "bench: $(basename "$b") failed"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }

# Peer: promtool's own parser (`promtool check metrics`, which also lints) on
# the same generated 30 MB coderd scrape.
if [ -x "$BUILD/bench/promparse" ] && command -v promtool >/dev/null 2>&1; then
    f="$TMP/coderd-30mb.prom"
    if PROMPARSE_WRITE="$f" PROMPARSE_MB=30.2 "$BUILD/bench/promparse" >/dev/null 2>&1 && [ -s "$f" ]; then
        mb=$(wc -c <"$f" | awk '{printf "%.1f", $1/1e6}')
        ours=$(PROMPARSE_INPUT="$f" "$BUILD/bench/promparse" 2>/dev/null |
            sed -n 's/^bench: prometheus text parse, .* = \([0-9.]*\) MB\/s.*/\1/p' | head -n 1)
        times=""
        for i in 1 2 3; do
            t0=$(date +%s.%N)
            promtool check metrics <"$f" >/dev/null 2>&1
            t1=$(date +%s.%N)
            times="$times $(echo "$t1 $t0" | awk '{print $1-$2}')"
        done
        pt=$(echo "$times" | tr ' ' '\n' | grep . | median)
        peer=$(echo "$mb $pt" | awk '{ if ($2 > 0) printf "%.0f", $1/$2; else print 0 }')
        echo "bench: promtool check metrics, same ${mb} MB scrape = ${peer} MB/s (peer, median of 3)"
        if [ -n "$ours" ] && [ "${peer:-0}" != 0 ]; then
            echo "$ours $peer" | awk '{printf "[ratio vs promtool = %.1f]\n", $1/$2}'
        fi
    fi
fi

# Poll-cycle cost at the 10k preset through Prometheus versus direct scraping.
sh bench/prometheus.sh 2>/dev/null | grep -E '^(bench:|\[ratio)'
