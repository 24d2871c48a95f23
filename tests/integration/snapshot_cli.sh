# `scaletop snapshot` as a user runs it: with nothing configured it still
# prints valid snapshot JSON (every source disabled with the hint that
# enables it) and exits 0; bad input exits 2 naming the culprit; -o writes a
# 0600 file atomically and says where. Runs in a scratch HOME so the
# operator's own coder login, kubeconfig or PG* variables never leak in.
. tests/lib/sh.sh
scratch
SCALETOP_ABS=$(cd "$(dirname "$SCALETOP")" && pwd)/$(basename "$SCALETOP")
mkdir -p "$SCRATCH/home"
run() {
    env -i PATH="$PATH" HOME="$SCRATCH/home" TZ=UTC "$SCALETOP_ABS" "$@"
}

out=$(run snapshot --format json 2>"$SCRATCH/err")
rc=$?
check_eq snapshot_unconfigured_exit_0 "$rc" 0
if printf '%s' "$out" | jq -e . >/dev/null 2>&1; then
    ok snapshot_unconfigured_valid_json
else
    fail snapshot_unconfigured_valid_json "$(printf '%s' "$out" | head -c 300)"
fi
check_eq snapshot_contract_version "$(printf '%s' "$out" | jq -r .scaletop_snapshot)" 1
case "$(printf '%s' "$out" | jq -r .time)" in
[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z) ok snapshot_time_rfc3339 ;;
*) fail snapshot_time_rfc3339 "$(printf '%s' "$out" | jq -r .time)" ;;
esac
n=$(printf '%s' "$out" | jq '.sources | length')
if [ "${n:-0}" -ge 6 ]; then ok snapshot_sources_listed; else fail snapshot_sources_listed "only ${n:-0} sources"; fi
check_eq snapshot_all_disabled \
    "$(printf '%s' "$out" | jq '[.sources[] | select(.status != "disabled")] | length')" 0
check_eq snapshot_all_have_hints \
    "$(printf '%s' "$out" | jq '[.sources[] | select((.hint // "") == "")] | length')" 0
for kind in coder postgres kubernetes metrics; do
    check_eq "snapshot_has_$kind" \
        "$(printf '%s' "$out" | jq --arg k "$kind" '[.sources[] | select(.kind == $k)] | length')" 1
done
check_contains snapshot_pg_hint "$(printf '%s' "$out" | jq -r '.sources[] | select(.kind=="postgres") | .hint')" "--pg"
check_eq snapshot_unknown_is_null "$(printf '%s' "$out" | jq -c '.postgres.connections.max')" null
check_eq snapshot_sections "$(printf '%s' "$out" | jq -c '[has("servers","provisioners","postgres","proxies","capacity","findings","events")] | all')" true

# PG* variables count as configuring Postgres: no longer "not configured".
out=$(env -i PATH="$PATH" HOME="$SCRATCH/home" PGHOST=/nonexistent "$SCALETOP_ABS" snapshot --format json --window 0.1 2>/dev/null)
reason=$(printf '%s' "$out" | jq -r '.sources[] | select(.kind=="postgres") | .reason')
if [ -n "$reason" ] && [ "$reason" != not_configured ]; then
    ok snapshot_pghost_enables_postgres
else
    fail snapshot_pghost_enables_postgres "postgres reason '$reason'"
fi

# Usage errors: exit 2, naming what was wrong.
err=$(run snapshot --format json --bogus-flag 2>&1 >/dev/null)
rc=$?
check_eq snapshot_bad_flag_exit_2 "$rc" 2
check_contains snapshot_bad_flag_named "$err" "--bogus-flag"
err=$(run snapshot --format yaml 2>&1 >/dev/null)
check_eq snapshot_bad_format_exit_2 "$?" 2
check_contains snapshot_bad_format_named "$err" "yaml"
err=$(run snapshot --format json --at "25:99" 2>&1 >/dev/null)
check_eq snapshot_bad_time_exit_2 "$?" 2
check_contains snapshot_bad_time_named "$err" "25:99"
err=$(run snapshot --format json --window 2>&1 >/dev/null)
check_eq snapshot_missing_value_exit_2 "$?" 2
check_contains snapshot_missing_value_named "$err" "--window"
printf '[poll]\ninterval = 10\n\n[coder]\nurll = https://x\n' >"$SCRATCH/bad.ini"
err=$(run snapshot --format json --config "$SCRATCH/bad.ini" 2>&1 >/dev/null)
check_eq snapshot_config_error_exit_2 "$?" 2
check_contains snapshot_config_error_file_line "$err" "$SCRATCH/bad.ini:5:"

