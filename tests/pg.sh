#!/bin/sh
# A throwaway PostgreSQL cluster of the real server, for tests and the demo.
#
#   tests/pg.sh start DIR        initdb + pg_ctl start in DIR (created if absent, must be
#                                empty); listens on 127.0.0.1:<free port> and a Unix socket;
#                                creates the login role `scaletop` (pg_monitor, password auth
#                                over TCP) and the database `coder`; writes DIR/env (0600)
#                                and prints it.
#   tests/pg.sh load DIR [SECS]  starts bounded real load for SECS seconds (default 60):
#                                pgbench, a session idle in transaction, a lock wait (a holder
#                                and a blocked waiter), a LISTEN session stuck in a transaction
#                                and a NOTIFY sender, so the notify queue fills a little.
#   tests/pg.sh standby DIR      adds a streaming standby (pg_basebackup) on another port,
#                                named `scaletop-standby`; DIR/env gains STANDBY_PORT,
#                                PG_STANDBY_SUPER_CONNINFO and SCALETOP_PG_STANDBY_CONNINFO.
#   tests/pg.sh server-stop DIR  stops only the primary (keeps DIR: "PostgreSQL went down").
#   tests/pg.sh server-start DIR starts it again on the same port.
#   tests/pg.sh stop DIR         stops the load and the server and removes DIR, leaving no
#                                process and no file behind.
#
# DIR/env is shell-sourceable: PGBIN, PGDATA, PGHOST (the socket directory), PGPORT,
# PG_SUPER_CONNINFO (superuser `postgres` over the socket, trust), SCALETOP_PG_CONNINFO
# (role `scaletop` over TCP with its password), SCALETOP_PG_USER, SCALETOP_PG_PASSWORD.
#
# As root the server runs as the `postgres` system user (Debian's postgresql package
# creates it; initdb refuses root). PG_LOAD_TPS sets pgbench's rate (default 50).
# PG_LIFETIME=SECONDS on `start` adds a watchdog that
# runs `stop` after that long, so a crashed test cannot leave a server running forever.
# Every background process is started in its own session, and its id is recorded in
# DIR/pids; `stop` ends exactly those process groups and the server it started.
set -u

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

# Environment that would redirect our own client commands elsewhere.
unset PGSERVICE PGSERVICEFILE PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE \
    PGOPTIONS PGAPPNAME PGSSLMODE PGCONNECT_TIMEOUT PGTARGETSESSIONATTRS 2>/dev/null

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

find_bin() {
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    p=$(command -v pg_ctl 2>/dev/null) || return 1
    p=$(readlink -f "$p")
    dirname "$p"
}

# The user the server runs as: ourselves, or a system user when we are root.
run_user() {
    if [ "$(id -u)" != 0 ]; then
        echo ""
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! id scaletop-pg >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin scaletop-pg ||
                die "cannot create a system user to run PostgreSQL as (initdb refuses root)"
        fi
        echo scaletop-pg
    fi
}

# as_srv CMD...: runs CMD as the server's user, from a directory it can enter.
as_srv() {
    if [ -n "$RUNAS" ]; then
        (cd / && runuser -u "$RUNAS" -- "$@")
    else
        (cd / && "$@")
    fi
}

random_port() {
    n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $((20000 + n % 40000))
}

load_env() {
    [ -f "$DIR/env" ] || die "$DIR/env not found: was the cluster started with '$0 start $DIR'?"
    # shellcheck disable=SC1091
    . "$DIR/env"
    RUNAS=$PG_RUN_USER
}

super_psql() {
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_SUPER_CONNINFO" "$@"
}

# server_start PORT [DATA LOG]: starts a server (the primary by default); returns 2 if
# the port was taken.
server_start() {
    data=${2:-$PGDATA}
    log=${3:-$RUN/server.log}
    if as_srv "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -s \
        -o "-p $1" start >/dev/null 2>&1; then
        return 0
    fi
    if tail -n 20 "$log" 2>/dev/null | grep -qE 'could not bind|Address already in use|could not create lock file'; then
        return 2
    fi
    return 1
}

