# The command line of DESIGN.md §6: help lists every command, --version
# answers, and bad input gets one clear line and exit status 2.
. tests/lib/sh.sh

out=$("$SCALETOP" --help 2>&1)
rc=$?
check_eq cli_help_exit_0 "$rc" 0
for c in record replay snapshot export check mark diff demo; do
    check_contains "cli_help_lists_$c" "$out" "  $c "
done
check_contains cli_help_lists_time_grammar "$out" "RFC 3339"

out=$("$SCALETOP" --version 2>&1)
case "$out" in
"scaletop "[0-9]*) ok cli_version ;;
*) fail cli_version "got '$out'" ;;
esac

out=$("$SCALETOP" --no-such-flag 2>&1)
rc=$?
check_eq cli_unknown_flag_exit_2 "$rc" 2
check_contains cli_unknown_flag_named "$out" "--no-such-flag"
check_contains cli_unknown_flag_hint "$out" "scaletop --help"

out=$("$SCALETOP" frobnicate 2>&1)
rc=$?
check_eq cli_unknown_command_exit_2 "$rc" 2
check_contains cli_unknown_command_named "$out" "frobnicate"
