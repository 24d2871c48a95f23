# `scaletop snapshot --at`, `export` and `diff` as a user runs them, on the
# recorded fixture history (tests/lib/fixhist.h, written by the test_export
# binary): exit codes, 0600 files, clear errors for bad TIMEs and empty
# windows, CSV that a CSV reader parses, HTML that passes tidy and a strict
# structural check and opens in headless Chromium without console errors,
# and --redact leaving no original name on the command line path either.
. tests/lib/sh.sh
scratch
SCALETOP_ABS=$(cd "$(dirname "$SCALETOP")" && pwd)/$(basename "$SCALETOP")
mkdir -p "$SCRATCH/home"
H=$SCRATCH/history.db
HH=$SCRATCH/hostile.db
SCALETOP_FIXHIST=$H "$BUILD/tests/test_export" export_fixture_history >/dev/null
SCALETOP_FIXHIST=$HH SCALETOP_FIXHIST_HOSTILE=1 "$BUILD/tests/test_export" export_fixture_history >/dev/null
run() {
    env -i PATH="$PATH" HOME="$SCRATCH/home" TZ=UTC "$SCALETOP_ABS" "$@"
}
FROM=2026-11-27T03:00:00Z
TO=2026-11-27T03:15:00Z

# snapshot --at: the latest frame at or before TIME, in every format.
out=$(run snapshot --db "$H" --at 2026-11-27T03:10:30Z --format json)
check_eq snapshot_at_exit_0 "$?" 0
check_eq snapshot_at_frame_time "$(printf '%s' "$out" | jq -r .time)" 2026-11-27T03:10:00Z
for f in text md html; do
    out=$(run snapshot --db "$H" --at "2026-11-27 03:10:30" --utc --format $f)
    rc=$?
    check_eq "snapshot_at_${f}_exit_0" "$rc" 0
    check_contains "snapshot_at_${f}_has_replica" "$out" "coder-2"
done
err=$(run snapshot --db "$H" --at 2026-11-27T02:00:00Z 2>&1 >/dev/null)
check_eq snapshot_at_before_history_exit_1 "$?" 1
check_contains snapshot_at_before_history_says "$err" "nothing recorded at or before"
err=$(run snapshot --db "$SCRATCH/none.db" --at now 2>&1 >/dev/null)
check_eq snapshot_at_no_history_exit_1 "$?" 1
check_contains snapshot_at_no_history_says "$err" "no history file at $SCRATCH/none.db"
check_eq snapshot_at_no_history_not_created "$(ls "$SCRATCH/none.db" 2>/dev/null)" ""
err=$(run snapshot --db "$H" --at "03:99" 2>&1 >/dev/null)
check_eq snapshot_at_bad_time_exit_2 "$?" 2
check_contains snapshot_at_bad_time_named "$err" "03:99"

# export: every format, -o 0600, the format from the extension.
for f in csv json md html; do
    run export --db "$H" --from $FROM --to $TO --utc -o "$SCRATCH/w.$f" 2>"$SCRATCH/err"
    check_eq "export_${f}_exit_0" "$?" 0
    check_eq "export_${f}_mode_0600" "$(stat -c %a "$SCRATCH/w.$f")" 600
    check_contains "export_${f}_says_where" "$(cat "$SCRATCH/err")" "$SCRATCH/w.$f"
done
check_eq export_json_valid "$(jq -r '.scaletop_export' "$SCRATCH/w.json")" 1
check_eq export_json_frames "$(jq '.frames | length' "$SCRATCH/w.json")" 10
check_eq export_json_markers "$(jq -c '[.markers[].note]' "$SCRATCH/w.json")" \
    '["deploy v2.24.1 rolled out","paged the database team"]'
check_eq export_csv_header "$(head -n 1 "$SCRATCH/w.csv" | tr -d '\r')" "time,series,entity,field,unit,value"
out=$(run export --db "$H" --from $FROM --to $TO --format md --utc)
check_contains export_stdout_md "$out" "## Timeline"
# md to stdout when no format and no file.
out=$(run export --db "$H" --from $FROM --to $TO --utc)
check_contains export_default_md "$out" "# Incident report"

