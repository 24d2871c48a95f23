/*
 * `scaletop mark "NOTE" [--at TIME] [common options]`: stores a marker in
 * the history file, beside a running recorder if there is one. The history
 * file comes from config_load (--db, SCALETOP_DB, the config file); TIME is
 * the full grammar of DESIGN.md §6 (backend/timespec), plus plain Unix
 * seconds for scripts.
 */
#include "backend/config.h"
#include "backend/store.h"
#include "backend/timespec.h"
#include "tui/commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void mark_usage(FILE *f)
{
    fputs("Usage: scaletop mark \"NOTE\" [--at TIME] [--db FILE] [--utc]\n"
          "Stores a marker with NOTE in the history file at TIME (default now).\n"
          "TIME: RFC 3339, 'YYYY-MM-DD HH:MM[:SS]', 'HH:MM[:SS]' (today), now,\n"
          "-15m, -2h, -1d, or Unix seconds.\n",
          f);
}

/* Whole or fractional Unix seconds ("1795749120", "1795749120.5"); else -1. */
static int parse_unix(const char *s, double *out)
{
    char *end;
    if (!(*s >= '0' && *s <= '9')) {
        return -1;
    }
    double d = strtod(s, &end);
    if (*end || !isfinite(d) || d < 1e8) {
        return -1;
    }
    *out = d;
    return 0;
}

int cmd_mark(int argc, char **argv)
{
    static const char *const extra[] = {"--at=", NULL};
    struct config cfg;
    struct err e = {""};
    char **rest = NULL;
    int nrest = 0, status = 2;
    const char *note = NULL, *at = "now";
    char *db = NULL;
    struct store *st = NULL;

    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        cmd_usage_error("mark: %s", e.msg);
        goto out;
    }
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            mark_usage(stdout);
            status = 0;
            goto out;
        } else if (strcmp(rest[i], "--at") == 0 && i + 1 < nrest) {
            at = rest[++i];
        } else if (rest[i][0] == '-' && rest[i][1]) {
            cmd_usage_error("mark: unknown option '%s'", rest[i]);
            goto out;
        } else if (!note) {
            note = rest[i];
        } else {
            cmd_usage_error("mark: one NOTE only (quote it)");
            goto out;
        }
    }
    if (!note || !*note) {
        cmd_usage_error("mark: needs a NOTE, e.g. scaletop mark \"failover started\"");
        goto out;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t;
    if (parse_unix(at, &t) < 0 &&
        timespec_parse(at, (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1000.0, cfg.utc,
                       &t, &e) < 0) {
        cmd_usage_error("mark: cannot read the time '%s': %s", at, e.msg);
        goto out;
    }
    db = cfg.db_path ? strdup(cfg.db_path) : store_default_path();
    st = store_open(db, STORE_VIEW, NULL, &e);
    if (!st || store_mark(st, t, note, &e) < 0) {
        fprintf(stderr, "scaletop: mark: %s\n", e.msg);
        status = 1;
    } else {
        char buf[TIMESPEC_BUF];
        printf("marked %s in %s\n", timespec_format_rfc3339(floor(t), buf, sizeof buf), db);
        status = 0;
    }
out:
    store_close(st);
    free(db);
    free(rest);
    config_fini(&cfg);
    return status;
}
