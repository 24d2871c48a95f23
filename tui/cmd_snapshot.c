/* The 'snapshot' command: not landed yet; answers so, with exit status 2. */
#include "tui/commands.h"

int cmd_snapshot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_not_yet("snapshot");
}
