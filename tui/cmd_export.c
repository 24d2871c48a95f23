/* The 'export' command: not landed yet; answers so, with exit status 2. */
#include "tui/commands.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_not_yet("export");
}
