#!/bin/sh
# `scaletop snapshot --format json` against a throwaway PostgreSQL with real
# load (tests/pg.sh): the postgres section agrees with what the server itself
# reports through psql, the password appears nowhere in the output, and a
# server that is down gives a clear error, not a hang.
. tests/lib/sh.sh

DIR=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-pgsnap.XXXXXX")
trap 'sh tests/pg.sh stop "$DIR" >/dev/null 2>&1' EXIT
if ! out=$(PG_LIFETIME=300 sh tests/pg.sh start "$DIR" 2>&1) ||
    ! out=$(sh tests/pg.sh load "$DIR" 120 2>&1); then
    fail pg_snapshot_cluster "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    exit 0
fi
. "$DIR/env"
PSQL="$PGBIN/psql"
sq() { "$PSQL" -X -A -t -q -d "$PG_SUPER_CONNINFO" -c "$1" 2>&1; }
# Client sessions other than psql's own and scaletop's.
sessions="SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
          AND pid <> pg_backend_pid() AND application_name <> 'scaletop'"

used0=$(sq "$sessions")
notify0=$(sq "SELECT pg_notification_queue_usage()")
json=$("$SCALETOP" snapshot --format json --window 1 --pg "$SCALETOP_PG_CONNINFO" 2>"$DIR/stderr")
rc=$?
used1=$(sq "$sessions")
notify1=$(sq "SELECT pg_notification_queue_usage()")
check_eq pg_snapshot_exit "$rc" 0
pg() { printf '%s' "$json" | jq -r "$1" 2>&1; }

check_eq pg_snapshot_source_ok "$(pg '.sources[] | select(.name == "postgres") | .status + " " + (.error // "no error")')" "ok no error"
check_eq pg_snapshot_up "$(pg '.postgres.up')" true
check_eq pg_snapshot_in_recovery "$(pg '.postgres.in_recovery')" "$(sq "SELECT CASE WHEN pg_is_in_recovery() THEN 'true' ELSE 'false' END")"
check_eq pg_snapshot_stats_visible "$(pg '.postgres.stats_visible')" true
check_eq pg_snapshot_version "$(pg '.postgres.version')" "$(sq "SHOW server_version")"
check_eq pg_snapshot_max "$(pg '.postgres.connections.max')" \
    "$(sq "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int")"
used=$(pg '.postgres.connections.used')
if [ "$used" -ge "$used0" ] 2>/dev/null && [ "$used" -le "$used1" ] ||
    { [ "$used" -le "$used0" ] 2>/dev/null && [ "$used" -ge "$used1" ]; }; then
    ok pg_snapshot_used
else
    fail pg_snapshot_used "scaletop $used, psql before $used0, after $used1"
fi
check_eq pg_snapshot_idle_in_transaction_at_least_3 "$(pg '.postgres.connections.idle_in_transaction >= 3')" true
holder=$(sq "SELECT pid FROM pg_stat_activity WHERE application_name = 'scaletop-load-holder'")
waiter=$(sq "SELECT pid FROM pg_stat_activity WHERE application_name = 'scaletop-load-waiter'")
check_eq pg_snapshot_lock_wait "$(pg ".postgres.lock_waits[] | select(.pid == $waiter) | .blocked_by")" "$holder"
check_eq pg_snapshot_waiting "$(pg '.postgres.connections.waiting >= 1')" true
# (JSON carries 15 significant digits: compare with a relative margin.)
check_eq pg_snapshot_notify "$(pg ".postgres.notify_queue_usage > 0 and .postgres.notify_queue_usage >= $notify0 * 0.999999 and .postgres.notify_queue_usage <= $notify1 * 1.000001")" true
check_eq pg_snapshot_tps "$(pg '.postgres.tps > 5')" true
check_eq pg_snapshot_replication_none "$(pg '.postgres.replication | length')" "$(sq "SELECT count(*) FROM pg_stat_replication")"
check_eq pg_snapshot_rtt "$(pg '.postgres.rtt_ms > 0 and .postgres.rtt_ms < 1000')" true
case "$json$(cat "$DIR/stderr")" in
*"$SCALETOP_PG_PASSWORD"*) fail pg_snapshot_no_password "the password is in the output" ;;
*) ok pg_snapshot_no_password ;;
esac

# libpq's own environment, no --pg.
json=$(env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGUSER=scaletop PGDATABASE=coder \
    PGPASSWORD="$SCALETOP_PG_PASSWORD" "$SCALETOP" snapshot --format json --window 1 2>&1)
check_eq pg_snapshot_from_environment "$(pg '.sources[] | select(.name == "postgres") | .status')" ok

# A wrong password: an error that says so and does not repeat it.
json=$("$SCALETOP" snapshot --format json --window 1 \
    --pg "host=127.0.0.1 port=$PGPORT dbname=coder user=scaletop password=wrong-pw-31337" 2>&1)
check_contains pg_snapshot_bad_password "$(pg '.sources[] | select(.name == "postgres") | .status + ": " + .error')" "error: cannot connect to PostgreSQL"
case "$json" in
*wrong-pw-31337*) fail pg_snapshot_bad_password_hidden "the password is in the output" ;;
*) ok pg_snapshot_bad_password_hidden ;;
esac

# The server goes down: a clear error, quickly, and null numbers.
sh tests/pg.sh server-stop "$DIR" >/dev/null 2>&1
start=$(date +%s)
json=$(timeout 30 "$SCALETOP" snapshot --format json --window 1 --pg "$SCALETOP_PG_CONNINFO" 2>&1)
took=$(($(date +%s) - start))
check_contains pg_snapshot_down_error "$(pg '.sources[] | select(.name == "postgres") | .status + ": " + .error')" "error: cannot connect to PostgreSQL"
check_eq pg_snapshot_down_nulls "$(pg '[.postgres.up, .postgres.connections.used, .postgres.tps] | map(tostring) | join(" ")')" "false null null"
if [ "$took" -le 15 ]; then ok pg_snapshot_down_bounded; else fail pg_snapshot_down_bounded "took ${took}s"; fi
