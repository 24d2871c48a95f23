#!/bin/sh
# Crash safety and hostile storage (DESIGN.md §10): the recorder SIGKILLed at
# random moments leaves a file that passes PRAGMA integrity_check and that
# the next recorder reopens and appends to; a full disk gives one clear
# message (not one per cycle) and the recorder goes on; a read-only
# directory, a corrupted file, a file locked by another writer: each a clear
# message, nothing lost that was there.
. tests/lib/sh.sh
scratch
MNT=""
cleanup() {
    for d in $MNT; do umount "$d" 2>/dev/null; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
FIX=tests/data/snapshot_full.json
jq -c --slurpfile d "$FIX" -n \
    'range(0;1500) as $i | $d[0] | .time = ((1795749120 + $i * 10) | todate)
     | .postgres.tps = $i | .servers[0].api_p95_ms = ($i % 7) + 0.5' >"$SCRATCH/in.jsonl"
frames() { sqlite3 "$1" 'SELECT count(*) FROM frame' 2>/dev/null; }

# ---- SIGKILL at random moments (bounded: 30 kills, 0-150 ms each) ----
DB=$SCRATCH/kill.db
bad=""
prev=0
i=0
while [ $i -lt 30 ]; do
    "$SCALETOP" record --db "$DB" --from-json "$SCRATCH/in.jsonl" 2>>"$SCRATCH/kill.log" &
    pid=$!
    sleep "0.$(awk -v s="$i" 'BEGIN { srand(s); printf "%03d", int(rand() * 150) }')"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    r=$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)
    [ "$r" = ok ] || [ ! -f "$DB" ] || bad="$bad kill$i:$r"
    n=$(frames "$DB")
    [ "${n:-0}" -ge "$prev" ] || bad="$bad kill$i:frames $prev->$n"
    prev=${n:-0}
    i=$((i + 1))
done
check_eq sigkill_integrity "$bad" ""
# the frames recorded before the kills are all still there, and a recorder reopens
"$SCALETOP" record --db "$DB" --from-json "$SCRATCH/in.jsonl" 2>"$SCRATCH/after.log"
check_eq sigkill_reopen_exit "$?" 0
check_eq sigkill_reopen_integrity "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
n=$(frames "$DB")
if [ "$n" -ge "$prev" ] && [ "$n" -le 1500 ]; then ok sigkill_frames_kept; else fail sigkill_frames_kept "$prev before, $n after"; fi
check_eq sigkill_no_duplicate_times "$(sqlite3 "$DB" 'SELECT count(*) - count(DISTINCT t) FROM frame')" 0
if grep -q 'AddressSanitizer\|runtime error' "$SCRATCH/kill.log"; then fail sigkill_log "sanitizer report"; else ok sigkill_log; fi

# ---- a full disk ----
FULL=$SCRATCH/full
mkdir -p "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=600k tmpfs "$FULL" 2>/dev/null; then
    MNT="$MNT $FULL"
    "$SCALETOP" record --db "$FULL/h.db" --from-json "$SCRATCH/in.jsonl" 2>"$SCRATCH/full.log"
    rc=$?
    how=tmpfs
else
    # no mount: the file size limit (SIGXFSZ ignored, so writes fail with EFBIG)
    (trap '' XFSZ; ulimit -f 600; exec "$SCALETOP" record --db "$FULL/h.db" \
        --from-json "$SCRATCH/in.jsonl") 2>"$SCRATCH/full.log"
    rc=$?
    how=ulimit
fi
check_eq "disk_full_exit_$how" "$rc" 0
LOG=$(cat "$SCRATCH/full.log")
check_contains disk_full_message "$LOG" "not recorded"
nmsg=$(grep -c 'not recorded' "$SCRATCH/full.log")
if [ "$nmsg" -ge 1 ] && [ "$nmsg" -le 3 ]; then ok disk_full_said_once; else fail disk_full_said_once "$nmsg messages: $(head -c 300 "$SCRATCH/full.log")"; fi
check_contains disk_full_counted "$LOG" "failed; history closed"
r=$(sqlite3 "$FULL/h.db" 'PRAGMA integrity_check' 2>&1)
check_eq disk_full_integrity "$r" ok

