/*
 * The subcommands of DESIGN.md §6. Each lives in its own tui/cmd_*.c file,
 * receives the arguments after the command name (argv[0] is the command),
 * and returns the process exit status. main() owns nothing else.
 */
#ifndef SCALETOP_COMMANDS_H
#define SCALETOP_COMMANDS_H

typedef int (*command_fn)(int argc, char **argv);

int cmd_console(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* Prints "scaletop: NAME is not available in this build yet" and returns 2:
 * the answer of a command whose content has not landed. */
int cmd_not_yet(const char *name);

/* Prints the usage hint after an argument error and returns 2. */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
