/*
 * `scaletop export --from TIME --to TIME [--format csv|json|md|html] [-o FILE]
 * [--redact] [--width N]`: a recorded window of the history file as the
 * series (CSV, JSON) or as an incident report (Markdown, HTML); see
 * docs/export.md. Exit 0 when written; 1 when the history cannot be read,
 * holds nothing in the window, or the output cannot be written; 2 for usage
 * errors. Files are created 0600 and replaced atomically (tui/outfile.h).
 */
#include "backend/config.h"
#include "tui/commands.h"
#include "tui/outfile.h"
#include "tui/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void export_usage(FILE *f)
{
    fputs("Usage: scaletop export --from TIME --to TIME [--format csv|json|md|html]\n"
          "                       [-o FILE] [--redact] [--width N] [--db FILE] [--utc]\n"
          "A recorded window of the history file: csv and json hold every series\n"
          "(one row per frame and series: time,series,entity,field,unit,value); md and\n"
          "html are an incident report with the timeline of events, findings and\n"
          "markers, charts of the key series and the full snapshot at each marker.\n"
          "--redact replaces user, workspace, host, proxy and organization names and\n"
          "URLs by stable pseudonyms. -o writes FILE (mode 0600); without --format the\n"
          "format follows FILE's extension. --width sets the HTML chart width in pixels\n"
          "(300 to 4000, default 900). See docs/export.md.\n",
          f);
}

static const char *format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    static const char *const map[][2] = {
        {".csv", "csv"}, {".json", "json"}, {".md", "md"}, {".html", "html"}, {".htm", "html"}};
    for (size_t i = 0; dot && i < sizeof map / sizeof *map; i++) {
        if (strcmp(dot, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return NULL;
}

int cmd_export(int argc, char **argv)
{
    static const char *const extra[] = {
        "--format=", "-o=", "--output=", "--from=", "--to=", "--width=", "--redact", NULL};
    struct config cfg;
    struct err e = {{0}};
    char **rest = NULL;
    int nrest = 0, rc = 2, width = 0;
    const char *format = NULL, *out = NULL, *from_s = NULL, *to_s = NULL;
    bool redact = false;

    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, extra, &rest, &nrest, &e) < 0) {
        config_fini(&cfg);
        return cmd_usage_error("%s", e.msg);
    }
    for (int i = 0; i < nrest; i++) {
        const char *a = rest[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            export_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(a, "--redact") == 0) {
            redact = true;
        } else if (strcmp(a, "--format") == 0) {
            format = rest[++i];
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = rest[++i];
        } else if (strcmp(a, "--from") == 0) {
            from_s = rest[++i];
        } else if (strcmp(a, "--to") == 0) {
            to_s = rest[++i];
        } else if (strcmp(a, "--width") == 0) {
            char *end;
            const char *w = rest[++i];
            long n = w ? strtol(w, &end, 10) : 0;
            if (!w || *end || n < 300 || n > 4000) {
                rc = cmd_usage_error("export: --width wants a chart width in pixels, 300 to 4000");
                goto out;
            }
            width = (int)n;
        } else {
            rc = cmd_usage_error("export: unexpected argument '%s'", a);
            goto out;
        }
    }
    if (!format) {
        format = out ? format_from_path(out) : NULL;
        format = format ? format : "md";
    }
    int fmt = report_format_parse(format);
    if (fmt < 0) {
        rc = cmd_usage_error("export: unknown format '%s' (csv, json, md or html)", format);
        goto out;
    }
    double from, to;
    if (report_parse_window(from_s, to_s, cfg.utc, &from, &to, &e) < 0) {
        rc = cmd_usage_error("export: %s", e.msg);
        goto out;
    }
    struct store *st = report_open_history(cfg.db_path, &e);
    struct report *r = st ? report_load(st, from, to, redact, &e) : NULL;
    store_close(st);
    if (!r) {
        fprintf(stderr, "scaletop: export: %s\n", e.msg);
        rc = 1;
        goto out;
    }
    char *text = report_render(r, (enum report_format)fmt, cfg.utc, width);
    report_free(r);
    rc = outfile_emit(out, text, "export", &e) < 0 ? 1 : 0;
    if (rc != 0) {
        fprintf(stderr, "scaletop: export: %s\n", e.msg);
    }
    free(text);
out:
    free(rest);
    config_fini(&cfg);
    return rc;
}
