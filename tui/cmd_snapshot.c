/*
 * `scaletop snapshot [--at TIME] [--format text|md|json|html] [-o FILE]
 * [--redact] [--window S]`: one snapshot printed in the chosen format, live
 * (two polls `--window` seconds apart, so rates exist) or, with --at, the
 * latest frame of the history file at or before TIME. JSON is the contract
 * of DESIGN.md §6; Markdown and HTML are the report writers'
 * (tui/writers.h). --redact passes the snapshot through one redactor before
 * rendering. Exit 0 whenever a snapshot was written, even if sources failed
 * (the JSON says which and why); 2 for usage errors; 1 if the history has
 * nothing by TIME or the output cannot be written. A file given with -o is
 * created 0600 and replaced atomically, so a reader never sees half.
 * With --prometheus, the text format's sparklines fill the columns older
 * than the history file (or all of them without --at) from range queries:
 * fetched in parallel with nothing else, through the same cache as the
 * console, and waited for at most twice --timeout in all.
 */
#include "backend/collect.h"
#include "backend/config.h"
#include "backend/promapi.h"
#include "backend/redact.h"
#include "backend/seriescache.h"
#include "backend/store_views.h"
#include "backend/snapshot_json.h"
#include "backend/sources.h"
#include "backend/timespec.h"
#include "tui/commands.h"
#include "tui/doc.h"
#include "tui/glyphs.h"
#include "tui/outfile.h"
#include "tui/report.h"
#include "tui/textrender.h"
#include "tui/writers.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void snapshot_usage(FILE *f)
{
    fputs("Usage: scaletop snapshot [--at TIME] [--format text|md|json|html] [-o FILE]\n"
          "                         [--redact] [--width N] [--window SECONDS] [common options]\n"
          "One snapshot of the deployment: live (two polls --window seconds apart,\n"
          "default 3) or, with --at, from the history file. -o writes FILE (mode 0600)\n"
          "instead of standard output ('-' means standard output); without --format\n"
          "the format follows FILE's extension (.json, .md, .html, .txt). The text\n"
          "format draws every pane as the console does, --width N columns wide\n"
          "(default 120), in ASCII unless the locale is UTF-8. --at reads the history\n"
          "file (--db FILE): the latest frame at or before TIME. --redact replaces\n"
          "names, hosts and URLs by stable pseudonyms (see docs/export.md).\n"
          "See 'scaletop --help' for the options that say where the deployment is.\n",
          f);
}

