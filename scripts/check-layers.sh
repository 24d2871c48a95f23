#!/bin/sh
# Enforce the layers of STYLE.md: backend/ never draws, panels/ never fetch and
# never read the clock, and only tui/screen.c (output) and tui/input.c (keys)
# include curses. Prints each violation as file:line and exits 1 if any.
set -u
bad=0
report() { echo "check-layers: $1" >&2; bad=1; }

hits=$(grep -nE '#\s*include\s*[<"](n?curses|ncursesw/|term\.h|panels/|tui/)' backend/*.[ch] 2>/dev/null)
[ -n "$hits" ] && report "backend/ must not include curses, panels or tui:
$hits"

hits=$(grep -nE '#\s*include\s*[<"](n?curses|ncursesw/|term\.h|curl/|libpq|postgresql/|sqlite3|jansson|sys/socket|netdb)' panels/*.[ch] 2>/dev/null)
[ -n "$hits" ] && report "panels/ must not include curses or any I/O library:
$hits"

hits=$(grep -nE '\b(time|gettimeofday|clock_gettime)\s*\(' panels/*.c 2>/dev/null)
[ -n "$hits" ] && report "panels/ must take 'now' from the snapshot, not the clock:
$hits"

hits=$(grep -lE '#\s*include\s*[<"](n?curses\.h|ncursesw/)' tui/*.[ch] 2>/dev/null | grep -vE '^tui/(screen|input)\.c$')
[ -n "$hits" ] && report "only tui/screen.c and tui/input.c may include curses:
$hits"

exit $bad
