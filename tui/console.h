/*
 * The console over a loaded config: the live console (recording the
 * history file when no other recorder does, else a viewer of it), or the
 * replay of recorded history. Shared by `scaletop`, `scaletop replay` and
 * `scaletop demo`.
 */
#ifndef SCALETOP_CONSOLE_H
#define SCALETOP_CONSOLE_H

#include "backend/config.h"

#include <stdbool.h>

struct console_opts {
    bool replay;     /* `scaletop replay`: history only, no polling */
    double start_at; /* replay: start time; NAN for the newest frame */
    double window_s; /* sparkline span; 0: the recorded history, 2 min to 1 h */
};

/* Runs the console until the user quits; errors are printed to stderr after
 * the terminal is restored. Returns the exit status (0, or 1 on a runtime
 * error) and the terminating signal that ended it in *sig (0 if none): the
 * caller cleans up and re-raises it. */
int console_run(const struct config *cfg, const struct console_opts *o, int *sig);

/* Re-raises sig with its default action (no-op for 0), so the process dies
 * of it as the caller of scaletop expects. */
void console_reraise(int sig);

#endif
