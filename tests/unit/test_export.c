/* Exports from a recorded history (tests/lib/fixhist.h): golden renders of
 * snapshot --at and export in every format, hostile strings made harmless,
 * --redact leaving no original name, diff listing exactly the changes made
 * between two recorded frames, and no token anywhere. With SCALETOP_FIXHIST
 * set, export_fixture_history writes the history there for the shell suite. */
#include "backend/diff.h"
#include "backend/escape.h"
#include "backend/redact.h"
#include "backend/snapshot_json.h"
#include "backend/store.h"
#include "backend/store_views.h"
#include "tests/lib/fixhist.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/doc.h"
#include "tui/report.h"
#include "tui/textrender.h"
#include "tui/writers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh history file in a scratch directory; caller frees and cleans up. */
static char *make_history(int hostile)
{
    char tmpl[] = "/tmp/scaletop-export.XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) {
        return NULL;
    }
    char *path = malloc(strlen(dir) + 20);
    sprintf(path, "%s/history.db", dir);
    struct err e = {{0}};
    if (fixhist_write(path, hostile, &e) < 0) {
        test_fail(__FILE__, __LINE__, "fixhist_write: %s", e.msg);
    }
    return path;
}

static void remove_history(char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "rm -rf '%.*s'", (int)(strrchr(path, '/') - path), path);
    if (system(buf) != 0) {
        test_fail(__FILE__, __LINE__, "cleanup failed");
    }
    free(path);
}

TEST(export_fixture_history)
{
    const char *to = getenv("SCALETOP_FIXHIST");
    if (to) {
        struct err e = {{0}};
        CHECK(fixhist_write(to, getenv("SCALETOP_FIXHIST_HOSTILE") != NULL, &e) == 0);
        return;
    }
    char *path = make_history(0);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    CHECK(st != NULL);
    double *t = NULL;
    size_t n = 0;
    CHECK(store_frame_times(st, 0, 4e9, &t, &n, &e) == 0);
    CHECK_INT(n, FIXHIST_FRAMES);
    CHECK_NEAR(t[0], FIXHIST_FRAME(0), 1e-3);
    CHECK_NEAR(t[n - 1], FIXSNAP_TIME, 1e-3);
    free(t);
    struct store_marker *m = NULL;
    CHECK(store_markers(st, 0, 4e9, &m, &n, &e) == 0);
    CHECK_INT(n, 2);
    store_markers_free(m, n);
    store_close(st);
    remove_history(path);
}

#define WIN_FROM (FIXHIST_T0 - 60)
#define WIN_TO   (FIXSNAP_TIME + 60)

static const char *const report_formats[] = {"csv", "json", "md", "html"};
static const char *const snapshot_formats[] = {"text", "md", "json", "html"};

/* Every export format of the fixture window: out[4] (caller frees). */
static void render_all(const char *path, bool redact, char **out)
{
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    struct report *r = st ? report_load(st, WIN_FROM, WIN_TO, redact, &e) : NULL;
    store_close(st);
    if (!r) {
        test_fail(__FILE__, __LINE__, "report_load: %s", e.msg);
    }
    for (int f = 0; f < 4; f++) {
        out[f] = r ? report_render(r, (enum report_format)f, true, 900) : strdup("");
    }
    report_free(r);
}

/* snapshot --at MARK2 in every snapshot format: out[4] (caller frees). */
static void render_snapshots(const char *path, bool redact, char **out)
{
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    struct snapshot *s = st ? store_snapshot_at(st, FIXHIST_MARK2, &e) : NULL;
    if (!s) {
        test_fail(__FILE__, __LINE__, "store_snapshot_at: %s", e.msg);
    }
    if (s && redact) {
        struct redact *red = redact_new();
        redact_snapshot(red, s);
        redact_free(red);
    }
    struct series_source src = store_series_source(st);
    for (int f = 0; f < 4; f++) {
        out[f] = s ? report_snapshot_render(s, snapshot_formats[f], true, 120, true,
                                            redact ? NULL : &src)
                   : strdup("");
    }
    snapshot_unref(s);
    store_close(st);
}