# Errors: bad TIME (2, named), --from after --to (2), empty window (1),
# unknown format (2), missing history (1).
err=$(run export --db "$H" --from "yesterday-ish" --to now 2>&1 >/dev/null)
check_eq export_bad_time_exit_2 "$?" 2
check_contains export_bad_time_named "$err" "yesterday-ish"
check_contains export_bad_time_option_named "$err" "--from"
err=$(run export --db "$H" --from $TO --to $FROM 2>&1 >/dev/null)
check_eq export_from_after_to_exit_2 "$?" 2
check_contains export_from_after_to_says "$err" "is after --to"
err=$(run export --db "$H" --from 2026-11-27T01:00:00Z --to 2026-11-27T02:00:00Z 2>&1 >/dev/null)
check_eq export_empty_window_exit_1 "$?" 1
check_contains export_empty_window_says "$err" "nothing was recorded between"
err=$(run export --db "$H" --from $FROM --to $TO --format pdf 2>&1 >/dev/null)
check_eq export_bad_format_exit_2 "$?" 2
check_contains export_bad_format_named "$err" "pdf"
err=$(run export --from $FROM --to $TO 2>&1 >/dev/null)
check_eq export_no_history_exit_1 "$?" 1
check_contains export_no_history_says "$err" "no history file"
err=$(run export --db "$H" --to $TO 2>&1 >/dev/null)
check_eq export_needs_from_exit_2 "$?" 2

# Hostile history: CSV parses to six columns everywhere; HTML stays inert.
run export --db "$HH" --from $FROM --to $TO -o "$SCRATCH/h.csv" 2>/dev/null
check csv_parses_six_columns python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
bad = [i for i, r in enumerate(rows) if len(r) != 6]
assert len(rows) > 100 and not bad, "rows %s have the wrong width" % bad[:5]
assert not any(c and c[0] in "=+@" for r in rows for c in r), "a cell starts a formula"
assert any("<script>" in c for r in rows for c in r), "hostile name missing: vacuous"
' "$SCRATCH/h.csv"
for f in md html; do
    run export --db "$HH" --from $FROM --to $TO --utc -o "$SCRATCH/h.$f" 2>/dev/null
    if LC_ALL=C grep -qP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$SCRATCH/h.$f"; then
        fail "hostile_${f}_no_control_bytes" "escape, C1 or bidi bytes in $f"
    else
        ok "hostile_${f}_no_control_bytes"
    fi
done

# HTML: tidy finds no error or warning; the strict checker finds no bad nesting.
for f in w h; do
    check "html_${f}_tidy_clean" tidy -q -e "$SCRATCH/$f.html"
    check "html_${f}_structure" python3 tests/lib/htmlcheck.py "$SCRATCH/$f.html"
done
check html_checker_catches_bad_nesting sh -c \
    "printf '<!DOCTYPE html><html><body><p><table></table></p></body></html>' >'$SCRATCH/bad.html'; ! python3 tests/lib/htmlcheck.py '$SCRATCH/bad.html'"

# Headless Chromium: the report loads with no console error or CSP
# violation and renders to a PNG.
if command -v chromium >/dev/null 2>&1; then
    timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$SCRATCH/chrome" \
        --enable-logging=stderr --v=0 --screenshot="$SCRATCH/report.png" --window-size=1280,2000 \
        "file://$SCRATCH/h.html" >"$SCRATCH/chrome.log" 2>&1
    check_eq chromium_exit_0 "$?" 0
    if grep -E 'Uncaught|ERROR:CONSOLE|Content Security Policy|Refused to' "$SCRATCH/chrome.log" >/dev/null; then
        fail chromium_no_console_errors "$(grep -E 'Uncaught|CONSOLE|Security|Refused' "$SCRATCH/chrome.log" | head -3)"
    else
        ok chromium_no_console_errors
    fi
    check_eq chromium_png "$(head -c 8 "$SCRATCH/report.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
    sz=$(stat -c %s "$SCRATCH/report.png" 2>/dev/null || echo 0)
    if [ "$sz" -gt 20000 ]; then ok chromium_png_has_content; else fail chromium_png_has_content "$sz bytes"; fi
