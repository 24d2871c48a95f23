# Helpers for shell test suites (tests/integration, tests/e2e). Source it; each
# check prints "ok NAME" or "FAIL NAME: why", which tests/run.sh totals.
# BUILD and SHARED come from the Makefile.
: "${BUILD:=build}"
: "${SHARED:=../shared}"
SCALETOP="$BUILD/scaletop"
SIM="$BUILD/scaletop-sim"

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }

# check NAME CMD...: ok when CMD exits 0.
check() {
    name=$1
    shift
    if out=$("$@" 2>&1); then
        ok "$name"
    else
        fail "$name" "$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ' | cut -c1-400)"
    fi
}

# check_eq NAME GOT WANT
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# within NAME GOT WANT TOLERANCE: a number near another (jq compares;
# null or a non-number fails).
#   |got - want| <= tol * max(|want|, 1)
within() {
    if jq -ne --argjson g "$2" --argjson w "$3" --argjson t "$4" \
        '($g - $w | fabs) <= $t * ([($w | fabs), 1] | max)' >/dev/null 2>&1; then
        ok "$1"
    else
        fail "$1" "got $2, want $3 (±$4)"
    fi
}

# check_contains NAME HAYSTACK NEEDLE
check_contains() {
    case "$2" in
    *"$3"*) ok "$1" ;;
    *) fail "$1" "output lacks '$3': $(printf '%s' "$2" | head -c 300)" ;;
    esac
}

# A scratch directory removed when the suite exits.
scratch() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/scaletop-test.XXXXXX")
    trap 'rm -rf "$SCRATCH"' EXIT
}
