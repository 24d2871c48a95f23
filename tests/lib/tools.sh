# Builds the test tools of tests/tools (against $BUILD/libscaletop.a) into
# $BUILD/tools once per change. Source after tests/lib/sh.sh;
# tool_build NAME prints the binary's path, or nothing on failure.
tool_build() {
    src="tests/tools/$1.c"
    bin="$BUILD/tools/$1"
    mkdir -p "$BUILD/tools"
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$BUILD/libscaletop.a" -nt "$bin" ]; then
        # shellcheck disable=SC2046
        ${CC:-cc} -std=c11 -O1 -g -D_GNU_SOURCE -I. $(pkg-config --cflags jansson sqlite3) \
            -o "$bin" "$src" "$BUILD/libscaletop.a" \
            $(pkg-config --libs ncursesw libcurl jansson libpq sqlite3 inih yaml-0.1) \
            -lpthread -lm >"$BUILD/tools/$1.log" 2>&1 || return 1
    fi
    echo "$bin"
}
