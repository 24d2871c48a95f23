#!/bin/sh
# End-to-end: the console's compare view (a marks A, b marks B, c compares)
# over the recorded fixture history (tests/lib/fixhist.h: 03:03 to 03:12
# UTC, steady then the incident), in tmux. What the view lists is, line for
# line, what `scaletop diff --from A --to B --format text` prints for the
# same moments: on one screen (100x60), paged with PgDn at 80x24 (each row
# kept once by the row numbers the view shows), and in two columns at
# 200x30 (ASCII). An unmarked side is the moment shown; A after B is shown
# from B to A; Esc goes back to the panes with the marks kept. The same in the
# live console (recording) and in a viewer beside a recorder, where B
# unmarked is the newest recorded frame. Last, over a history recorded
# from the simulator's incident scenario (120x: its first 20-odd simulated
# minutes: backlog, DB latency spike, proxy outage), the oldest frame
# against the newest, paged at 119x40.
#
# No assertion depends on timing: every wait is a bounded poll for what the
# screen must show, and the live parts compare recorded frames only.
. tests/lib/sh.sh
. tests/lib/sim.sh
scratch
. tests/lib/tmux.sh
REC_PID=""
cleanup() {
    tmux_cleanup
    if [ -n "$REC_PID" ]; then
        kill -TERM "$REC_PID" 2>/dev/null
        wait "$REC_PID" 2>/dev/null
    fi
    sim_stop_all # removes $SCRATCH too
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

if ! command -v tmux >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1; then
    fail compare-tools "tmux and sqlite3 are needed (scripts/deps.sh installs them)"
    exit 0
fi
H="$SCRATCH/history.db"
if ! SCALETOP_FIXHIST=$H "$BUILD/tests/test_export" export_fixture_history >/dev/null ||
    [ ! -s "$H" ]; then
    fail compare-fixture "test_export did not write the fixture history"
    exit 0
fi
mkdir -p "$SCRATCH/home"
: >"$SCRATCH/empty.conf"

# cli_diff FROM TO: what `scaletop diff` prints, as the console's user
# would run it (same TZ, same history), trailing blank lines dropped.
cli_diff() {
    env -i PATH="$PATH" HOME="$SCRATCH/home" TZ=UTC "$BIN" diff --db "$2" --from "$3" --to "$4" \
        --config "$SCRATCH/empty.conf" | drop_trailing_blanks >"$SCRATCH/$1"
}
drop_trailing_blanks() {
    awk '{ l[NR] = $0; if ($0 != "") last = NR } END { for (i = 1; i <= last; i++) print l[i] }'
}
# body_rows FIRST LAST: screen rows FIRST..LAST without the frame's sides
# and the view's one-column margin, trailing blanks trimmed.
body_rows() {
    screen | sed -n "$1,$2p" | LC_ALL=C.UTF-8 sed 's/^. //; s/^.$//; s/ *.$//'
}
# same NAME WANT_FILE GOT_FILE: ok when equal, else the first differences
same() {
    if cmp -s "$2" "$3"; then ok "$1"; else
        fail "$1" "$(diff "$2" "$3" | head -n 8 | tr '\n' '|' | cut -c1-400)"
    fi
}
# key K...: sends keys; wait_header TEXT: the first line shows TEXT (10 s)
key() { t send-keys -t "$SESS" "$@"; }
wait_header() {
    i=0
    while [ $i -lt 100 ]; do
        header | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# go TIME: the go-to-time prompt, then wait for that time in the header
go() {
    key g
    key -l "$1"
    key Enter
    wait_header "$2"
}
badge() { screen | grep -o 'rows [0-9]*-[0-9]* of [0-9]*' | head -n 1; }
# pages FIRST LAST OUT: the whole list, paging with PgDn while the frame's
# bottom edge says "rows F-L of N", each row kept once by its number; the
# screen rows FIRST..LAST hold a page. Sets npages, last and total.
pages() {
    : >"$3.rows"
    npages=0
    last=""
    total=""
    while [ $npages -lt 40 ]; do
        b=$(badge)
        if [ -z "$b" ]; then
            body_rows "$1" "$2" | awk '{ printf "%d\t%s\n", NR, $0 }' >>"$3.rows"
            break
        fi
        first=$(echo "$b" | sed 's/rows \([0-9]*\)-.*/\1/')
        last=$(echo "$b" | sed 's/rows [0-9]*-\([0-9]*\) of.*/\1/')
        total=$(echo "$b" | sed 's/.* of //')
        body_rows "$1" "$2" | awk -v f="$first" '{ printf "%d\t%s\n", f + NR - 1, $0 }' >>"$3.rows"
        [ "$last" = "$total" ] && break
        key PageDown
        i=0
        while [ $i -lt 50 ] && [ "$(badge)" = "$b" ]; do
            sleep 0.1
            i=$((i + 1))
        done
        npages=$((npages + 1))
    done
    sort -t "$(printf '\t')" -k1,1n -u "$3.rows" | cut -f2- | drop_trailing_blanks >"$3"
}

# ---- replay, one screen: a at 03:06, g to 03:12, b, c ----
tmux_start big 100 60
tmux_launch replay --db "$H" --config "$SCRATCH/empty.conf" --at 2026-11-27T03:06:00Z
wait_header 'REPLAY  2026-11-27 03:06:00' || fail replay-start "$(header)"
key a
if wait_header 'A 03:06:00' && wait_for 'A = 2026-11-27 03:06:00' 30; then ok compare-a-marks; else
    fail compare-a-marks "$(header) / $(screen | tail -n 1)"
fi
go '2026-11-27 03:12:00' '03:12:00' || fail compare-goto "$(header)"
key b
wait_header 'A 03:06:00  B 03:12:00' && ok compare-b-marks || fail compare-b-marks "$(header)"
key c
if wait_for 'Compare  A 2026-11-27 03:06:00  ->  B 2026-11-27 03:12:00' 50; then
    ok compare-opens-naming-a-and-b
else
    fail compare-opens-naming-a-and-b "$(screen | head -n 3 | tr '\n' '|')"
fi
cli_diff want-06-12 "$H" 2026-11-27T03:06:00Z 2026-11-27T03:12:00Z
body_rows 3 58 | drop_trailing_blanks >"$SCRATCH/got"
same compare-equals-diff-one-screen "$SCRATCH/want-06-12" "$SCRATCH/got"
check_eq compare-diff-is-the-incident "$(grep -c 'started' "$SCRATCH/want-06-12")" 4
# Esc: the panes again, the marks kept
key Escape
if wait_for 'Overview' 30 && ! screen | grep -qF 'Compare  A'; then ok compare-esc-back; else
    fail compare-esc-back "$(screen | head -n 3 | tr '\n' '|')"
fi
check_contains compare-marks-kept "$(header)" 'A 03:06:00  B 03:12:00'
# A marked after B: shown from B to A, equal to the diff from B to A
go '2026-11-27 03:04:00' '03:04:00'
key b c
if wait_for 'Compare  B 2026-11-27 03:04:00  ->  A 2026-11-27 03:06:00' 50; then
    ok compare-swapped-title
else
    fail compare-swapped-title "$(screen | sed -n 2p)"
fi
cli_diff want-04-06 "$H" 2026-11-27T03:04:00Z 2026-11-27T03:06:00Z
body_rows 3 58 | drop_trailing_blanks >"$SCRATCH/got"
same compare-swapped-equals-diff "$SCRATCH/want-04-06" "$SCRATCH/got"
key q
restored compare-q-restores

# ---- replay at 80x24: B unmarked is the moment shown; paged with PgDn ----
tmux_start small 80 24
tmux_launch replay --db "$H" --config "$SCRATCH/empty.conf" --at 2026-11-27T03:06:00Z
wait_header 'REPLAY  2026-11-27 03:06:00' || fail small-start "$(header)"
key c
wait_for 'press a at one moment' 30 && ok compare-without-marks-says-how ||
    fail compare-without-marks-says-how "$(screen | tail -n 1)"
key a
wait_header 'A 03:06:00' || fail small-a "$(header)"
go '2026-11-27 03:12:00' '03:12:00'
key c
if wait_for 'B (shown) 2026-11-27 03:12:00' 50; then ok compare-b-defaults-to-shown; else
    fail compare-b-defaults-to-shown "$(screen | sed -n 2p)"
fi
pages 3 22 "$SCRATCH/got"
check_eq compare-paged-to-the-end "${last:-none}" "${total:-unknown}"
[ "$npages" -ge 1 ] && ok compare-needed-paging || fail compare-needed-paging "badge '$b'"
same compare-paged-equals-diff "$SCRATCH/want-06-12" "$SCRATCH/got"
# g goes back to the top, and j scrolls one row
key g
wait_for 'rows 1-20 of' 30 && ok compare-top || fail compare-top "$(badge)"
key j
wait_for 'rows 2-21 of' 30 && ok compare-j-scrolls-one-row || fail compare-j-scrolls-one-row "$(badge)"
key q
restored compare-small-q-restores
# only B marked: A is the moment shown
tmux_launch replay --db "$H" --config "$SCRATCH/empty.conf" --at 2026-11-27T03:09:00Z
wait_header 'REPLAY  2026-11-27 03:09:00' || fail small-start-b "$(header)"
key b
wait_header 'B 03:09:00' || fail small-b "$(header)"
go '2026-11-27 03:04:00' '03:04:00'
key c
if wait_for 'Compare  A (shown) 2026-11-27 03:04:00  ->  B 2026-11-27 03:09:00' 50; then
    ok compare-a-defaults-to-shown
else
    fail compare-a-defaults-to-shown "$(screen | sed -n 2p)"
fi
cli_diff want-04-09 "$H" 2026-11-27T03:04:00Z 2026-11-27T03:09:00Z
pages 3 22 "$SCRATCH/got-04-09"
same compare-a-shown-equals-diff "$SCRATCH/want-04-09" "$SCRATCH/got-04-09"
key q
restored compare-small-q-restores-again

# ---- 200x30 in ASCII: two columns, the left one then the right one ----
tmux_start wide 200 30
tmux_launch replay --db "$H" --config "$SCRATCH/empty.conf" --ascii --at 2026-11-27T03:06:00Z
wait_header 'REPLAY  2026-11-27 03:06:00' || fail wide-start "$(header)"
key a
wait_header 'A 03:06:00' || fail wide-a "$(header)"
go '2026-11-27 03:12:00' '03:12:00'
key b c
wait_for 'Compare  A 2026-11-27 03:06:00' 50 || fail wide-open "$(screen | sed -n 2p)"
# columns: x 2..98 and 101..198 (0-based) hold the text; x 99 the separator
screen | sed -n 3,28p | cut -c3-99 | sed 's/ *$//' >"$SCRATCH/left"
screen | sed -n 3,28p | cut -c102-199 | sed 's/ *$//' >"$SCRATCH/right"
cat "$SCRATCH/left" "$SCRATCH/right" | drop_trailing_blanks >"$SCRATCH/got"
same compare-two-columns-equal-diff "$SCRATCH/want-06-12" "$SCRATCH/got"
check_eq compare-two-columns-separator "$(screen | sed -n 3,28p | cut -c100 | sort -u)" '|'
key q
restored compare-wide-q-restores

# ---- the live console recording into a copy of the history ----
L="$SCRATCH/live.db"
cp "$H" "$L"
tmux_start live 100 60
tmux_launch --db "$L" --config "$SCRATCH/empty.conf" --interval 1
if wait_header ' LIVE ' && wait_for 'Overview' 50; then ok compare-live-starts; else
    fail compare-live-starts "$(header)"
fi
go '2026-11-27 03:06:00' 'REPLAY  2026-11-27 03:06:00'
key a
wait_header 'A 03:06:00' || fail live-a "$(header)"
go '2026-11-27 03:12:00' 'REPLAY  2026-11-27 03:12:00'
key b G
wait_header ' LIVE ' || fail live-back "$(header)"
key c
wait_for 'Compare  A 2026-11-27 03:06:00  ->  B 2026-11-27 03:12:00' 50 ||
    fail live-open "$(screen | sed -n 2p)"
body_rows 3 58 | drop_trailing_blanks >"$SCRATCH/got"
same compare-live-equals-diff "$SCRATCH/want-06-12" "$SCRATCH/got"
# A at the live moment (a recorded frame: the recorder stores a snapshot
# before the console shows it): from B (03:12) to that moment
key Escape
wait_for 'Overview' 30 || fail live-esc "$(screen | sed -n 2p)"
n=0
while [ $n -lt 300 ] && [ "$(sqlite3 "$L" 'SELECT count(*) FROM frame' 2>/dev/null)" -le 11 ]; do
    sleep 0.1
    n=$((n + 1))
done
key a
wait_for 'A = ' 50 || fail live-a-at-live "$(screen | tail -n 1)"
key c
if wait_for 'Compare  B 2026-11-27 03:12:00  ->  A ' 50 &&
    ! screen | grep -qF -- '->  A 2026-11-27' &&
    screen | sed -n 3p | grep -q '^. Changes from 2026-11-27 03:12:00 UTC to '; then
    ok compare-live-moment
else
    fail compare-live-moment "$(screen | sed -n '2,3p;$p' | tr '\n' '|')"
fi
key q
restored compare-live-q-restores

# ---- a viewer beside a recorder: B unmarked is the newest frame ----
V="$SCRATCH/viewer.db"
cp "$H" "$V"
env -i PATH="$PATH" HOME="$SCRATCH/home" TZ=UTC "$BIN" record --db "$V" --interval 1 \
    --config "$SCRATCH/empty.conf" >"$SCRATCH/rec.log" 2>&1 &
REC_PID=$!
n=0
while [ $n -lt 300 ]; do
    f=$(sqlite3 "$V" 'SELECT count(*) FROM frame' 2>/dev/null)
    [ "${f:-0}" -ge 12 ] && break
    sleep 0.1
    n=$((n + 1))
done
[ "${f:-0}" -ge 12 ] || fail viewer-recorder "only ${f:-0} frames after 30 s: $(cat "$SCRATCH/rec.log")"
tmux_start viewer 100 60
tmux_launch --db "$V" --config "$SCRATCH/empty.conf"
wait_header ' LIVE ' || fail viewer-start "$(header)"
go '2026-11-27 03:06:00' 'REPLAY  2026-11-27 03:06:00'
key a
wait_header 'A 03:06:00' || fail viewer-a "$(header)"
key G
wait_header ' LIVE ' || fail viewer-live "$(header)"
# stop the recorder: the newest frame is then fixed, and the viewer shows it
kill -TERM "$REC_PID"
wait "$REC_PID"
REC_PID=""
newest=$(sqlite3 "$V" 'SELECT max(t) FROM frame' 2>/dev/null)
newest_hms=$(TZ=UTC date -d "@$((newest / 1000))" '+%Y-%m-%d %H:%M:%S')
wait_header "$newest_hms" || fail viewer-newest "header $(header), newest $newest_hms"
key c
if wait_for "B (shown) $newest_hms" 50; then ok compare-viewer-b-is-newest; else
    fail compare-viewer-b-is-newest "$(screen | sed -n 2p), newest $newest_hms"
fi
cli_diff want-viewer "$V" 2026-11-27T03:06:00Z now
lines=$(wc -l <"$SCRATCH/want-viewer")
if [ "$lines" -le 56 ]; then
    body_rows 3 58 | drop_trailing_blanks >"$SCRATCH/got"
else
    # longer than a screen: the first screen is its first 56 lines
    head -n 56 "$SCRATCH/want-viewer" >"$SCRATCH/want-viewer.head"
    mv "$SCRATCH/want-viewer.head" "$SCRATCH/want-viewer"
    body_rows 3 58 >"$SCRATCH/got"
fi
same compare-viewer-equals-diff "$SCRATCH/want-viewer" "$SCRATCH/got"
key q
restored compare-viewer-q-restores

# ---- a history recorded from the simulator's incident scenario ----
if ! sim_start sim --preset 1k --scenario incident --speed 120 --seed 5; then
    fail compare-sim-start "the simulator did not start: $(tail -n 3 "$SCRATCH/sim.log")"
    exit 0
fi
S="$SCRATCH/sim.db"
# shellcheck disable=SC2046
env -i PATH="$PATH" HOME="$SCRATCH/home" TZ=UTC "$BIN" record --db "$S" --interval 1 \
    --config "$SCRATCH/empty.conf" $(sim_args sim) >"$SCRATCH/simrec.log" 2>&1 &
REC_PID=$!
# until 22 simulated minutes have passed (the spike from 10, the outage from
# 20), however long that takes here: bounded at 120 s
n=0
el=0
while [ $n -lt 600 ]; do
    el=$(ctl sim GET /truth | jq -r '.sim_elapsed_s // 0' | cut -d. -f1)
    [ "${el:-0}" -ge 1320 ] && break
    sleep 0.2
    n=$((n + 1))
done
kill -TERM "$REC_PID"
wait "$REC_PID"
REC_PID=""
nframes=$(sqlite3 "$S" 'SELECT count(*) FROM frame' 2>/dev/null)
if [ "${el:-0}" -lt 1320 ] || [ "${nframes:-0}" -lt 2 ]; then
    fail compare-sim-recorded "simulated ${el}s, ${nframes:-0} frames: $(tail -n 3 "$SCRATCH/simrec.log")"
    exit 0
fi
ok compare-sim-recorded
# rfc MS: an RFC 3339 time with milliseconds (frames are not on whole seconds)
rfc() { printf '%s.%03dZ' "$(TZ=UTC date -d "@$(($1 / 1000))" '+%Y-%m-%dT%H:%M:%S')" $(($1 % 1000)); }
hms() { TZ=UTC date -d "@$(($1 / 1000))" '+%Y-%m-%d %H:%M:%S'; }
oldest=$(sqlite3 "$S" 'SELECT min(t) FROM frame')
newest=$(sqlite3 "$S" 'SELECT max(t) FROM frame')
cli_diff want-sim "$S" "$(rfc "$oldest")" "$(rfc "$newest")"
nchanged=$(grep -c '^  changed ' "$SCRATCH/want-sim")
[ "$nchanged" -ge 3 ] && ok compare-sim-diff-has-changes ||
    fail compare-sim-diff-has-changes "$(head -n 5 "$SCRATCH/want-sim" | tr '\n' '|')"
tmux_start simview 119 40
tmux_launch replay --db "$S" --config "$SCRATCH/empty.conf"
wait_header "REPLAY  $(hms "$newest")" || fail sim-replay-start "$(header)"
# b at the newest, { back to the oldest, a, c
key b
wait_header "B $(hms "$newest" | cut -c12-)" || fail sim-b "$(header)"
i=0
while [ $i -lt 20 ] && ! header | grep -qF "REPLAY  $(hms "$oldest")"; do
    key '{'
    wait_header "REPLAY  $(hms "$oldest")" && break
    i=$((i + 1))
done
key a c
if wait_for "Compare  A $(hms "$oldest")  ->  B $(hms "$newest")" 50; then
    ok compare-sim-opens
else
    fail compare-sim-opens "$(screen | sed -n 2p)"
fi
pages 3 38 "$SCRATCH/got-sim"
same compare-sim-equals-diff "$SCRATCH/want-sim" "$SCRATCH/got-sim"
key q
restored compare-sim-q-restores
