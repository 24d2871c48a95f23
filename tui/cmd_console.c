/*
 * The live console (scaletop with no command). For now the skeleton: the
 * header, the pane frames of the layout and the footer, with the keys of
 * the loop. Options: --ascii, --no-color; anything else is an error naming
 * the option, exit status 2.
 */
#include "tui/commands.h"

#include "tui/app.h"
#include "tui/glyphs.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int cmd_console(int argc, char **argv)
{
    struct app_opts o = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ascii") == 0) {
            o.ascii = true;
        } else if (strcmp(argv[i], "--no-color") == 0) {
            o.no_color = true;
        } else if (argv[i][0] == '-') {
            return cmd_usage_error("unknown option '%s'", argv[i]);
        } else {
            return cmd_usage_error("unexpected argument '%s'", argv[i]);
        }
    }
    /* Only the character type: numbers and times keep the C conventions. */
    setlocale(LC_CTYPE, "");
    o.ascii = o.ascii || !glyphs_locale_is_utf8();

    struct app *a = app_new(&o);
    struct err e = {{0}};
    int rc = app_run(a, &e);
    int sig = app_signal(a);
    app_free(a);
    if (rc < 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
        return 1;
    }
    if (sig) {
        /* Die of the signal, as the caller expects, now that the terminal is back. */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    return 0;
}