# -o: the file is written 0600, announced on stderr, nothing on stdout.
out=$(cd "$SCRATCH" && umask 022 && run snapshot -o "$SCRATCH/snap.json" 2>"$SCRATCH/err")
rc=$?
check_eq snapshot_o_exit_0 "$rc" 0
check_eq snapshot_o_stdout_empty "$out" ""
check_eq snapshot_o_mode_0600 "$(stat -c %a "$SCRATCH/snap.json" 2>/dev/null)" 600
check_contains snapshot_o_says_where "$(cat "$SCRATCH/err")" "$SCRATCH/snap.json"
if jq -e '.scaletop_snapshot == 1' "$SCRATCH/snap.json" >/dev/null 2>&1; then
    ok snapshot_o_valid_json
else
    fail snapshot_o_valid_json "$(head -c 200 "$SCRATCH/snap.json")"
fi
check_eq snapshot_o_no_temp_left "$(ls "$SCRATCH" | grep -c 'snap.json.tmp')" 0
# Replacing an existing file keeps it 0600 and complete.
chmod 644 "$SCRATCH/snap.json"
run snapshot --format=json --output "$SCRATCH/snap.json" 2>/dev/null
check_eq snapshot_o_replace_mode_0600 "$(stat -c %a "$SCRATCH/snap.json")" 600
err=$(run snapshot --format json -o "$SCRATCH/no/such/dir/x.json" 2>&1)
check_eq snapshot_o_unwritable_exit_1 "$?" 1
check_contains snapshot_o_unwritable_named "$err" "no/such/dir"

# A token given to scaletop never shows up in its output.
printf 's3cr3t-token-value\n' >"$SCRATCH/tok"
out=$(run snapshot --format json --token-file "$SCRATCH/tok" 2>&1)
case "$out" in
*s3cr3t*) fail snapshot_token_not_printed "token in output" ;;
*) ok snapshot_token_not_printed ;;
esac

# Markdown and HTML through the report writers.
out=$(run snapshot --format md --window 0.1 2>/dev/null)
check_eq snapshot_md_exit_0 "$?" 0
check_contains snapshot_md_sources_table "$out" "| postgres | disabled |"
run snapshot -o "$SCRATCH/r.html" 2>/dev/null
check_eq snapshot_html_by_extension_0600 "$(stat -c %a "$SCRATCH/r.html" 2>/dev/null)" 600
check_contains snapshot_html_doctype "$(head -c 100 "$SCRATCH/r.html")" "<!DOCTYPE html>"
# Text: every pane drawn as the console draws it, each saying it is disabled
# and how to enable it; plain ASCII (env -i: C locale), no escape codes.
out=$(run snapshot --window 0.1 2>/dev/null)
check_eq snapshot_text_exit_0 "$?" 0
for pane in Overview Servers Provisioners Postgres Proxies Capacity; do
    check_contains "snapshot_text_pane_$pane" "$out" "+ $pane -"
done
check_contains snapshot_text_postgres_hint "$out" "disabled: set --pg CONNINFO"
check_contains snapshot_text_capacity_hint "$out" "disabled: --kubeconfig FILE"
check_contains snapshot_text_servers_hint "$out" "disabled: set --coder-url URL"
if printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\033\200-\377]')"; then
    fail snapshot_text_plain_ascii "escape or non-ASCII byte in the text snapshot"
else
    ok snapshot_text_plain_ascii
fi
width=$(printf '%s\n' "$out" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
check_eq snapshot_text_default_width_120 "$width" 120
out=$(run snapshot --window 0.1 --width 80 2>/dev/null)
width=$(printf '%s\n' "$out" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
check_eq snapshot_text_width_80 "$width" 80
run snapshot --width 5 >/dev/null 2>&1
check_eq snapshot_text_bad_width_exit_2 "$?" 2