static const char *format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot) {
        return NULL;
    }
    static const char *const map[][2] = {
        {".json", "json"}, {".md", "md"}, {".html", "html"}, {".htm", "html"}, {".txt", "text"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (strcmp(dot, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return NULL;
}

static void free_range(void *pr)
{
    promapi_range_free(pr);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Renders once to learn which series the text draws (queuing their range
 * reads), waits until they are read or the deadline passes, and renders
 * again from what arrived. */
static char *render_with_prometheus(const struct config *cfg, const struct snapshot *snap,
                                    const char *format, int width, bool ascii,
                                    const struct series_source *local, struct promapi_range *pr)
{
    struct err e = {{0}};
    struct series_source slow = promapi_range_source(pr);
    struct seriescache *cache = seriescache_new(&slow, free_range, NULL, NULL, &e);
    if (!cache) {
        promapi_range_free(pr);
        return report_snapshot_render(snap, format, cfg->utc, width, ascii, local);
    }
    struct series_source remote = seriescache_source(cache);
    struct series_source none = {0};
    struct series_source *fb = series_source_fallback(local ? local : &none, &remote);
    char *text = report_snapshot_render(snap, format, cfg->utc, width, ascii, fb);
    double budget = 2 * (cfg->request_timeout_s > 0 ? cfg->request_timeout_s : 10);
    double until = mono_s() + budget;
    /* A render may queue reads the previous one did not (a pane that grew
     * once its data arrived), hence a few rounds. */
    for (int round = 0; round < 4 && seriescache_pending(cache) > 0 && mono_s() < until; round++) {
        while (seriescache_pending(cache) > 0 && mono_s() < until) {
            struct timespec nap = {0, 20 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
        free(text);
        text = report_snapshot_render(snap, format, cfg->utc, width, ascii, fb);
    }
    seriescache_free(cache);
    series_source_fallback_free(fb);
    return text;
}

int cmd_snapshot(int argc, char **argv)
{
    static const char *const extra[] = {
        "--format=", "-o=", "--output=", "--at=", "--width=", "--redact", NULL};
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0, rc = 2;
    const char *format = NULL, *out = NULL, *at = NULL;
    int width = 120;
    bool redact = false;

    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        return cmd_usage_error("%s", e.msg);
    }
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            snapshot_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(rest[i], "--redact") == 0) {
            redact = true;
        } else if (strcmp(rest[i], "--format") == 0) {
            format = rest[++i];
        } else if (strcmp(rest[i], "-o") == 0 || strcmp(rest[i], "--output") == 0) {
            out = rest[++i];
        } else if (strcmp(rest[i], "--at") == 0) {
            at = rest[++i];
        } else if (strcmp(rest[i], "--width") == 0) {
            char *end;
            const char *w = rest[++i];
            long n = w ? strtol(w, &end, 10) : 0;
            if (!w || *end || n < 40 || n > 1000) {
                rc = cmd_usage_error("snapshot: --width wants a number of columns, 40 to 1000");
                goto out;
            }
            width = (int)n;
        } else {
            rc = cmd_usage_error("snapshot: unexpected argument '%s'", rest[i]);
            goto out;
        }
    }
    if (!format) {
        format = out ? format_from_path(out) : NULL;
        format = format ? format : "text";
    }
    if (strcmp(format, "json") != 0 && strcmp(format, "md") != 0 && strcmp(format, "html") != 0 &&
        strcmp(format, "text") != 0) {
        rc = cmd_usage_error("snapshot: unknown format '%s' (text, md, json or html)", format);
        goto out;
    }
    struct snapshot *snap = NULL;
    struct store *st = NULL;
    if (at) {
        double t;
        if (report_parse_time("--at", at, cfg.utc, &t, &e) < 0) {
            rc = cmd_usage_error("snapshot: %s", e.msg);
            goto out;
        }
        st = report_open_history(cfg.db_path, &e);
        snap = st ? store_snapshot_at(st, t, &e) : NULL;
        if (!snap) {
            fprintf(stderr, "scaletop: snapshot: %s\n", e.msg);
            store_close(st);
            rc = 1;
            goto out;
        }
    } else {
        struct collect *c = collect_new(&cfg, sources_list, sources_count());
        snap = collect_once(c, cfg.window_s);
        collect_free(c);
    }
    if (redact) {
        struct redact *red = redact_new();
        redact_snapshot(red, snap);
        redact_free(red);
    }
    /* Sparklines read the series by name: not with pseudonyms. */
    struct series_source series = st ? store_series_source(st) : (struct series_source){0};
    /* UTF-8 glyphs only when the user's locale says the terminal takes them. */
    setlocale(LC_CTYPE, "");
    struct promapi_range *pr =
        !redact && strcmp(format, "text") == 0 ? promapi_range_new(&cfg) : NULL;
    char *text;
    if (pr) {
        promapi_range_learn(pr, snap);
        text = render_with_prometheus(&cfg, snap, format, width, !glyphs_locale_is_utf8(),
                                      st ? &series : NULL, pr);
    } else {
        text = report_snapshot_render(snap, format, cfg.utc, width, !glyphs_locale_is_utf8(),
                                      st && !redact ? &series : NULL);
    }
    store_close(st);
    rc = outfile_emit(out, text, "snapshot", &e) < 0 ? 1 : 0;
    if (rc != 0) {
        fprintf(stderr, "scaletop: %s\n", e.msg);
    }
    free(text);
    snapshot_unref(snap);
out:
    free(rest);
    config_fini(&cfg);
    return rc;
}
