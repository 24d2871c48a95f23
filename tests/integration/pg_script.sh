#!/bin/sh
# tests/pg.sh, the throwaway PostgreSQL: starts and stops cleanly twice in a
# row, leaves no process and no file behind, gives the scaletop role exactly
# pg_monitor with password auth over TCP, and `load` produces the sessions the
# Postgres pane is meant to show, without the password in any process list.
. tests/lib/sh.sh
PG_SH=tests/pg.sh

# Processes whose command line names the directory (pgrep only looks; it ends nothing).
leftovers() { pgrep -f -- "$1" 2>/dev/null | tr '\n' ' '; }
# Without ps and pgrep the leftover checks below would pass without looking.
check pg_has_procps sh -c 'command -v pgrep && command -v ps' 

round() {
    n=$1
    dir=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-pgsh.XXXXXX")
    if ! out=$(sh "$PG_SH" start "$dir" 2>&1); then
        fail "pg_start_$n" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
        rm -rf "$dir"
        return
    fi
    ok "pg_start_$n"
    . "$dir/env"
    check_eq "pg_env_private_$n" "$(stat -c %a "$dir/env")" 600
    pm=$(head -n 1 "$PGDATA/postmaster.pid")
    check "pg_listens_on_loopback_$n" sh -c "'$PGBIN/psql' -X -A -t -d 'host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres password=x' -c 'SELECT 1' 2>&1 | grep -q 'password authentication failed'"
    got=$("$PGBIN/psql" -X -A -t -d "$SCALETOP_PG_CONNINFO" \
        -c "SELECT current_user || ' ' || pg_has_role('pg_monitor', 'USAGE') || ' ' || current_database() || ' ' || host(inet_server_addr())" 2>&1)
    check_eq "pg_scaletop_role_$n" "$got" "scaletop true coder 127.0.0.1"
    got=$(PGPASSWORD= "$PGBIN/psql" -X -A -t -w -d "host=127.0.0.1 port=$PGPORT dbname=coder user=scaletop" -c 'SELECT 1' 2>&1)
    check_contains "pg_scaletop_needs_password_$n" "$got" "password"
    got=$("$PGBIN/psql" -X -A -t -d "$PG_SUPER_CONNINFO" -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'scaletop'" 2>&1)
    check_eq "pg_scaletop_not_superuser_$n" "$got" "f"

    if [ "$n" = 1 ]; then
        if out=$(sh "$PG_SH" load "$dir" 20 2>&1); then
            ok pg_load_starts
            got=$("$PGBIN/psql" -X -A -t -d "$PG_SUPER_CONNINFO" -c "
                SELECT count(*) FILTER (WHERE application_name = 'scaletop-load-pgbench') || ' ' ||
                       count(*) FILTER (WHERE application_name = 'scaletop-load-idle' AND state = 'idle in transaction') || ' ' ||
                       count(*) FILTER (WHERE application_name = 'scaletop-load-waiter' AND wait_event_type = 'Lock') || ' ' ||
                       count(*) FILTER (WHERE application_name = 'scaletop-load-listener' AND state = 'idle in transaction') || ' ' ||
                       (pg_notification_queue_usage() > 0)
                FROM pg_stat_activity" 2>&1)
            check_eq pg_load_sessions "$got" "4 1 1 1 true"
            got=$("$PGBIN/psql" -X -A -t -d "$PG_SUPER_CONNINFO" -c "
                SELECT w.pid <> h.pid AND h.pid = ANY (pg_blocking_pids(w.pid))
                FROM pg_stat_activity w, pg_stat_activity h
                WHERE w.application_name = 'scaletop-load-waiter'
                  AND h.application_name = 'scaletop-load-holder'" 2>&1)
            check_eq pg_load_lock_wait_blocked_by_holder "$got" "t"
            if ps -eo args | grep -F -- "$SCALETOP_PG_PASSWORD" | grep -vq grep; then
                fail pg_password_not_in_process_list "the password is on a command line"
            else
                ok pg_password_not_in_process_list
            fi
        else
            fail pg_load_starts "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
        fi
    fi

    if out=$(sh "$PG_SH" stop "$dir" 2>&1); then ok "pg_stop_$n"; else fail "pg_stop_$n" "$out"; fi
    if [ -e "$dir" ]; then fail "pg_dir_removed_$n" "$dir still exists"; else ok "pg_dir_removed_$n"; fi
    if kill -0 "$pm" 2>/dev/null; then
        fail "pg_server_gone_$n" "postmaster $pm still running"
    else
        ok "pg_server_gone_$n"
    fi
    left=$(leftovers "$dir")
    check_eq "pg_no_leftover_processes_$n" "$left" ""
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 2; then
        fail "pg_port_closed_$n" "something still answers on $PGPORT"
    else
        ok "pg_port_closed_$n"
    fi
}

round 1
round 2

# Stopping what is already gone is not an error; starting into a used directory is.
dir=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-pgsh.XXXXXX")
touch "$dir/something"
if sh "$PG_SH" start "$dir" >/dev/null 2>&1; then
    fail pg_refuses_nonempty_dir "started in a non-empty directory"
    sh "$PG_SH" stop "$dir" >/dev/null 2>&1
else
    ok pg_refuses_nonempty_dir
fi
rm -rf "$dir"
check pg_stop_missing_dir_is_fine sh "$PG_SH" stop "$dir"

# A directory whose socket path would be too long (or that the server user cannot
# enter) gets its server files in a private directory under /tmp, removed on stop too.
long=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-pgsh-long.XXXXXX")/$(printf 'd%.0s' $(seq 1 90))
if out=$(sh "$PG_SH" start "$long" 2>&1); then
    run=$(cat "$long/rundir" 2>/dev/null)
    case $run in
    /tmp/scaletop-pg.*) ok pg_long_dir_uses_private_rundir ;;
    *) fail pg_long_dir_uses_private_rundir "rundir '$run'" ;;
    esac
    . "$long/env"
    got=$("$PGBIN/psql" -X -A -t -d "$SCALETOP_PG_CONNINFO" -c 'SELECT 1' 2>&1)
    check_eq pg_long_dir_serves "$got" 1
    sh "$PG_SH" stop "$long" >/dev/null 2>&1
    if [ -e "$long" ] || { [ -n "$run" ] && [ -e "$run" ]; }; then
        fail pg_long_dir_cleaned "left $long or $run"
    else
        ok pg_long_dir_cleaned
    fi
else
    fail pg_long_dir_uses_private_rundir "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
fi
rm -rf "$(dirname "$long")"