# ---- a read-only directory ----
RO=$SCRATCH/ro
mkdir -p "$RO"
if [ "$(id -u)" = 0 ]; then
    if mount -t tmpfs -o ro,size=64k tmpfs "$RO" 2>/dev/null; then MNT="$MNT $RO"; else RO=""; fi
else
    chmod 0555 "$RO"
fi
if [ -n "$RO" ]; then
    out=$("$SCALETOP" record --db "$RO/h.db" --from-json "$SCRATCH/in.jsonl" 2>&1)
    check_eq readonly_dir_exit "$?" 1
    check_contains readonly_dir_message "$out" "$RO/h.db"
    case $out in
    *"read-only"* | *"ermission"* | *"cannot"* | *"unable"*) ok readonly_dir_says_why ;;
    *) fail readonly_dir_says_why "$out" ;;
    esac
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ "$lines" -le 3 ]; then ok readonly_dir_short; else fail readonly_dir_short "$lines lines"; fi
fi

# ---- a corrupted file: moved aside, a new history begun ----
C=$SCRATCH/corrupt.db
head -c 65536 /dev/urandom >"$C"
head -n 5 "$SCRATCH/in.jsonl" >"$SCRATCH/five.jsonl"
"$SCALETOP" record --db "$C" --from-json "$SCRATCH/five.jsonl" 2>"$SCRATCH/corrupt.log"
check_eq corrupt_exit "$?" 0
check_contains corrupt_message "$(cat "$SCRATCH/corrupt.log")" "corrupt"
aside=$(ls "$SCRATCH" | grep -c '^corrupt\.db\..*')
if [ "$aside" -ge 1 ]; then ok corrupt_moved_aside; else fail corrupt_moved_aside "$(ls "$SCRATCH")"; fi
check_eq corrupt_new_frames "$(frames "$C")" 5
# a viewer refuses a corrupt file instead of moving it
head -c 65536 /dev/urandom >"$SCRATCH/c2.db"
out=$("$SCALETOP" mark "x" --db "$SCRATCH/c2.db" 2>&1)
check_eq corrupt_viewer_exit "$?" 1
check_eq corrupt_viewer_left_alone "$(ls "$SCRATCH" | grep -c '^c2\.db')" 1

# ---- a file locked by another writer (an exclusive transaction for 3 s) ----
L=$SCRATCH/locked.db
"$SCALETOP" record --db "$L" --from-json "$SCRATCH/five.jsonl" 2>/dev/null
sqlite3 "$L" 'BEGIN EXCLUSIVE;' '.system sleep 3' 'COMMIT;' &
lpid=$!
sleep 0.5
sed -n '6,8p' "$SCRATCH/in.jsonl" >"$SCRATCH/three.jsonl"
out=$(timeout 60 "$SCALETOP" record --db "$L" --from-json "$SCRATCH/three.jsonl" 2>&1)
rc=$?
wait "$lpid"
# either it waited for the lock and recorded, or it said clearly that it could not
if [ "$rc" = 0 ] && [ "$(frames "$L")" = 8 ]; then
    ok locked_waited
elif [ "$rc" = 1 ] && printf '%s' "$out" | grep -qi 'locked\|busy'; then
    ok locked_clear_message
else
    fail locked_file "exit $rc, $(frames "$L") frames: $(printf '%s' "$out" | tail -n 2)"
fi
check_eq locked_integrity "$(sqlite3 "$L" 'PRAGMA integrity_check')" ok
echo "# disk full log: $(head -c 400 "$SCRATCH/full.log" | tr "\n" " ")"
