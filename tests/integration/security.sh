#!/bin/sh
# Security promises of DESIGN.md §10, end to end with the real binary:
# - secrets: a known Coder token, Kubernetes token and PostgreSQL password
#   appear nowhere in the history file (sqlite3 .dump), the snapshot outputs
#   (json, md, html, text), the check output or the logs; files are 0600; the
#   Coder token goes only to the Coder URL (a header-recording metrics server
#   never sees it);
# - read-only: every request the simulator logged is a GET; every statement
#   scaletop's role ran in PostgreSQL (log_statement=all) is SELECT/SHOW/SET;
# - PostgreSQL going down during a recording: a clear error, then ok again
#   after the server restarts, with no password in the message;
# - hostile text (ESC/CSI, OSC 52, BEL, C1, bidi overrides, a 6 KB value) in a
#   replica's hostname and error, a proxy's name and an API error message:
#   no raw control byte in any output or in the recorder's log;
# - TLS: an untrusted certificate is a clear TLS error; --ca-file and
#   --insecure-skip-tls-verify both get past it.
. tests/lib/sh.sh
scratch
. tests/lib/sim.sh
. tests/lib/tools.sh
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-sec.XXXXXX")
SPY_PID="" TLS_PID="" RPID=""
cleanup() {
    for p in $RPID $SPY_PID $TLS_PID; do kill -TERM "$p" 2>/dev/null; done
    sh tests/pg.sh stop "$PGDIR" >/dev/null 2>&1
    sim_stop_all
}
trap cleanup EXIT
export HOME="$SCRATCH" XDG_STATE_HOME="$SCRATCH/state" XDG_CONFIG_HOME="$SCRATCH/cfg"
umask 022 # 0600 must come from scaletop, not from the test's umask
DUMP=$(tool_build history_dump) || { fail history_dump_build "cannot build"; exit 1; }
TOKEN=scaletopSecretCoderToken-4242
KTOKEN=scaletopSecretK8sToken-7777

sim_start s --preset 1k --seed 4 --speed 30 --token "$TOKEN" --k8s-token "$KTOKEN" ||
    { fail sim_start "no manifest"; exit 1; }
ARGS=$(sim_args s)

# A metrics endpoint that records every request's headers.
cat >"$SCRATCH/spy.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write("%s %s\n%s\n" % (self.command, self.path, str(self.headers)))
        body = b"# TYPE go_goroutines gauge\ngo_goroutines 42\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$SCRATCH/spy.py" "$SCRATCH/spy.port" "$SCRATCH/spy.log" &
SPY_PID=$!
i=0
while [ ! -s "$SCRATCH/spy.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SPY="http://127.0.0.1:$(cat "$SCRATCH/spy.port")/metrics"

# A throwaway PostgreSQL logging every statement of scaletop's role.
HAVE_PG=1
if ! out=$(PG_LIFETIME=240 sh tests/pg.sh start "$PGDIR" 2>&1); then
    fail pg_cluster "$(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
    HAVE_PG=0
fi
PGARGS=""
if [ $HAVE_PG = 1 ]; then
    . "$PGDIR/env"
    "$PGBIN/psql" -X -q -d "$PG_SUPER_CONNINFO" -c "ALTER ROLE scaletop SET log_statement = 'all'" >/dev/null 2>&1
    PGLOG="$(dirname "$PGDATA")/server.log"
    PGPW=$SCALETOP_PG_PASSWORD
fi

DB=$SCRATCH/h.db
frames() { [ -f "$DB" ] && sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null || echo 0; }
wait_frames() {
    base=$(frames)
    i=0
    while [ "$(frames)" -lt $((base + $1)) ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
}
latest() { "$DUMP" "$DB" at "$("$DUMP" "$DB" times | tail -n 1)"; }
pgstatus() { latest | jq -r '.sources[] | select(.name == "postgres") | "\(.status): \(.error)"'; }

# shellcheck disable=SC2086
if [ $HAVE_PG = 1 ]; then
    "$SCALETOP" record --db "$DB" --interval 1 --timeout 2 $ARGS --metrics "$SPY" \
        --pg "$SCALETOP_PG_CONNINFO" 2>"$SCRATCH/rec.log" &
else
    "$SCALETOP" record --db "$DB" --interval 1 --timeout 2 $ARGS --metrics "$SPY" 2>"$SCRATCH/rec.log" &
fi
RPID=$!
wait_frames 3

# ---- PostgreSQL down during the recording, then back ----
if [ $HAVE_PG = 1 ]; then
    check_contains pg_recording_ok "$(pgstatus)" "ok"
    sh tests/pg.sh server-stop "$PGDIR" >/dev/null 2>&1
    wait_frames 2
    st=$(pgstatus)
    check_contains pg_down_clear "$st" "cannot connect to PostgreSQL"
    case $st in *"$PGPW"*) fail pg_down_no_password "$st" ;; *) ok pg_down_no_password ;; esac
    sh tests/pg.sh server-start "$PGDIR" >/dev/null 2>&1
    k=0
    while [ $k -lt 15 ]; do
        wait_frames 1
        st=$(pgstatus)
        case $st in ok*) break ;; esac
        k=$((k + 1))
    done
    check_contains pg_recovers_after_restart "$st" "ok"
