/* The 'record' command: not landed yet; answers so, with exit status 2. */
#include "tui/commands.h"

int cmd_record(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_not_yet("record");
}
