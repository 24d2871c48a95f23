#!/bin/sh
# Builds every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and UBSan
# against the backend sources, then runs each for SECONDS (argv[1], default
# 60) from its seed corpus tests/fuzz/corpus/<target>/ (plus the shared
# fixtures where they fit). New inputs go to $BUILD/fuzz/corpus-<target>, not
# into the repository. Prints "ok fuzz_<target>" or "FAIL fuzz_<target>: why".
set -u
: "${BUILD:=build}"
: "${SHARED:=../shared}"
SECONDS_EACH=${1:-60}
OUT="$BUILD/fuzz"
mkdir -p "$OUT"
CC=${FUZZ_CC:-clang}
PKGS="libcurl jansson libpq sqlite3 inih yaml-0.1"
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null)
FLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -DSCALETOP_VERSION=\"fuzz\" -I. -fno-omit-frame-pointer"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "FAIL fuzz: $CC not found (scripts/deps.sh installs clang)"
    exit 1
fi

# The backend as one object set, built once with fuzzer instrumentation.
objs=""
for src in backend/*.c; do
    obj="$OUT/obj/$(basename "$src" .c).o"
    mkdir -p "$OUT/obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find backend -name '*.h' -newer "$obj")" ]; then
        # shellcheck disable=SC2086
        if ! $CC $FLAGS $SAN -fsanitize=fuzzer-no-link $PKG_CFLAGS -c -o "$obj" "$src" 2>"$OUT/build.log"; then
            echo "FAIL fuzz: cannot build $src: $(tail -n 3 "$OUT/build.log" | tr '\n' ' ')"
            exit 1
        fi
    fi
    objs="$objs $obj"
done

rc=0
for f in tests/fuzz/fuzz_*.c; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .c)
    target=${name#fuzz_}
    bin="$OUT/$name"
    # shellcheck disable=SC2086
    if ! $CC $FLAGS $SAN -fsanitize=fuzzer -o "$bin" "$f" $objs $PKG_LIBS -lpthread -lm \
        2>"$OUT/$name.build.log"; then
        echo "FAIL $name: build failed: $(tail -n 3 "$OUT/$name.build.log" | tr '\n' ' ')"
        rc=1
        continue
    fi
    work="$OUT/corpus-$target"
    mkdir -p "$work"
    seeds="tests/fuzz/corpus/$target"
    extra=""
    case $target in
    promtext) [ -d "$SHARED/fixtures/coder/metrics" ] && extra="$SHARED/fixtures/coder/metrics" ;;
    esac
    log="$OUT/$name.log"
    # shellcheck disable=SC2086
    if timeout -k 5 $((SECONDS_EACH + 60)) "$bin" -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=1024 -max_len=16384 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$OUT/$name-" "$work" "$seeds" $extra >"$log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        echo "ok $name (${SECONDS_EACH}s, ${execs:-?} runs)"
    else
        echo "FAIL $name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log" | cut -c1-200) (log: $log)"
        rc=1
    fi
done
exit $rc