fi

# ---- hostile text served by the sim while recording ----
ESC=$(printf '\033')
BEL=$(printf '\007')
HOSTILE=$(printf 'evil\033[31mRED\033[0m\033]52;c;cm0gLXJmIH4=\007\033]0;title\007\302\233J\342\200\256txet\342\200\217%s' \
    "$(head -c 6000 /dev/zero | tr '\0' 'x')")
printf '%s' "$HOSTILE" >"$SCRATCH/hostile.txt"
curl -s --max-time 10 -X POST -H "Coder-Session-Token: $TOKEN" --data-binary @"$SCRATCH/hostile.txt" \
    "$(m s .control_url)/hostile" >/dev/null
wait_frames 3
# an API error whose detail is the hostile text: it reaches the recorder's log
ctl s POST /faults '{"listener":"api","path_prefix":"/api/v2/replicas","kind":"status","status":500}' >/dev/null
k=0
while ! grep -q 'HTTP 500' "$SCRATCH/rec.log" && [ $k -lt 10 ]; do wait_frames 1; k=$((k + 1)); done
ctl s DELETE /faults >/dev/null
wait_frames 1
latest >"$SCRATCH/rec-latest.json"
check_contains hostile_reached_history "$(jq -r '.servers[].hostname' "$SCRATCH/rec-latest.json")" "evil"

# ---- one-shot outputs while the sim serves the hostile text ----
OUTS=""
for f in json md html txt; do
    # shellcheck disable=SC2086
    "$SCALETOP" snapshot -o "$SCRATCH/snap.$f" --window 1 --timeout 2 $ARGS --metrics "$SPY" \
        ${SCALETOP_PG_CONNINFO:+--pg "$SCALETOP_PG_CONNINFO"} 2>>"$SCRATCH/snap.err"
    check_eq "snapshot_$f" "$?" 0
    check_eq "snapshot_${f}_mode" "$(stat -c %a "$SCRATCH/snap.$f")" 600
    OUTS="$OUTS $SCRATCH/snap.$f"
done
# shellcheck disable=SC2086
"$SCALETOP" check --format json --window 1 --timeout 2 $ARGS ${SCALETOP_PG_CONNINFO:+--pg "$SCALETOP_PG_CONNINFO"} \
    >"$SCRATCH/check.json" 2>"$SCRATCH/check.err"
# shellcheck disable=SC2086
"$SCALETOP" check --window 1 --timeout 2 $ARGS >"$SCRATCH/check.txt" 2>>"$SCRATCH/check.err"
OUTS="$OUTS $SCRATCH/check.json $SCRATCH/check.txt"
check_contains hostile_in_snapshot "$(jq -r '.servers[].hostname' "$SCRATCH/snap.json")" "evil"
check_contains hostile_in_log "$(cat "$SCRATCH/rec.log")" "HTTP 500: An internal server error occurred. (evil"

kill -TERM "$RPID"
wait "$RPID"
check_eq record_exit "$?" 0
RPID=""
check_eq history_mode "$(stat -c %a "$DB")" 600
sqlite3 "$DB" .dump >"$SCRATCH/dump.sql"
# the WAL and the lock file beside the history, if any
for x in "$DB"-wal "$DB"-shm "$DB".lock; do
    [ -f "$x" ] && { [ "$(stat -c %a "$x")" = 600 ] || fail "mode_$(basename "$x")" "$(stat -c %a "$x")"; }
done

