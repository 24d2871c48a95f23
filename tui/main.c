/*
 * scaletop's entry point: global options (--help, --version) and dispatch to
 * a subcommand. Everything a command needs beyond its argv it builds itself.
 */
#include "tui/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    command_fn fn;
    const char *args;
    const char *help;
};

static const struct command commands[] = {
    {"record", cmd_record, "", "headless recorder into the history file (no terminal needed)"},
    {"replay", cmd_replay, "[--at TIME]", "the console over recorded history, starting at TIME"},
    {"snapshot", cmd_snapshot, "[--at TIME] [--format text|md|json|html] [-o FILE] [--redact]",
     "one snapshot: live (two polls --window seconds apart) or from history at TIME"},
    {"export", cmd_export, "--from TIME --to TIME [--format csv|json|md|html] [-o FILE] [--redact]",
     "series, events and findings of a time window, or an incident report"},
    {"check", cmd_check, "[--format text|json]",
     "evaluate the Scale Coder guide's checks; exit 0 ok, 1 warn, 2 crit, 3 could not check"},
    {"mark", cmd_mark, "\"NOTE\" [--at TIME]", "store a marker with a note in the history file"},
    {"diff", cmd_diff, "--from TIME --to TIME [--format text|md|json]",
     "what changed between two recorded moments"},
    {"demo", cmd_demo, "", "the console against a simulated deployment (incident scenario)"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: scaletop [OPTIONS]            live console (polls, records history)\n"
               "       scaletop COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        fprintf(f, "  %-9s %s\n            %s\n", commands[i].name, commands[i].args,
                commands[i].help);
    }
    fprintf(f,
            "\nWhere scaletop finds the deployment (flag, then environment, then config):\n"
            "  --coder-url URL            CODER_URL, else ~/.config/coderv2/url\n"
            "  --token-file FILE          CODER_SESSION_TOKEN, else ~/.config/coderv2/session\n"
            "  --metrics URL              a coderd Prometheus endpoint (repeatable)\n"
            "  --provisioner-metrics URL  a provisioner daemon's endpoint (repeatable)\n"
            "  --proxy-metrics NAME=URL   a workspace proxy's own endpoint, for its relay load\n"
            "  --derp-expvar              older builds' DERP stats at each relay address\n"
            "                             (sends the session token there)\n"
            "  --prometheus URL           read metrics from Prometheus's query API\n"
            "  --prometheus-bearer-token-file FILE, --prometheus-basic-auth-file FILE\n"
            "                             credentials for --prometheus\n"
            "  --prometheus-rate-window D rate and quantile window of Prometheus queries (5m)\n"
            "  --pg CONNINFO              PostgreSQL (libpq string or URI; PG* variables)\n"
            "  --kubeconfig FILE          KUBECONFIG, in-cluster account, ~/.kube/config\n"
            "  --namespace NS             coder's namespace, for metrics discovery (coder)\n"
            "  --db FILE                  SCALETOP_DB, else $XDG_STATE_HOME/scaletop/history.db\n"
            "  --config FILE              SCALETOP_CONFIG, else $XDG_CONFIG_HOME/scaletop/config\n"
            "\nCommon options:\n"
            "  --interval SECONDS         base poll cadence of the console and the recorder\n"
            "  --window SECONDS           one-shot snapshot/check: seconds between two polls\n"
            "  --timeout SECONDS          per-request timeout of every source\n"
            "  --ca-file FILE             CA bundle for TLS sources\n"
            "  --insecure-skip-tls-verify do not verify TLS certificates (unsafe)\n"
            "  --utc                      read and show times in UTC\n"
            "  --ascii, --no-color        plain glyphs, monochrome\n"
            "  -h, --help                 this help;  -V, --version  the version\n"
            "\nTIME: RFC 3339, 'YYYY-MM-DD HH:MM[:SS]', 'HH:MM[:SS]', now, -15m, -2h, -1d.\n"
            "See scaletop(1) for keys and the configuration file.\n");
}

int cmd_not_yet(const char *name)
{
    fprintf(stderr, "scaletop: '%s' is not available in this build yet\n", name);
    return 2;
}

int cmd_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("scaletop: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'scaletop --help' for more information.\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
            if (strcmp(argv[1], commands[i].name) == 0) {
                return commands[i].fn(argc - 1, argv + 1);
            }
        }
        return cmd_usage_error("unknown command '%s'", argv[1]);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("scaletop %s\n", SCALETOP_VERSION);
            return 0;
        }
    }
    return cmd_console(argc, argv);
}
