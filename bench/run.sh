#!/bin/sh
# `make bench`: measures every budget of DESIGN.md §9 and prints one line per
# budget, "bench: <what> = <figure> <unit> (goal <= or >= <value> <unit>)",
# with "[ratio vs <peer> = <x>]" where a peer was measured in the same run.
# Benchmarks report; they never fail the build on noise: the exit status is 0
# unless a benchmark could not run at all.
#
# Order: the self-contained programs (parser, history store, full-screen
# render), then the parser and promtool on the simulator's own 10k scrape,
# then poll cycles against the simulator at the 10k, 3k and 1k presets, then
# the console on a pseudo-terminal beside htop (against the 1k simulator,
# with the history the 1k poll run recorded). As root, the whole run moves
# into a private network namespace first, so that the loopback byte counters
# see only the simulator and scaletop.
#
# BENCH_QUICK=1 shortens every span (for trying the harness, not for figures).
set -u
: "${BUILD:=build}"
: "${SHARED:=../shared}"
export SHARED

if [ -z "${BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    command -v ip >/dev/null 2>&1 && unshare -n sh -c 'ip link set lo up' 2>/dev/null; then
    BENCH_NETNS=1 exec unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-bench.XXXXXX")
SIM="$BUILD/scaletop-sim"
TMP=$SCRATCH
couldnt=0
fail() { echo "bench: $1 could not run: $2"; couldnt=1; }
. tests/lib/sim.sh
trap sim_stop_all EXIT
# Nothing from the user's own configuration (coder CLI login, kubeconfig, history).
export HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/home/.config" XDG_STATE_HOME="$SCRATCH/home/.state"
mkdir -p "$HOME"
unset CODER_URL CODER_SESSION_TOKEN KUBECONFIG SCALETOP_CONFIG SCALETOP_DB PGHOST PGHOSTADDR \
    PGSERVICE PGDATABASE 2>/dev/null

q() { if [ "${BENCH_QUICK:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }

cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM," \
    "$(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

bench_bin() {
    if [ ! -x "$BUILD/bench/$1" ]; then
        fail "$1" "$BUILD/bench/$1 not built"
        return 1
    fi
}

# --- Self-contained programs -------------------------------------------------
for b in promparse store render; do
    bench_bin "$b" || continue
    out=$("$BUILD/bench/$b" 2>&1)
    echo "$out" | grep -E '^(bench:|\[ratio)'
    echo "$out" | grep -q "^ok " || fail "$b" "$(echo "$out" | grep -v '^bench:' | tail -n 1)"
done

# promtool_vs FILE LABEL: our parser and `promtool check metrics` (the peer:
# Prometheus's own parser, which also lints) on the same file, median of 3.
promtool_vs() {
    f=$1
    label=$2
    bench_bin promparse || return
    if ! command -v promtool >/dev/null 2>&1; then
        echo "bench: promtool not installed (scripts/deps.sh bench): no peer for the parser"
        return
    fi
    mb=$(wc -c <"$f" | awk '{printf "%.1f", $1/1e6}')
    out=$(PROMPARSE_INPUT="$f" PROMPARSE_LABEL="$label" "$BUILD/bench/promparse" 2>/dev/null)
    ours=$(echo "$out" | sed -n 's/^bench: prometheus text parse, .* = \([0-9.]*\) MB\/s.*/\1/p' | head -n 1)
    times=""
    for i in 1 2 3; do
        t0=$(date +%s.%N)
        promtool check metrics <"$f" >/dev/null 2>&1
        t1=$(date +%s.%N)
        times="$times $(echo "$t1 $t0" | awk '{print $1-$2}')"
    done
    pt=$(echo "$times" | tr ' ' '\n' | grep . | median)
    peer=$(echo "$mb $pt" | awk '{ if ($2 > 0) printf "%.0f", $1/$2; else print 0 }')
    if [ -n "$ours" ] && [ "${peer:-0}" != 0 ]; then
        ratio=$(echo "$ours $peer" | awk '{printf "%.1f", $1/$2}')
        echo "$out" | grep '^bench: prometheus text parse, ' |
            sed "s/\$/   [ratio vs promtool = $ratio; promtool check metrics ${peer} MB\/s on the same ${mb} MB, median of 3]/"
        echo "$out" | grep '^bench: prometheus text parse' | grep -v '^bench: prometheus text parse, '
    else
        echo "$out" | grep '^bench:'
    fi
}

# The generated 30 MB scrape (agent stats at full cardinality, the 10k model).
if [ -x "$BUILD/bench/promparse" ]; then
    f="$TMP/coderd-30mb.prom"
    if PROMPARSE_WRITE="$f" PROMPARSE_MB=30.2 "$BUILD/bench/promparse" >/dev/null 2>&1 && [ -s "$f" ]; then
        promtool_vs "$f" "generated 10k scrape, agent stats at full cardinality"
    fi
    rm -f "$f"
fi

# --- Against the simulator ----------------------------------------------------
if [ ! -x "$SIM" ]; then
    fail "simulator" "$SIM not built"
fi

# poll_run NAME PRESET SECONDS MEMGOAL: the recorder's work against sim NAME.
poll_run() {
    bench_bin pollcycle || return
    POLL_ARGS="$(sim_args "$1")" POLL_LABEL="$2" POLL_SECONDS="$3" POLL_MEM_GOAL="$4" \
        POLL_NETNS="${BENCH_NETNS:-0}" POLL_DB="$TMP/history-$2.db" \
        "$BUILD/bench/pollcycle" 2>"$TMP/poll-$2.err" | grep '^bench:' ||
        fail "poll cycle, $2 preset" "$(tail -n 1 "$TMP/poll-$2.err")"
}

# sim_stop NAME: stops one simulator (by its pid from the manifest).
sim_stop() {
    p=$(m "$1" .pid)
    kill -TERM "$p" 2>/dev/null
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

if [ -x "$SIM" ] && sim_start s10k --preset 10k; then
    f="$TMP/sim-10k.prom"
    if curl -s --max-time 60 -o "$f" "$(m s10k '.metrics_urls[0]')" && [ -s "$f" ]; then
        promtool_vs "$f" "the simulator's 10k coderd scrape (one replica)"
    else
        fail "parse of the simulator's 10k scrape" "no body from $(m s10k '.metrics_urls[0]')"
    fi
    rm -f "$f"
    poll_run s10k 10k "$(q 40 10)" 48
    # The same without the Kubernetes source (it lists every pod each cycle),
    # to show where the cycle's CPU goes.
    bench_bin pollcycle &&
        POLL_ARGS="$(sim_args s10k | sed 's/--kubeconfig [^ ]*//')" \
            POLL_LABEL=10k POLL_NOTE="without the Kubernetes source" POLL_SECONDS="$(q 30 10)" \
            POLL_NETNS="${BENCH_NETNS:-0}" "$BUILD/bench/pollcycle" 2>/dev/null |
        grep '^bench: poll cycle CPU'
    sim_stop s10k
elif [ -x "$SIM" ]; then
    fail "10k simulator" "$(tail -n 1 "$TMP/s10k.log" 2>/dev/null)"
fi

if [ -x "$SIM" ] && sim_start s3k --preset 3k; then
    poll_run s3k 3k "$(q 30 10)" ""
    sim_stop s3k
fi

# PROMSRC: when the Prometheus source lands, the 10k poll through Prometheus
# goes here (see docs/performance.md).

if [ -x "$SIM" ] && sim_start s1k --preset 1k; then
    poll_run s1k 1k "$(q 30 10)" 24
    # The console's settings: the same sources, through its config file (the
    # console reads it whichever flags it takes), and the 1k history as warm.
    m s1k .token >"$TMP/s1k.token"
    sim_args s1k >/dev/null
    mkdir -p "$XDG_CONFIG_HOME/scaletop"
    {
        echo "[coder]"
        echo "url = $(m s1k .coder_url)"
        echo "token_file = $TMP/s1k.token"
        echo "[metrics]"
        for u in $(m s1k '.metrics_urls[]'); do echo "url = $u"; done
        for u in $(m s1k '.provisioner_metrics_urls[]'); do echo "provisioner_url = $u"; done
        echo "[kubernetes]"
        echo "kubeconfig = $TMP/s1k.kubeconfig"
        echo "[history]"
        echo "db = $TMP/history-1k.db"
    } >"$XDG_CONFIG_HOME/scaletop/config"
    if [ -x "$BUILD/bench/term" ] && command -v htop >/dev/null 2>&1; then
        before=$(ctl s1k GET /__sim/requests | jq -r .total)
        TERM_CMD="exec $BUILD/scaletop" TERM_PEER="exec htop -d 10" TERM_MODE=first \
            TERM_SIZE=200x60 "$BUILD/bench/term" | grep '^bench:'
        TERM_CMD="exec $BUILD/scaletop" TERM_PEER="exec htop -d 10" TERM_MODE=steady \
            TERM_SIZE=80x24 TERM_SECONDS="$(q 20 5)" TERM_GOAL_B=600 TERM_WHAT="1k preset" \
            "$BUILD/bench/term" | grep '^bench:'
        TERM_CMD="exec $BUILD/scaletop" TERM_PEER="exec htop -d 10" TERM_MODE=steady \
            TERM_SIZE=200x60 TERM_SECONDS="$(q 30 5)" TERM_GOAL_B=2000 TERM_WHAT="1k preset" \
            TERM_CPU_GOAL=1 TERM_MEM_GOAL=24 "$BUILD/bench/term" | grep '^bench:'
        after=$(ctl s1k GET /__sim/requests | jq -r .total)
        if [ "${before:-0}" = "${after:-0}" ]; then
            echo "bench: note: the console made no request to the simulator: this build's console" \
                "does not poll yet, so its figures above are for the console without live data"
        fi
    elif [ -x "$BUILD/bench/term" ]; then
        echo "bench: htop not installed (scripts/deps.sh bench): no peer for the terminal figures"
    fi
    sim_stop s1k
fi

# Nothing changed: no source configured, nothing new to show.
rm -f "$XDG_CONFIG_HOME/scaletop/config"
if bench_bin term; then
    for size in 80x24 200x60; do
        TERM_CMD="exec $BUILD/scaletop" TERM_MODE=steady TERM_SIZE=$size TERM_SECONDS="$(q 10 4)" \
            TERM_GOAL_B=0 TERM_WHAT="nothing changed" "$BUILD/bench/term" | grep '^bench:'
    done
fi

# Poll-cycle cost at the 10k preset through Prometheus versus direct scraping.
sh bench/prometheus.sh 2>/dev/null | grep -E '^(bench:|\[ratio)'

exit $couldnt
