/* The live console: not landed yet; answers so, with exit status 2. */
#include "tui/commands.h"

int cmd_console(int argc, char **argv)
{
    if (argc > 1) {
        return cmd_usage_error("unknown option '%s'", argv[1]);
    }
    (void)argv;
    return cmd_not_yet("the live console");
}
