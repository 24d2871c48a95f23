#!/bin/sh
# Runs every test suite and ends with the one line "N passed, N failed".
# Suites: unit (build/tests/test_*), asan (the unit tests under ASan+UBSan),
# integration and e2e (tests/*/ *.sh), lint (format-check, check-layers).
# SCALETOP_SUITES restricts the list, e.g. SCALETOP_SUITES="unit lint".
# Each suite prints "ok NAME" / "FAIL NAME: why" lines; a suite that exits
# non-zero without reporting a failure, or times out, counts as one failure.
set -u
: "${BUILD:=build}"
: "${SHARED:=../shared}"
export BUILD SHARED
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
SUITES=${SCALETOP_SUITES:-unit asan integration e2e lint}
LOG=$BUILD/test-log
mkdir -p "$LOG"
pass=0
failn=0

run_suite() { # label timeout cmd...
    label=$1
    limit=$2
    shift 2
    out="$LOG/$(echo "$label" | tr '/ ' '__').log"
    timeout -k 5 "$limit" "$@" >"$out" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    grep '^FAIL ' "$out" | sed "s|^|[$label] |"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            echo "[$label] FAIL: timed out after ${limit}s (log: $out)"
        else
            echo "[$label] FAIL: exited $rc (log: $out)"
            tail -n 5 "$out" | sed "s|^|[$label]   |"
        fi
        f=1
    fi
    echo "  $label: $p ok, $f failed"
    pass=$((pass + p))
    failn=$((failn + f))
}

for s in $SUITES; do
    case $s in
    unit)
        for t in "$BUILD"/tests/test_*; do
            [ -x "$t" ] || continue
            if [ -n "${SCALETOP_VALGRIND:-}" ]; then
                run_suite "unit/$(basename "$t")" 900 \
                    valgrind -q --error-exitcode=9 --leak-check=full "$t"
            else
                run_suite "unit/$(basename "$t")" 300 "$t"
            fi
        done
        if [ -n "${SCALETOP_VALGRIND:-}" ]; then
            run_suite valgrind/record 300 sh tests/valgrind_record.sh
        fi
        ;;
    asan)
        for t in build/asan/tests/test_*; do
            [ -x "$t" ] || continue
            run_suite "asan/$(basename "$t")" 600 "$t"
        done
        ;;
    integration | e2e)
        for t in tests/"$s"/*.sh; do
            [ -f "$t" ] || continue
            run_suite "$s/$(basename "$t" .sh)" 900 sh "$t"
        done
        ;;
    lint)
        run_suite lint/format-check 120 sh -c 'make -s format-check && echo "ok format-check"'
        run_suite lint/check-layers 60 sh -c 'make -s check-layers && echo "ok check-layers"'
        ;;
    esac
done

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
