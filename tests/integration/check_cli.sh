# scaletop check: exit statuses a pager can rely on, and thresholds from the
# config with file:line errors.
. tests/lib/sh.sh
scratch
export HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/xdg" XDG_STATE_HOME="$SCRATCH/state"
unset CODER_URL CODER_SESSION_TOKEN PGHOST PGSERVICE PGDATABASE PGHOSTADDR KUBECONFIG
mkdir -p "$HOME"

out=$("$SCALETOP" check --window 0.1 2>&1)
rc=$?
check_eq check_nothing_reachable_exit_3 "$rc" 3
check_contains check_nothing_reachable_says_so "$out" "could not check"
check_contains check_lists_disabled_hint "$out" "set --pg CONNINFO"

out=$("$SCALETOP" check --window 0.1 --format json 2>&1)
printf '%s' "$out" | jq -e '.status == "unknown" and .exit == 3 and (.sources | length) > 0' \
    >/dev/null && ok check_json_shape || fail check_json_shape "$out"

cat >"$SCRATCH/bad.ini" <<'INI'
[thresholds]
db_latency_warn_ms = fast
INI
out=$("$SCALETOP" check --window 0.1 --config "$SCRATCH/bad.ini" 2>&1)
rc=$?
check_eq check_bad_threshold_exit_3 "$rc" 3
check_contains check_bad_threshold_names_line "$out" "bad.ini:2"

cat >"$SCRATCH/unknown.ini" <<'INI'
[thresholds]
no_such_threshold = 4
INI
out=$("$SCALETOP" check --window 0.1 --config "$SCRATCH/unknown.ini" 2>&1)
check_contains check_unknown_threshold_named "$out" "no_such_threshold"

out=$("$SCALETOP" check --format xml 2>&1)
rc=$?
check_eq check_bad_format_exit_3 "$rc" 3
check_contains check_bad_format_named "$out" "xml"