# ---- no secret anywhere ----
ALL="$SCRATCH/dump.sql $DB $OUTS $SCRATCH/rec.log $SCRATCH/snap.err $SCRATCH/check.err"
check_eq no_secret_coder_token "$(grep -l -a -F -- "$TOKEN" $ALL 2>/dev/null | tr '\n' ' ')" ""
check_eq no_secret_k8s_token "$(grep -l -a -F -- "$KTOKEN" $ALL 2>/dev/null | tr '\n' ' ')" ""
if [ -n "${PGPW:-}" ]; then
    check_eq no_secret_pg_password "$(grep -l -a -F -- "$PGPW" $ALL 2>/dev/null | tr '\n' ' ')" ""
fi

# ---- no raw control byte in any output or log ----
for f in $OUTS "$SCRATCH/rec.log" "$SCRATCH/dump.sql"; do
    n=$(LC_ALL=C tr -d '\n\t' <"$f" | LC_ALL=C tr -cd '\000-\037\177' | wc -c)
    c1=$(grep -c -a -P '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$f")
    # JSON would carry them escaped: \u001b, \u0007, \u009b, \u202e
    esc=$(grep -c -a -i -E '\\u00(0[0-8bcef]|1[0-9a-f]|7f|8[0-9a-f]|9[0-9a-f])|\\u202[a-e]|\\u206[6-9]' "$f")
    check_eq "hostile_clean_$(basename "$f")" "$n/$c1/$esc" "0/0/0"
done

# ---- the token only to the Coder URL ----
check_contains spy_polled "$(cat "$SCRATCH/spy.log")" "GET /metrics"
if grep -q -i -F "$TOKEN" "$SCRATCH/spy.log" || grep -q -i '^Coder-Session-Token\|^Authorization' "$SCRATCH/spy.log"; then
    fail token_not_sent_to_metrics "$(grep -i -m2 'token\|authorization' "$SCRATCH/spy.log")"
else
    ok token_not_sent_to_metrics
fi

# ---- read-only towards the deployment ----
check_eq sim_only_get "$(ctl s GET /requests | jq -r '[.requests[] | select(.method != "GET") | "\(.method) \(.path)"] | unique | join(", ")')" ""
if [ $HAVE_PG = 1 ]; then
    # statements scaletop's sessions ran: every one SELECT, SHOW or SET
    grep -a 'statement: ' "$PGLOG" | sed 's/.*statement: //' >"$SCRATCH/stmts"
    n=$(grep -c . "$SCRATCH/stmts")
    if [ "$n" -gt 0 ]; then ok pg_statements_logged; else fail pg_statements_logged "no statement in $PGLOG"; fi
    other=$(grep -v -i -E '^[[:space:]]*(\(?SELECT|SHOW|SET|WITH)\b' "$SCRATCH/stmts" | grep -v -i 'ALTER ROLE scaletop SET log_statement' | sort -u | head -n 3)
    check_eq pg_read_only "$other" ""
fi

# ---- TLS ----
T=$SCRATCH/tls
mkdir -p "$T"
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
    -subj "/CN=scaletop test CA" >/dev/null 2>&1 &&
    openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
    printf 'subjectAltName=IP:127.0.0.1\n' >"$T/ext" &&
    openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -out "$T/srv.pem" -days 2 -extfile "$T/ext" >/dev/null 2>&1; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    openssl s_server -accept "127.0.0.1:$port" -cert "$T/srv.pem" -key "$T/srv.key" -www -quiet \
        >/dev/null 2>&1 </dev/null &
    TLS_PID=$!
    i=0
    while ! curl -sk --max-time 1 "https://127.0.0.1:$port/" >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    printf '%s' "$TOKEN" >"$T/token"
    tls() { "$SCALETOP" snapshot --format json --window 0.1 --timeout 3 --coder-url "https://127.0.0.1:$port" \
        --token-file "$T/token" "$@" 2>&1 | jq -r '.sources[] | select(.name == "coder-api") | "\(.status): \(.error)"'; }
    st=$(tls)
    case $st in
    *[Cc]ertificate* | *TLS* | *SSL*) ok tls_untrusted_clear ;;
    *) fail tls_untrusted_clear "$st" ;;
    esac
    # past TLS, s_server's HTML page is not JSON: that message proves the handshake
    check_contains tls_ca_file "$(tls --ca-file "$T/ca.pem")" "malformed JSON"
    check_contains tls_insecure_named "$(tls --insecure-skip-tls-verify)" "malformed JSON"
else
    fail tls_setup "openssl could not make a certificate"
fi