TEST(export_golden_every_format)
{
    char *path = make_history(0);
    char *out[4], name[64];
    render_all(path, false, out);
    for (int f = 0; f < 4; f++) {
        snprintf(name, sizeof name, "export/window.%s", report_formats[f]);
        CHECK_GOLDEN(name, out[f]);
    }
    /* What an incident review needs is there. */
    CHECK(strstr(out[2], "| **marker M2** |  | paged the database team |") != NULL);
    CHECK(strstr(out[2], "crit proxies.unhealthy ended") != NULL);
    CHECK(strstr(out[2], "## Snapshot at marker M1, 2026-11-27 03:06:30 UTC") != NULL);
    CHECK(strstr(out[3], "<svg class=\"chart\"") != NULL);
    CHECK(strstr(out[3], ">M2</text>") != NULL);
    CHECK(strstr(out[0], "2026-11-27T03:12:00Z,server/coder-2/api_p95_ms,server/coder-2,"
                         "api_p95_ms,ms,1030\r\n") != NULL);
    for (int f = 0; f < 4; f++) {
        free(out[f]);
    }
    remove_history(path);
}

TEST(export_snapshot_at_golden_every_format)
{
    char *path = make_history(0);
    char *out[4], name[64];
    render_snapshots(path, false, out);
    for (int f = 0; f < 4; f++) {
        snprintf(name, sizeof name, "export/snapshot-at.%s", f == 0 ? "txt" : snapshot_formats[f]);
        CHECK_GOLDEN(name, out[f]);
    }
    /* The frame at or before the marker: 03:10:00, with that frame's numbers. */
    CHECK(strstr(out[2], "\"time\": \"2026-11-27T03:10:00Z\"") != NULL);
    CHECK(strstr(out[2], "\"api_p95_ms\": 780") != NULL);
    for (int f = 0; f < 4; f++) {
        free(out[f]);
    }
    remove_history(path);
}

/* No ESC, C1 control, DEL or bidi override byte sequence anywhere. */
static const char *bad_bytes(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\r') || *p == 0x7f) {
            return (const char *)p;
        }
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            return (const char *)p;
        }
        if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
                             (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
            return (const char *)p;
        }
    }
    return NULL;
}

/* Whether needle occurs in md other than backslash-escaped. */
static int md_raw(const char *md, const char *needle)
{
    for (const char *p = md; (p = strstr(p, needle)); p++) {
        if (p == md || p[-1] != '\\') {
            return 1;
        }
    }
    return 0;
}

/* Markdown tables keep their shape: within each table every row has as many
 * unescaped pipes as its header. Returns the first bad line or NULL. */
static const char *md_tables_ragged(const char *md)
{
    int want = -1;
    for (const char *p = md; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (*p == '|') {
            int pipes = 0;
            for (const char *q = p; q < end; q++) {
                if (*q == '\\') {
                    q++;
                } else if (*q == '|') {
                    pipes++;
                }
            }
            if (want < 0) {
                want = pipes;
            } else if (pipes != want) {
                return p;
            }
        } else {
            want = -1;
        }
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

/* Every CSV record (RFC 4180) has exactly ncols fields; -1 if all do, else
 * the record number. */
static long csv_ragged(const char *s, int ncols)
{
    long rec = 0;
    int fields = 1, quoted = 0;
    for (const char *p = s; *p; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"') {
                p++;
            } else if (*p == '"') {
                quoted = 0;
            }
        } else if (*p == '"') {
            quoted = 1;
        } else if (*p == ',') {
            fields++;
        } else if (*p == '\n') {
            if (fields != ncols) {
                return rec;
            }
            rec++;
            fields = 1;
        }
    }
    return quoted ? rec : -1;
}

