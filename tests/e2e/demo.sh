#!/bin/sh
# End-to-end: `scaletop demo` in tmux. Within a minute it shows the
# simulated deployment LIVE with a provisioner backlog building (the
# incident scenario) and, where PostgreSQL is installed, the throwaway
# PostgreSQL's numbers; q and Ctrl-C both stop the simulator and PostgreSQL
# and remove the temporary directory (TMPDIR points into the scratch
# directory, so what is left is visible).
. tests/lib/sh.sh
scratch
. tests/lib/tmux.sh
trap 'tmux_cleanup; pkill_left; rm -rf "$SCRATCH"' EXIT

# pkill_left: stop anything still running from the scratch directory (a
# failed test must not leave it behind), by pid.
pkill_left() {
    for p in $(pgrep -f "$SCRATCH/tmp/scaletop-demo" 2>/dev/null); do
        kill -KILL "$p" 2>/dev/null
    done
}
left() { pgrep -f "$SCRATCH/tmp/scaletop-demo" 2>/dev/null | tr '\n' ' '; }

if ! command -v tmux >/dev/null 2>&1; then
    fail demo-tmux "tmux is not installed (scripts/deps.sh installs it)"
    exit 0
fi
mkdir -p "$SCRATCH/tmp"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | head -n 1)

tmux_start d 120 40 "TMPDIR='$SCRATCH/tmp'"
tmux_launch demo
if wait_for 'coder-api' 600; then ok demo-starts; else
    fail demo-starts "$(screen | grep -v '^$' | tail -n 3 | tr '\n' '|')"
fi
check_contains demo-live "$(header)" ' LIVE '
# the backlog: pending on cluster=prod above zero within a minute
i=0
pending=0
while [ $i -lt 60 ]; do
    pending=$(screen | grep -m1 'cluster=prod' | grep -o ' [0-9][0-9]* ' | head -n 1 | tr -d ' ')
    [ "${pending:-0}" -gt 0 ] && break
    sleep 1
    i=$((i + 1))
done
if [ "${pending:-0}" -gt 0 ]; then ok demo-backlog-builds; else
    fail demo-backlog-builds "$(screen | grep -m1 'cluster=prod')"
fi
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
    if wait_for 'transactions/s' 300; then ok demo-postgres; else
        fail demo-postgres "$(screen | grep -A3 Postgres | head -n 4 | tr '\n' '|')"
    fi
else
    if wait_for 'disabled: set --pg' 100; then ok demo-postgres-hint; else
        fail demo-postgres-hint "$(screen | grep -A3 Postgres | head -n 4 | tr '\n' '|')"
    fi
fi
[ -n "$(left)" ] && ok demo-processes-running || fail demo-processes-running "no simulator found"
t send-keys -t "$SESS" q
restored demo-q-restores
check_eq demo-q-cleans-processes "$(left)" ""
check_eq demo-q-removes-tmp "$(ls -A "$SCRATCH/tmp")" ""

# Ctrl-C: the demo cleans up, then dies of SIGINT (the shell, which gets
# the SIGINT too, drops the rest of its command line: the prompt is back)
tmux_launch demo
wait_for 'coder-api' 600
t send-keys -t "$SESS" C-c
if wait_for 'PROMPT$' 100 && [ "$(fmt '#{alternate_on}')" = 0 ]; then ok demo-ctrl-c-exit; else
    fail demo-ctrl-c-exit "$(screen | grep -v '^$' | tail -n 2 | tr '\n' '|')"
fi
check_eq demo-ctrl-c-cleans-processes "$(left)" ""
check_eq demo-ctrl-c-removes-tmp "$(ls -A "$SCRATCH/tmp")" ""
