/*
 * `scaletop replay [--at TIME] [common options]`: the console over recorded
 * history only: the history file opened as a viewer (STORE_VIEW), nothing
 * polled, starting at TIME (DESIGN.md §6 grammar; default the newest frame).
 * The time-travel keys work as in the live console; G goes to the newest
 * frame. Exit 2 for usage errors, 1 when there is no history to show.
 */
#include "tui/commands.h"

#include "backend/config.h"
#include "backend/timespec.h"
#include "tui/console.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_replay(int argc, char **argv)
{
    static const char *const extra[] = {"--at=", NULL};
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0, rc = 2;
    const char *at = NULL;
    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        return cmd_usage_error("%s", e.msg);
    }
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--at") == 0 && i + 1 < nrest) {
            at = rest[++i];
        } else {
            rc = cmd_usage_error("replay: unexpected argument '%s'", rest[i]);
            goto out;
        }
    }
    struct console_opts o = {.replay = true, .start_at = NAN, .window_s = 0};
    if (at) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (timespec_parse(at, (double)now.tv_sec + (double)now.tv_nsec / 1e9, cfg.utc, &o.start_at,
                           &e) < 0) {
            rc = cmd_usage_error("replay: --at: %s", e.msg);
            goto out;
        }
    }
    int sig;
    rc = console_run(&cfg, &o, &sig);
    free(rest);
    config_fini(&cfg);
    console_reraise(sig);
    return rc;
out:
    free(rest);
    config_fini(&cfg);
    return rc;
}