TEST(export_hostile_strings_harmless_everywhere)
{
    char *path = make_history(1);
    char *out[4], *snaps[4];
    render_all(path, false, out);
    render_snapshots(path, false, snaps);
    for (int f = 0; f < 4; f++) {
        const char *bad = bad_bytes(out[f]);
        if (bad) {
            test_fail(__FILE__, __LINE__, "export %s: unsafe byte in '%.40s'", report_formats[f],
                      bad > out[f] + 20 ? bad - 20 : out[f]);
        }
        bad = bad_bytes(snaps[f]);
        if (bad) {
            test_fail(__FILE__, __LINE__, "snapshot %s: unsafe byte", snapshot_formats[f]);
        }
        CHECK(strstr(out[f], "\\u001b") == NULL && strstr(snaps[f], "\\u001b") == NULL);
    }
    /* The hostile names did reach the outputs (so the checks are not vacuous). */
    CHECK(strstr(out[0], "eu-west") != NULL);
    CHECK(strstr(out[2], "alert(1)") != NULL);
    /* HTML: no markup from the deployment survives. */
    CHECK(strstr(out[3], "<script") == NULL && strstr(snaps[3], "<script") == NULL);
    CHECK(strstr(out[3], "<b>db") == NULL && strstr(out[3], "<h1>x") == NULL);
    CHECK(strstr(out[3], "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    /* Markdown: no raw markup, tables keep their column counts. */
    CHECK(!md_raw(out[2], "<script") && !md_raw(snaps[1], "<script") && !md_raw(out[2], "<b>"));
    CHECK(strstr(out[2], "\\<script\\>alert(1)") != NULL);
    const char *ragged = md_tables_ragged(out[2]);
    if (ragged) {
        test_fail(__FILE__, __LINE__, "ragged table row: %.80s", ragged);
    }
    ragged = md_tables_ragged(snaps[1]);
    if (ragged) {
        test_fail(__FILE__, __LINE__, "ragged snapshot table row: %.80s", ragged);
    }
    /* CSV: six fields in every record, formulas defused. */
    CHECK_INT(csv_ragged(out[0], 6), -1);
    CHECK(strstr(out[0], ",=") == NULL && strstr(out[0], ",+") == NULL);
    /* Text: no markup to fear, but no escape sequences either. */
    CHECK(strchr(snaps[0], 0x1b) == NULL);
    for (int f = 0; f < 4; f++) {
        free(out[f]);
        free(snaps[f]);
    }
    remove_history(path);
}

TEST(export_redact_leaves_no_original_name)
{
    static const char *const names[] = {
        "coder-0",          "coder-1", "coder-2",     "10.0.9.9",
        "10.0.1.1",         "alice",   "eu-west",     "ap-south",
        "Frankfurt",        "Mumbai",  "example.com", "pg-standby",
        "coder-workspaces", "prov-a",  "prov-g",      "\"organization\": \"coder\"",
        "coder/owner",      "/coder/", "queue/coder"};
    char *path = make_history(0);
    char *out[4], *snaps[4];
    render_all(path, true, out);
    render_snapshots(path, true, snaps);
    for (int f = 0; f < 4; f++) {
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            if (strstr(out[f], names[k])) {
                test_fail(__FILE__, __LINE__, "export %s keeps '%s'", report_formats[f], names[k]);
            }
            if (strstr(snaps[f], names[k])) {
                test_fail(__FILE__, __LINE__, "snapshot %s keeps '%s'", snapshot_formats[f],
                          names[k]);
            }
        }
    }
    /* Stable pseudonyms: the replica that is host-N in a chart label is
     * host-N in the series, the timeline and the marker snapshots. */
    CHECK(strstr(out[1], "\"redacted\": true") != NULL);
    CHECK(strstr(out[2], "names replaced by pseudonyms") != NULL);
    const char *series = strstr(out[0], ",server/host-");
    CHECK(series != NULL);
    if (series) {
        char host[32];
        CHECK(sscanf(series, ",server/%31[^/]/", host) == 1);
        CHECK(strstr(out[2], host) != NULL && strstr(out[3], host) != NULL);
    }
    for (int f = 0; f < 4; f++) {
        free(out[f]);
        free(snaps[f]);
    }
    remove_history(path);
}

TEST(export_never_holds_a_token)
{
    static const char *const secrets[] = {"Coder-Session-Token", "session_token", "password",
                                          "Bearer ", "token="};
    char *path = make_history(0);
    char *out[4], *snaps[4];
    render_all(path, false, out);
    render_snapshots(path, false, snaps);
    for (int f = 0; f < 4; f++) {
        for (size_t k = 0; k < sizeof secrets / sizeof *secrets; k++) {
            CHECK(strstr(out[f], secrets[k]) == NULL);
            CHECK(strstr(snaps[f], secrets[k]) == NULL);
        }
        free(out[f]);
        free(snaps[f]);
    }
    remove_history(path);
}

TEST(export_empty_window_is_an_error)
{
    char *path = make_history(0);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    struct report *r = report_load(st, FIXHIST_T0 - 3600, FIXHIST_T0 - 1800, false, &e);
    CHECK(r == NULL);
    CHECK(strstr(e.msg, "nothing was recorded between") != NULL);
    struct snapshot *s = store_snapshot_at(st, FIXHIST_T0 - 1, &e);
    CHECK(s == NULL);
    store_close(st);
    e.msg[0] = 0;
    CHECK(report_open_history("/nonexistent/history.db", &e) == NULL);
    CHECK(strstr(e.msg, "no history file at /nonexistent/history.db") != NULL);
    remove_history(path);
}

/* The changes of d as lines "section kind entity field: from -> to". */
static char *diff_lines(const struct diff *d)
{
    struct strbuf b = {0};
    for (size_t i = 0; i < d->n; i++) {
        const struct change *c = &d->changes[i];
        strbuf_printf(&b, "%s %s %s %s: %s -> %s\n", c->section, change_kind_name(c->kind),
                      c->entity ? c->entity : "-", c->field ? c->field : "-",
                      c->from ? c->from : "-", c->to ? c->to : "-");
    }
    return strbuf_take(&b);
}

TEST(export_diff_lists_exactly_the_changes_made)
{
    char *path = make_history(0);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    /* Frame 8 to frame 9: the numbers the fixture moves, and ap-south's
     * recovery with the end of its finding. Nothing else. */
    struct snapshot *a = store_snapshot_at(st, FIXHIST_FRAME(8), &e);
    struct snapshot *b = store_snapshot_at(st, FIXHIST_FRAME(9), &e);
    CHECK(a && b);
    if (a && b) {
        struct diff *d = diff_snapshots(a, b);
        char *got = diff_lines(d);
        CHECK_STR(got, "servers changed coder-0 api_p95_ms: 800 -> 820\n"
                       "servers changed coder-1 api_p95_ms: 905 -> 925\n"
                       "servers changed coder-2 api_p95_ms: 1010 -> 1030\n"
                       "queues changed coder/owner=,scope=organization pending: 25 -> 30\n"
                       "postgres changed postgres connections used: 91 -> 92\n"
                       "proxies changed ap-south status: unreachable -> ok\n"
                       "findings removed proxies.unhealthy proxy/ap-south -: - -> -\n");
        free(got);
        diff_free(d);
    }
    snapshot_unref(a);
    snapshot_unref(b);
    /* Steady to incident (frame 3 to 4) is much more, and includes coder-1's
     * restart having happened before both: no "restarted" change. */
    a = store_snapshot_at(st, FIXHIST_FRAME(3), &e);
    b = store_snapshot_at(st, FIXHIST_FRAME(4), &e);
    if (a && b) {
        struct diff *d = diff_snapshots(a, b);
        char *got = diff_lines(d);
        CHECK(strstr(got, "restarted") == NULL);
        CHECK(strstr(got, "findings added provisioners.unrunnable") != NULL);
        CHECK(strstr(got, "proxies changed ap-south status: ok -> unreachable") != NULL);
        free(got);
        diff_free(d);
    }
    snapshot_unref(a);
    snapshot_unref(b);
    store_close(st);
    remove_history(path);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

TEST(export_chart_axes_markers_gaps_and_escaping)
{
    /* Two lines over 03:00..03:10; the second has a gap; a marker at 03:05
     * and one outside the window (not drawn). */
    double t[5], a[5] = {10, 20, 30, 40, 50}, b[5] = {5, NAN, 15, 25, 35};
    for (int i = 0; i < 5; i++) {
        t[i] = FIXSNAP_TIME - 720 + 150.0 * i;
    }
    struct write_chart_line lines[] = {{"coder-0", a}, {"<b>x</b>|\"", b}};
    double marks[] = {FIXSNAP_TIME - 420, FIXSNAP_TIME + 3600};
    struct write_chart c = {"API p95",          "ms",  lines, 2,    5,   t,  FIXSNAP_TIME - 720,
                            FIXSNAP_TIME - 120, marks, 2,     true, 600, 200};
    struct strbuf sb = {0};
    write_svg_chart(&sb, &c);
    char *svg = strbuf_take(&sb);
    /* Value axis: max and min with the unit; time axis: start, middle, end. */
    CHECK(strstr(svg, ">50 ms</text>") != NULL);
    CHECK(strstr(svg, ">5 ms</text>") != NULL);
    CHECK(strstr(svg, ">03:00:00</text>") != NULL);
    CHECK(strstr(svg, ">03:05:00</text>") != NULL);
    CHECK(strstr(svg, ">03:10:00</text>") != NULL);
    /* One marker in the window, drawn in the middle of the plot (x = 70 +
     * 514 / 2). */
    CHECK_INT(count(svg, "class=\"marker\""), 1);
    CHECK(strstr(svg, "<line x1=\"327.0\"") != NULL);
    CHECK(strstr(svg, ">M1</text>") != NULL);
    /* The gap splits the second line: three polylines in all. */
    CHECK_INT(count(svg, "<polyline"), 3);
    /* Labels are escaped. */
    CHECK(strstr(svg, "<b>") == NULL);
    CHECK(strstr(svg, "&lt;b&gt;x&lt;/b&gt;|&quot;") != NULL);
    CHECK(strncmp(svg, "<svg class=\"chart\"", 18) == 0);
    CHECK(strstr(svg, "</svg>") != NULL);
    free(svg);
}

TEST(export_long_window_sampled_evenly)
{
    char *path = make_history(0);
    struct err e = {{0}};
    struct store *st = store_open(path, STORE_VIEW, NULL, &e);
    struct report *r = report_load_sampled(st, WIN_FROM, WIN_TO, false, 4, &e);
    CHECK(r != NULL);
    if (r) {
        /* Ten frames into four: the first, the last, and two evenly between. */
        CHECK_INT(report_frames(r), 4);
        CHECK_NEAR(report_frame_time(r, 0), FIXHIST_FRAME(0), 1e-3);
        CHECK_NEAR(report_frame_time(r, 1), FIXHIST_FRAME(3), 1e-3);
        CHECK_NEAR(report_frame_time(r, 2), FIXHIST_FRAME(6), 1e-3);
        CHECK_NEAR(report_frame_time(r, 3), FIXHIST_FRAME(9), 1e-3);
        char *csv = report_render(r, REPORT_CSV, true, 0);
        CHECK(strstr(csv, "2026-11-27T03:09:00Z,") != NULL);
        CHECK(strstr(csv, "2026-11-27T03:10:00Z,") == NULL);
        free(csv);
    }
    report_free(r);
    r = report_load(st, WIN_FROM, WIN_TO, false, &e);
    CHECK(r && report_frames(r) == FIXHIST_FRAMES);
    report_free(r);
    store_close(st);
    remove_history(path);
}