# bg NAME COMMAND: runs COMMAND (a shell string) in its own session; the session's
# leader records its own id (= the process group id) in DIR/pids before running it.
bg() {
    setsid sh -c "echo \"\$\$ $1\" >>'$DIR/pids'; $2" </dev/null >>"${3:-$DIR/load.log}" 2>&1 &
    i=0
    while ! grep -q " $1\$" "$DIR/pids" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

# wait_for SQL: polls until SQL (run as superuser) returns 't', at most 10 s.
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        [ "$(super_psql -A -t -c "$1" 2>/dev/null)" = t ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

kill_groups() { # kills every process group recorded in DIR/pids, then waits for them
    [ -f "$DIR/pids" ] || return 0
    while read -r pid name; do
        [ -n "$pid" ] || continue
        if [ "$name" = watchdog ] && [ -n "${SCALETOP_PG_WATCHDOG:-}" ]; then
            continue
        fi
        kill -TERM "-$pid" 2>/dev/null
    done <"$DIR/pids"
    i=0
    while [ $i -lt 50 ]; do
        alive=0
        while read -r pid name; do
            if [ "$name" = watchdog ] && [ -n "${SCALETOP_PG_WATCHDOG:-}" ]; then
                continue
            fi
            kill -0 "-$pid" 2>/dev/null && alive=1
        done <"$DIR/pids"
        [ $alive = 0 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    while read -r pid name; do
        if [ "$name" = watchdog ] && [ -n "${SCALETOP_PG_WATCHDOG:-}" ]; then
            continue
        fi
        kill -KILL "-$pid" 2>/dev/null
    done <"$DIR/pids"
    if [ -n "${SCALETOP_PG_WATCHDOG:-}" ]; then
        grep ' watchdog$' "$DIR/pids" >"$DIR/pids.new" 2>/dev/null
        mv "$DIR/pids.new" "$DIR/pids"
    else
        : >"$DIR/pids"
    fi
}

# server_stop [DATA]: stops a server (the primary by default) and waits for its processes.
server_stop() {
    data=${1:-$PGDATA}
    [ -f "$data/postmaster.pid" ] || return 0
    pm=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
    kids=$(pgrep -P "$pm" 2>/dev/null)
    as_srv "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 20 -s stop >/dev/null 2>&1 ||
        as_srv "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 10 -s stop >/dev/null 2>&1
    if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
        kill -KILL "$pm" 2>/dev/null
    fi
    i=0
    while [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    # Backends exit by themselves once the postmaster is gone; wait for them.
    for k in $kids; do
        i=0
        while kill -0 "$k" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    done
}

cmd_start() {
    PGBIN=$(find_bin) || die "PostgreSQL server binaries not found (install Debian's postgresql package)"
    [ -x "$PGBIN/initdb" ] || die "no initdb in $PGBIN"
    [ -x "$PGBIN/psql" ] || die "no psql in $PGBIN"
    RUNAS=$(run_user)
    mkdir -p "$DIR" || die "cannot create $DIR"
    DIR=$(cd "$DIR" && pwd)
    if [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
        die "$DIR is not empty (a cluster already there? '$0 stop $DIR' first)"
    fi
    chmod 0700 "$DIR"
    # The server's files live in DIR when the server user can reach it and the socket
    # path fits (107 bytes); otherwise in a private directory under /tmp.
    RUN=$DIR
    if [ -n "$RUNAS" ]; then
        chown "$RUNAS" "$DIR"
        runuser -u "$RUNAS" -- test -w "$DIR" 2>/dev/null || RUN=""
    fi
    if [ -n "$RUN" ] && [ ${#DIR} -gt 80 ]; then
        RUN=""
    fi
    if [ -z "$RUN" ]; then
        RUN=$(mktemp -d /tmp/scaletop-pg.XXXXXX) || die "mktemp failed"
        [ -n "$RUNAS" ] && chown "$RUNAS" "$RUN"
        echo "$RUN" >"$DIR/rundir"
    fi
    PGDATA=$RUN/data

    as_srv "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C -N >"$DIR/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -n 5 "$DIR/initdb.log")"
    cat >>"$PGDATA/postgresql.conf" <<EOF
# scaletop throwaway cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RUN'
max_connections = 40
superuser_reserved_connections = 3
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
deadlock_timeout = 200ms
log_min_messages = warning
log_line_prefix = '%m [%p] %a '
EOF

    tries=0
    while :; do
        port=$(random_port)
        server_start "$port"
        rc=$?
        [ $rc = 0 ] && break
        tries=$((tries + 1))
        if [ $rc != 2 ] || [ $tries -ge 10 ]; then
            as_srv "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -s stop >/dev/null 2>&1
            log=$(tail -n 5 "$RUN/server.log" 2>/dev/null)
            rm -rf "$DIR" "${RUN:?}"
            die "the server did not start: $log"
        fi
    done

    PGPORT=$port
    PGHOST=$RUN
    PG_SUPER_CONNINFO="host=$RUN port=$port dbname=postgres user=postgres"
    pw=sctpw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    # Through stdin, so that the password never appears in a process list.
    printf '%s\n' "CREATE ROLE scaletop LOGIN PASSWORD '$pw';" \
        "GRANT pg_monitor TO scaletop;" "CREATE DATABASE coder;" |
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_SUPER_CONNINFO" >"$DIR/setup.log" 2>&1 ||
        {
            cat "$DIR/setup.log" >&2
            RUNAS=$RUNAS server_stop
            rm -rf "$DIR" "$RUN"
            die "creating the scaletop role failed"
        }
    PG_SUPER_CONNINFO="host=$RUN port=$port dbname=coder user=postgres"
    umask 077
    cat >"$DIR/env" <<EOF
PGBIN='$PGBIN'
PGDATA='$PGDATA'
PGHOST='$RUN'
PGPORT='$port'
PG_RUN_USER='$RUNAS'
PG_RUN_DIR='$RUN'
PG_SUPER_CONNINFO='$PG_SUPER_CONNINFO'
SCALETOP_PG_USER='scaletop'
SCALETOP_PG_PASSWORD='$pw'
SCALETOP_PG_CONNINFO='host=127.0.0.1 port=$port dbname=coder user=scaletop password=$pw'
EOF
    : >"$DIR/pids"
    if [ -n "${PG_LIFETIME:-}" ]; then
        bg watchdog "sleep $PG_LIFETIME; SCALETOP_PG_WATCHDOG=1 exec sh '$SELF' stop '$DIR'" /dev/null
    fi
    cat "$DIR/env"
}

cmd_load() {
    load_env
    secs=${1:-60}
    case $secs in '' | *[!0-9]*) die "load: SECONDS must be a whole number" ;; esac
    [ "$secs" -ge 1 ] || die "load: SECONDS must be at least 1"
    # A previous load is replaced, not piled up.
    grep -v ' watchdog$' "$DIR/pids" >/dev/null 2>&1 && {
        while read -r pid name; do
            [ "$name" = watchdog ] && continue
            kill -TERM "-$pid" 2>/dev/null
        done <"$DIR/pids"
        grep ' watchdog$' "$DIR/pids" >"$DIR/pids.new"
        mv "$DIR/pids.new" "$DIR/pids"
    }
    base="host=$PGHOST port=$PGPORT dbname=coder user=postgres"
    psql="'$PGBIN/psql' -X -q"

    "$PGBIN/pgbench" -i -s 1 -q "$base" >>"$DIR/load.log" 2>&1 || die "pgbench -i failed"
    super_psql -c "SET client_min_messages = warning; DROP TABLE IF EXISTS scaletop_lock;
        CREATE TABLE scaletop_lock (id int PRIMARY KEY, v int NOT NULL);
        INSERT INTO scaletop_lock VALUES (1, 0);" >/dev/null || die "creating scaletop_lock failed"

    # Rate-limited so that the load stays polite on a shared 2-core machine.
    bg pgbench "exec '$PGBIN/pgbench' -n -c 4 -j 1 -R ${PG_LOAD_TPS:-50} -T $secs \
        '$base application_name=scaletop-load-pgbench'"

    bg idle-xact "{ echo 'BEGIN; SELECT txid_current();'; sleep $secs; } |
        $psql -d '$base application_name=scaletop-load-idle'"

    bg holder "{ echo 'BEGIN; UPDATE scaletop_lock SET v = v + 1 WHERE id = 1;'; sleep $secs; } |
        $psql -d '$base application_name=scaletop-load-holder'"
    wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'scaletop-load-holder'
        AND state = 'idle in transaction'" || die "the lock holder did not start"
    bg waiter "{ echo 'UPDATE scaletop_lock SET v = v + 1 WHERE id = 1;'; sleep $secs; } |
        $psql -d '$base application_name=scaletop-load-waiter'"

    bg listener "{ echo 'LISTEN scaletop_demo; BEGIN; SELECT 1;'; sleep $secs; } |
        $psql -d '$base application_name=scaletop-load-listener'"
    wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'scaletop-load-listener'
        AND state = 'idle in transaction'" || die "the listener did not start"
    # An initial backlog, then a trickle: the stuck listener keeps the queue from being trimmed.
    bg notifier "{ i=0; while [ \$i -lt $secs ]; do
            echo \"SELECT count(pg_notify('scaletop_demo', repeat('x', 7000) || g)) FROM generate_series(1, 20) g;\";
            sleep 1; i=\$((i + 1)); done; } |
        $psql -d '$base application_name=scaletop-load-notifier' >/dev/null"

    wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'scaletop-load-waiter'
        AND wait_event_type = 'Lock'" || die "the lock waiter is not waiting"
    wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'scaletop-load-idle'
        AND state = 'idle in transaction'" || die "the idle-in-transaction session did not start"
    wait_for "SELECT count(*) = 4 FROM pg_stat_activity WHERE application_name = 'scaletop-load-pgbench'" ||
        die "pgbench did not connect"
    wait_for "SELECT pg_notification_queue_usage() > 0" || die "the notify queue stayed empty"
    echo "load running for ${secs}s"
}

cmd_standby() {
    load_env
    RUN=$PG_RUN_DIR
    [ -z "${STANDBY_PORT:-}" ] || die "a standby is already running on port $STANDBY_PORT"
    sdata=$RUN/standby
    as_srv "$PGBIN/pg_basebackup" -D "$sdata" -d "host=$RUN port=$PGPORT user=postgres" \
        -R -X stream -c fast >>"$DIR/standby.log" 2>&1 ||
        die "pg_basebackup failed: $(tail -n 3 "$DIR/standby.log")"
    # The standby's walreceiver reports this name as its application_name.
    echo "cluster_name = 'scaletop-standby'" >>"$sdata/postgresql.conf"
    tries=0
    while :; do
        sport=$(random_port)
        server_start "$sport" "$sdata" "$RUN/standby-server.log"
        rc=$?
        [ $rc = 0 ] && break
        tries=$((tries + 1))
        if [ $rc != 2 ] || [ $tries -ge 10 ]; then
            die "the standby did not start: $(tail -n 3 "$RUN/standby-server.log")"
        fi
    done
    cat >>"$DIR/env" <<EOF
STANDBY_PGDATA='$sdata'
STANDBY_PORT='$sport'
PG_STANDBY_SUPER_CONNINFO='host=$RUN port=$sport dbname=coder user=postgres'
SCALETOP_PG_STANDBY_CONNINFO='host=127.0.0.1 port=$sport dbname=coder user=scaletop password=$SCALETOP_PG_PASSWORD'
EOF
    wait_for "SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'scaletop-standby'
        AND state = 'streaming' AND replay_lsn IS NOT NULL" || die "the standby is not streaming"
    echo "standby streaming on port $sport"
}

cmd_stop() {
    [ -d "$DIR" ] || return 0
    if [ -f "$DIR/env" ]; then
        load_env
        kill_groups
        if [ -n "${STANDBY_PGDATA:-}" ]; then
            server_stop "$STANDBY_PGDATA"
        fi
        server_stop
    else
        kill_groups
    fi
    if [ -f "$DIR/rundir" ]; then
        run=$(cat "$DIR/rundir")
        case $run in /tmp/scaletop-pg.*) rm -rf "$run" ;; esac
    fi
    rm -rf "$DIR"
    [ ! -e "$DIR" ] || die "could not remove $DIR"
}

[ $# -ge 2 ] || die "usage: $0 start|load|standby|server-stop|server-start|stop DIR [SECONDS]"
cmd=$1
DIR=$2
shift 2
case $cmd in
start) cmd_start ;;
load) cmd_load "$@" ;;
standby) cmd_standby ;;
server-stop)
    load_env
    server_stop
    ;;
server-start)
    load_env
    RUN=$PG_RUN_DIR
    server_start "$PGPORT" || die "the server did not start: $(tail -n 3 "$RUN/server.log")"
    ;;
stop) cmd_stop ;;
*) die "unknown command '$cmd' (start, load, standby, server-stop, server-start, stop)" ;;
esac
