/*
 * The live console (scaletop with no command): the common options of
 * DESIGN.md §6 (config_load, including --ascii and --no-color), then
 * tui/console.h. Usage errors name the option, exit status 2.
 */
#include "tui/commands.h"

#include "backend/config.h"
#include "tui/console.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_console(int argc, char **argv)
{
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0;
    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, NULL, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        return cmd_usage_error("%s", e.msg);
    }
    if (nrest > 0) {
        int rc = cmd_usage_error(
            "%s '%s'", rest[0][0] == '-' ? "unknown option" : "unexpected argument", rest[0]);
        free(rest);
        config_fini(&cfg);
        return rc;
    }
    free(rest);
    struct console_opts o = {.replay = false, .start_at = NAN, .window_s = 0};
    int sig;
    int rc = console_run(&cfg, &o, &sig);
    config_fini(&cfg);
    console_reraise(sig);
    return rc;
}
