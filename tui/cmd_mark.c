/*
 * `scaletop mark "NOTE" [--at TIME] [--db FILE]`: stores a marker in the
 * history file, beside a running recorder if there is one. TIME here accepts
 * `now`, Unix seconds and RFC 3339 with a zone; the full grammar of DESIGN.md
 * §6 arrives with backend/timespec.
 */
#include "backend/store.h"
#include "backend/store_flat.h"
#include "tui/commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses now | Unix seconds | RFC 3339; NAN if none of them. */
static double parse_at(const char *s)
{
    if (strcmp(s, "now") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
    }
    char *end;
    double d = strtod(s, &end);
    if (end != s && *end == 0 && isfinite(d) && d >= 0) {
        return d;
    }
    return store_flat_parse_time(s);
}

int cmd_mark(int argc, char **argv)
{
    const char *note = NULL, *at = "now";
    char *db = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
            at = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            free(db);
            db = strdup(argv[++i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(db);
            return cmd_usage_error("mark: unknown option '%s'", argv[i]);
        } else if (!note) {
            note = argv[i];
        } else {
            free(db);
            return cmd_usage_error("mark: one NOTE only (quote it)");
        }
    }
    if (!note || !*note) {
        free(db);
        return cmd_usage_error("mark: needs a NOTE, e.g. scaletop mark \"failover started\"");
    }
    double t = parse_at(at);
    if (!isfinite(t)) {
        free(db);
        return cmd_usage_error("mark: cannot read the time '%s' (use now, Unix seconds or "
                               "RFC 3339 such as 2026-11-27T03:12:00Z)",
                               at);
    }
    if (!db) {
        db = store_default_path();
    }
    struct err e = {""};
    struct store *st = store_open(db, STORE_VIEW, NULL, &e);
    int status = 0;
    if (!st || store_mark(st, t, note, &e) < 0) {
        fprintf(stderr, "scaletop: mark: %s\n", e.msg);
        status = 1;
    } else {
        time_t sec = (time_t)floor(t);
        struct tm tm;
        char buf[32];
        gmtime_r(&sec, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("marked %s in %s\n", buf, db);
    }
    store_close(st);
    free(db);
    return status;
}