else
    fail chromium_available "chromium is not installed (scripts/deps.sh lists it)"
fi

# --redact on every path: no original name survives.
for f in csv json md html; do
    out=$(run export --db "$H" --from $FROM --to $TO --format $f --redact)
    leaked=""
    for name in coder-0 coder-1 coder-2 10.0.9.9 10.0.1.1 alice eu-west ap-south Frankfurt \
        Mumbai example.com pg-standby coder-workspaces prov-a '"organization": "coder"'; do
        case "$out" in *"$name"*) leaked="$leaked $name" ;; esac
    done
    check_eq "export_${f}_redacted" "$leaked" ""
done
out=$(run snapshot --db "$H" --at $TO --format md --redact)
case "$out" in *coder-2* | *eu-west* | *alice*) fail snapshot_redacted "names left" ;; *) ok snapshot_redacted ;; esac

# diff between two recorded moments.
out=$(run diff --db "$H" --from 2026-11-27T03:11:00Z --to 2026-11-27T03:12:00Z --utc)
check_eq diff_exit_0 "$?" 0
check_contains diff_proxy_recovered "$out" "ap-south status: unreachable -> ok"
check_contains diff_p95 "$out" "coder-2 api_p95_ms: 1010 -> 1030 (+20)"
out=$(run diff --db "$H" --from 2026-11-27T03:11:00Z --to 2026-11-27T03:12:00Z --format json)
if printf '%s' "$out" | jq -e . >/dev/null 2>&1; then ok diff_json_valid; else fail diff_json_valid "$out"; fi
out=$(run diff --db "$H" --from 2026-11-27T03:11:00Z --to 2026-11-27T03:12:00Z --redact)
case "$out" in *ap-south* | *coder-2*) fail diff_redacted "$out" ;; *) ok diff_redacted ;; esac
err=$(run diff --db "$H" --from 2026-11-27T03:12:00Z --to 2026-11-27T03:11:00Z 2>&1 >/dev/null)
check_eq diff_from_after_to_exit_2 "$?" 2
err=$(run diff --db "$H" --from "13:61" --to now 2>&1 >/dev/null)
check_eq diff_bad_time_exit_2 "$?" 2
check_contains diff_bad_time_named "$err" "13:61"
run diff --db "$H" --from 2026-11-27T03:04:00Z --to $TO -o "$SCRATCH/d.md" 2>/dev/null
check_eq diff_file_mode_0600 "$(stat -c %a "$SCRATCH/d.md")" 600
err=$(run diff --db "$H" --from 2026-11-27T03:00:00Z --to $TO 2>&1 >/dev/null)
check_eq diff_before_history_exit_1 "$?" 1
check_contains diff_before_history_names_time "$err" "--from 2026-11-27T03:00:00Z"

# --width sets the HTML chart width; out of range is a usage error.
out=$(run export --db "$H" --from $FROM --to $TO --format html --width 1200)
check_contains export_width_applies "$out" '<svg class="chart" width="1200"'
run export --db "$H" --from $FROM --to $TO --format html --width 20 >/dev/null 2>&1
check_eq export_width_bad_exit_2 "$?" 2
# A live snapshot can be redacted too (nothing configured: still valid JSON).
out=$(run snapshot --format json --redact --window 0.1 2>/dev/null)
if printf '%s' "$out" | jq -e .scaletop_snapshot >/dev/null 2>&1; then ok snapshot_live_redact; else fail snapshot_live_redact "$(printf '%s' "$out" | head -c 200)"; fi
