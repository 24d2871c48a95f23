# A short fuzzing pass in `make test`: every tests/fuzz/fuzz_*.c target for
# about 5 seconds (`make fuzz` runs them longer). Prints ok/FAIL per target.
. tests/lib/sh.sh
FUZZ_SECONDS=${FUZZ_SECONDS_SHORT:-5}
BUILD="$BUILD/fuzz-short" SHARED="$SHARED" sh tests/fuzz/run.sh "$FUZZ_SECONDS"
