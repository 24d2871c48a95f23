/*
 * The six panes and their detail views as a user sees them: goldens of
 * every pane (zoomed, full view) and of every detail view, and of whole
 * frames (compact boxes at 80 columns, grids when wider), from the fixture
 * snapshots (incident, steady, incident with hostile strings) at 80x24,
 * 120x40 and 200x60, UTF-8 and ASCII, text plus role layer, with a
 * deterministic fake history (so sparklines show, gaps included). Then the
 * behaviours: disabled sources show their hint and no numbers; unknown
 * values print "-"; history gaps stay gaps; hostile strings never put an
 * escape, C1 or bidi control on the canvas; the keys select, filter, sort
 * and open details; the help overlay; the text renderer.
 */
#include "panels/panel.h"
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/textrender.h"
#include "tui/view.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_TEXT "2026-11-27 03:12:00 UTC"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        setlocale(LC_CTYPE, "C.utf8");
    }
}

/* A fake history: every series is a wave derived from its name, with a
 * gap every seventh point and nothing for names starting with "none/". */
static size_t fake_range(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    (void)ctx;
    (void)from;
    (void)to;
    if (strncmp(series, "none/", 5) == 0) {
        return 0;
    }
    uint32_t h = 2166136261u;
    for (const char *p = series; *p; p++) {
        h = (h ^ (unsigned char)*p) * 16777619u;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = i % 7 == 3 ? NAN : (double)((h >> (i % 13)) % 17) + (double)(i % 5);
    }
    return n;
}

static const struct series_source fake_history = {NULL, fake_range};

struct strbuf {
    char *p;
    size_t n, cap;
};

static void sb_add(struct strbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static void sb_canvas(struct strbuf *b, const char *title, const struct canvas *c)
{
    char *t = canvas_dump_text(c), *r = canvas_dump_roles(c);
    sb_add(b, "==== ");
    sb_add(b, title);
    sb_add(b, " ====\n");
    sb_add(b, t);
    sb_add(b, "---- roles ----\n");
    sb_add(b, r);
    free(t);
    free(r);
}

/* The fixtures, the incident ones with the pending jobs of the starved
 * queue (the queue detail lists them with their ages and why they wait). */
static struct snapshot *fixture(int which)
{
    struct snapshot *s = which == 0   ? fixsnap_incident(0)
                         : which == 1 ? fixsnap_steady()
                                      : fixsnap_incident(1);
    if (which != 1) {
        struct tag org_tags[] = {{"scope", "organization"}, {"owner", ""}};
        for (int i = 0; i < 3; i++) {
            struct job *j = snapshot_add_job(s);
            char id[64];
            snprintf(id, sizeof id, "0b7c%04d-1111-4222-8333-444455556666", i);
            j->id = snapshot_str(s, id);
            j->organization = snapshot_str(s, "coder");
            j->tags = snapshot_tagset(s, org_tags, 2);
            j->status = snapshot_str(s, "pending");
            j->type = snapshot_str(s, "workspace_build");
            j->age_s = 540 - 200 * i;
            j->queue_position = i + 1;
        }
    }
    return s;
}

static const char *const fixture_names[] = {"incident", "steady", "hostile"};
static const int sizes[][2] = {{80, 24}, {120, 40}, {200, 60}};

/* The detail views: which pane, which row id. */
static const struct {
    enum pane_id pane;
    const char *key;
    const char *name;
} details[] = {
    {PANE_SERVERS, "coder-1", "replica"},
    {PANE_PROVISIONERS, "q:coder/owner= scope=organization", "queue"},
    {PANE_PROVISIONERS, "d:prov-a3", "daemon"},
    {PANE_POSTGRES, "postgres", "postgres"},
    {PANE_PROXIES, "ap-south", "proxy"},
    {PANE_CAPACITY, "coder-workspaces", "namespace"},
    {PANE_CAPACITY, ":nodes", "nodes"},
};

static void golden_set(int which, int si, bool ascii)
{
    int w = sizes[si][0], h = sizes[si][1];
    struct snapshot *s = fixture(which);
    struct canvas *c = canvas_new(w, h, ascii);
    struct pane_ctx ctx = {.series = &fake_history, .window_s = 3600, .utc = true};
    struct strbuf panes = {0}, det = {0};
    char title[128], path[160];

    /* The whole frame: compact boxes at 80 columns, grids when wider. */
    struct view v;
    view_init(&v);
    v.ctx = ctx;
    view_render(c, canvas_bounds(c), &v, s, TIME_TEXT);
    sb_canvas(&panes, "frame", c);
    for (int i = 0; i < PANE_COUNT; i++) {
        const struct pane_ops *ops = panes_get((enum pane_id)i);
        struct pane_view pv = {.focused = true, .zoomed = true, .selected = 0};
        canvas_clear(c);
        ops->draw(c, canvas_bounds(c), s, &pv, &ctx);
        snprintf(title, sizeof title, "pane %s", ops->name);
        sb_canvas(&panes, title, c);
    }
    snprintf(path, sizeof path, "panes/%s-%dx%d-%s.txt", fixture_names[which], w, h,
             ascii ? "ascii" : "utf8");
    CHECK_GOLDEN(path, panes.p);

    for (size_t d = 0; d < sizeof details / sizeof *details; d++) {
        struct pane_view pv = {.focused = true, .zoomed = true, .selected = -1, .detail = true};
        snprintf(pv.detail_key, sizeof pv.detail_key, "%s", details[d].key);
        canvas_clear(c);
        panes_get(details[d].pane)->draw(c, canvas_bounds(c), s, &pv, &ctx);
        snprintf(title, sizeof title, "detail %s %s", details[d].name, details[d].key);
        sb_canvas(&det, title, c);
    }
    snprintf(path, sizeof path, "panes/detail-%s-%dx%d-%s.txt", fixture_names[which], w, h,
             ascii ? "ascii" : "utf8");
    CHECK_GOLDEN(path, det.p);
    free(panes.p);
    free(det.p);
    canvas_free(c);
    snapshot_unref(s);
}

TEST(panes_golden_incident)
{
    utf8_locale();
    for (int si = 0; si < 3; si++) {
        golden_set(0, si, false);
        golden_set(0, si, true);
    }
}

TEST(panes_golden_steady)
{
    utf8_locale();
    for (int si = 0; si < 3; si++) {
        golden_set(1, si, false);
        golden_set(1, si, true);
    }
}

TEST(panes_golden_hostile)
{
    utf8_locale();
    for (int si = 0; si < 3; si++) {
        golden_set(2, si, false);
        golden_set(2, si, true);
    }
}

/* Draws pane id of s zoomed at w x h; returns its text (caller frees). */
static char *pane_text(enum pane_id id, const struct snapshot *s, int w, int h,
                       const struct pane_view *pv, const struct pane_ctx *ctx, char **roles)
{
    struct canvas *c = canvas_new(w, h, false);
    struct pane_view def = {.zoomed = true, .selected = -1};
    panes_get(id)->draw(c, canvas_bounds(c), s, pv ? pv : &def, ctx);
    char *t = canvas_dump_text(c);
    if (roles) {
        *roles = canvas_dump_roles(c);
    }
    canvas_free(c);
    return t;
}

/* The text inside the frame: the first and last lines and columns dropped
 * (the title is not data). */
static bool has_digit_inside(const char *t)
{
    const char *line = strchr(t, '\n');
    while (line && line[1]) {
        const char *next = strchr(line + 1, '\n');
        if (!next) {
            break; /* the bottom frame */
        }
        for (const char *p = line + 1; p < next; p++) {
            if (*p >= '0' && *p <= '9') {
                return true;
            }
        }
        line = next;
    }
    return false;
}

TEST(panes_every_source_disabled_shows_hint_and_no_numbers)
{
    utf8_locale();
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    static const char *const kinds[][3] = {
        {"coder-api", "coder", "set --coder-url URL to enable"},
        {"metrics", "metrics", "set --metrics URL to enable"},
        {"provisioner-metrics", "provisioner-metrics", "set --provisioner-metrics URL to enable"},
        {"proxy-health", "proxy-health", "set --coder-url URL for proxies"},
        {"postgres", "postgres", "set --pg CONNINFO to enable"},
        {"kubernetes", "kubernetes", "set --kubeconfig FILE to enable"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        struct source_state *src = snapshot_add_source(s, kinds[i][0], kinds[i][1]);
        src->status = SOURCE_DISABLED;
        src->reason = REASON_NOT_CONFIGURED;
        src->hint = snapshot_str(s, kinds[i][2]);
    }
    /* Numbers that must not show: a disabled source's data is not data. */
    struct server *sv = snapshot_add_server(s);
    sv->hostname = snapshot_str(s, "coder-0");
    sv->api_p95_ms = 123;
    s->postgres.connections.used = 77;
    s->capacity.cluster.cpu_requested_cores = 55;
    static const struct {
        enum pane_id id;
        const char *hint;
    } want[] = {
        {PANE_SERVERS, "set --coder-url URL to enable"},
        {PANE_PROVISIONERS, "set --provisioner-metrics URL to enable"},
        {PANE_POSTGRES, "disabled: set --pg CONNINFO to enable"},
        {PANE_PROXIES, "set --coder-url URL for proxies"},
        {PANE_CAPACITY, "disabled: set --kubeconfig FILE to enable"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char *t = pane_text(want[i].id, s, 200, 20, NULL, NULL, NULL);
        if (!strstr(t, want[i].hint)) {
            test_fail(__FILE__, __LINE__, "%s lacks the hint '%s':\n%s",
                      panes_get(want[i].id)->name, want[i].hint, t);
        }
        if (has_digit_inside(t)) {
            test_fail(__FILE__, __LINE__, "%s shows a number:\n%s", panes_get(want[i].id)->name, t);
        }
        free(t);
        /* The compact box says it too, without numbers. */
        struct pane_view pv = {.compact = true, .selected = -1};
        t = pane_text(want[i].id, s, 60, 6, &pv, NULL, NULL);
        CHECK(strstr(t, "disabled") != NULL);
        CHECK(!has_digit_inside(t));
        free(t);
    }
    snapshot_unref(s);
}

TEST(panes_no_permission_is_said)
{
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    struct source_state *src = snapshot_add_source(s, "kubernetes", "kubernetes");
    src->status = SOURCE_ERROR;
    src->reason = REASON_NO_PERMISSION;
    src->error = snapshot_str(s, "GET /api/v1/nodes: 403 forbidden");
    char *t = pane_text(PANE_CAPACITY, s, 120, 12, NULL, NULL, NULL);
    CHECK(strstr(t, "no permission: GET /api/v1/nodes: 403 forbidden") != NULL);
    free(t);
    snapshot_unref(s);
}

TEST(panes_stale_data_says_stale_and_is_drawn_stale)
{
    utf8_locale();
    struct snapshot *s = fixsnap_incident(0); /* kubernetes is stale in the fixture */
    char *roles = NULL;
    char *t = pane_text(PANE_CAPACITY, s, 120, 30, NULL, NULL, &roles);
    CHECK(strstr(t, "stale (last good 1m35s ago): GET /api/v1/pods: timeout after 10s") != NULL);
    /* The memory line (not over a threshold) is drawn in the stale role. */
    const char *line = strstr(t, "memory");
    CHECK(line != NULL);
    if (line) {
        int row = 0;
        for (const char *p = t; p < line; p++) {
            row += *p == '\n';
        }
        const char *r = roles;
        for (int i = 0; i < row && r; i++) {
            r = strchr(r, '\n') ? strchr(r, '\n') + 1 : NULL;
        }
        CHECK(r && memchr(r, 'x', strcspn(r, "\n")) != NULL);
    }
    free(t);
    free(roles);
    snapshot_unref(s);
}

/* The first word after "| label" on the line where label is the first
 * word (static buffer). */
static const char *value_after(const char *t, const char *label)
{
    static char word[64];
    word[0] = '\0';
    for (const char *p = t; (p = strstr(p, label)) != NULL; p++) {
        const char *q = p;
        while (q > t && q[-1] == ' ') {
            q--;
        }
        /* Only a label at the start of the line (after the frame). */
        if (q == t || (q[-1] != '\n' && (unsigned char)q[-1] < 0x80)) {
            continue;
        }
        q = p + strlen(label);
        if (*q != ' ') {
            continue;
        }
        while (*q == ' ') {
            q++;
        }
        size_t n = strcspn(q, " \n");
        n = n < sizeof word - 1 ? n : sizeof word - 1;
        memcpy(word, q, n);
        word[n] = '\0';
        return word;
    }
    return word;
}

TEST(panes_unknown_values_print_dash)
{
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    struct source_state *src = snapshot_add_source(s, "coder-replicas", "coder");
    src->status = SOURCE_OK;
    src->last_ok = FIXSNAP_TIME;
    src = snapshot_add_source(s, "postgres", "postgres");
    src->status = SOURCE_OK;
    src->last_ok = FIXSNAP_TIME;
    struct server *sv = snapshot_add_server(s); /* every number NAN */
    sv->id = snapshot_str(s, "replica-x");
    sv->hostname = snapshot_str(s, "replica-x");
    char *t = pane_text(PANE_SERVERS, s, 200, 10, NULL, NULL, NULL);
    const char *row = strstr(t, "replica-x");
    CHECK(row != NULL);
    if (row) {
        size_t len = strcspn(row, "\n");
        int dashes = 0;
        for (size_t i = 0; i < len; i++) {
            CHECK(!(row[i] >= '0' && row[i] <= '9'));
            dashes += row[i] == '-' && (i + 1 == len || row[i + 1] == ' ');
        }
        CHECK(dashes >= 10);
    }
    free(t);
    t = pane_text(PANE_POSTGRES, s, 120, 30, NULL, NULL, NULL);
    static const char *const labels[] = {
        "up",        "round trip",   "connections",   "waiting on locks",    "transactions/s",
        "cache hit", "NOTIFY queue", "database size", "xid age (wraparound)"};
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
        CHECK_STR(value_after(t, labels[i]), "-");
    }
    CHECK(strstr(t, " 0%") == NULL && strstr(t, " 0 ") == NULL);
    free(t);
    snapshot_unref(s);
}

TEST(panes_sparklines_show_history_with_gaps)
{
    utf8_locale();
    struct snapshot *s = fixsnap_steady();
    struct pane_ctx ctx = {.series = &fake_history, .window_s = 3600};
    struct canvas *c = canvas_new(200, 10, false);
    struct pane_view pv = {.zoomed = true, .selected = -1};
    pane_proxies.draw(c, canvas_bounds(c), s, &pv, &ctx);
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "latency trend") != NULL);
    /* The first proxy's row (the fourth line: frame, freshness, network,
     * header) has a run of sparkline cells: samples 0..2 drawn, sample 3 a
     * blank gap (not the lowest block), 4.. drawn again. */
    CHECK(strstr(t ? t : "", "network  STUN ok") != NULL);
    int x0 = -1;
    for (int x = 0; x < 200 && x0 < 0; x++) {
        if (canvas_cell(c, x, 4)->role == ROLE_SPARKLINE) {
            x0 = x;
        }
    }
    CHECK(x0 > 0);
    if (x0 > 0) {
        const struct glyphs *g = glyphs_get(false);
        for (int i = 0; i < 7; i++) {
            uint32_t cp = canvas_cell(c, x0 + i, 4)->cp;
            bool block = false;
            for (int l = 0; l < GLYPHS_SPARK_LEVELS; l++) {
                block = block || cp == g->spark[l];
            }
            if (i == 3) {
                CHECK(cp == ' ');
            } else {
                CHECK(block);
            }
        }
    }
    free(t);
    canvas_free(c);
    /* Without history there is no trend column at all, not an empty one. */
    t = pane_text(PANE_PROXIES, s, 200, 10, NULL, NULL, NULL);
    CHECK(strstr(t, "latency trend") == NULL);
    free(t);
    snapshot_unref(s);
}

/* True when text holds ESC, a C1 control or a bidi override/isolate. */
static bool has_controls(const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    for (; *p; p++) {
        if (*p == 0x1b || *p == 0x07 || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
            return true;
        }
        if (*p == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) {
            return true;
        }
        if (*p == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
            return true;
        }
    }
    return false;
}

TEST(panes_hostile_strings_never_reach_the_canvas)
{
    utf8_locale();
    struct snapshot *s = fixsnap_incident(1);
    struct pane_ctx ctx = {.series = &fake_history};
    for (int i = 0; i < PANE_COUNT; i++) {
        for (int compact = 0; compact <= 1; compact++) {
            struct pane_view pv = {.zoomed = true, .compact = compact, .selected = -1};
            char *t = pane_text((enum pane_id)i, s, 200, 60, &pv, &ctx, NULL);
            if (has_controls(t)) {
                test_fail(__FILE__, __LINE__, "pane %s puts a control on the canvas",
                          panes_get((enum pane_id)i)->name);
            }
            free(t);
        }
    }
    static const struct {
        enum pane_id id;
        const char *key;
    } det[] = {
        {PANE_SERVERS, "coder-2\x1b]52;c;cm0gLXJmIH4=\x07\x1b[31m<b>|x|</b>\xe2\x80\xae\"q\""},
        {PANE_SERVERS, "coder-1"},
        {PANE_PROXIES, "eu-west<script>alert(1)</script>"},
        {PANE_POSTGRES, "postgres"},
        {PANE_PROVISIONERS, "q:coder/gpu=a100|<h1>x scope=organization"},
    };
    for (size_t i = 0; i < sizeof det / sizeof *det; i++) {
        struct pane_view pv = {.zoomed = true, .selected = -1, .detail = true};
        snprintf(pv.detail_key, sizeof pv.detail_key, "%s", det[i].key);
        char *t = pane_text(det[i].id, s, 200, 60, &pv, &ctx, NULL);
        CHECK(!has_controls(t));
        free(t);
    }
    char *t = textrender_snapshot(s, &fake_history, 120, false, true);
    CHECK(!has_controls(t));
    free(t);
    snapshot_unref(s);
}

TEST(panes_keys_select_filter_sort_and_detail)
{
    utf8_locale();
    struct snapshot *s = fixsnap_incident(0);
    struct view v;
    view_init(&v);
    CHECK_INT(view_key(&v, s, '2'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, s, KEYS_DOWN), VIEW_REDRAW);
    CHECK_INT(v.panes[PANE_SERVERS].selected, 0);
    CHECK_INT(view_key(&v, s, 'j'), VIEW_REDRAW);
    CHECK_INT(v.panes[PANE_SERVERS].selected, 1);
    /* Enter with a row selected opens its detail, zoomed. */
    CHECK_INT(view_key(&v, s, KEYS_ENTER), VIEW_REDRAW);
    CHECK(v.panes[PANE_SERVERS].detail);
    CHECK_STR(v.panes[PANE_SERVERS].detail_key, "coder-1");
    CHECK_INT(v.zoom, PANE_SERVERS);
    struct canvas *c = canvas_new(120, 40, false);
    view_render(c, canvas_bounds(c), &v, s, TIME_TEXT);
    char *t = canvas_dump_text(c);
    CHECK(strstr(t, "Replica coder-1") != NULL);
    CHECK(strstr(t, "ping coder-0: i/o timeout") != NULL);
    free(t);
    /* Esc closes the detail, then the selection, then the zoom. */
    CHECK_INT(view_key(&v, s, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK(!v.panes[PANE_SERVERS].detail);
    CHECK_INT(v.zoom, PANE_SERVERS);
    CHECK_INT(view_key(&v, s, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK_INT(v.panes[PANE_SERVERS].selected, -1);
    CHECK_INT(view_key(&v, s, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK_INT(v.zoom, -1);
    /* '/' types a filter; 'q' while typing is text, not quit. */
    CHECK_INT(view_key(&v, s, '/'), VIEW_REDRAW);
    for (const char *p = "CODER-2"; *p; p++) {
        CHECK_INT(view_key(&v, s, *p), VIEW_REDRAW);
    }
    CHECK_INT(view_key(&v, s, 'q'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, s, KEYS_BACKSPACE), VIEW_REDRAW);
    CHECK_INT(view_key(&v, s, KEYS_ENTER), VIEW_REDRAW);
    CHECK_STR(v.panes[PANE_SERVERS].filter, "CODER-2");
    CHECK_INT(view_key(&v, s, 'z'), VIEW_REDRAW);
    canvas_clear(c);
    view_render(c, canvas_bounds(c), &v, s, TIME_TEXT);
    t = canvas_dump_text(c);
    CHECK(strstr(t, "coder-2") != NULL);
    CHECK(strstr(t, "coder-0 ") == NULL && strstr(t, "10.0.9.9") == NULL);
    CHECK(strstr(t, "/CODER-2") != NULL); /* the filter is shown on the frame */
    free(t);
    CHECK_INT(view_key(&v, s, KEYS_ESCAPE), VIEW_REDRAW); /* clears the filter */
    CHECK_STR(v.panes[PANE_SERVERS].filter, "");
    /* 's' cycles the sort: by the p95 column (7th) the slowest comes first. */
    for (int i = 0; i < 7; i++) {
        CHECK_INT(view_key(&v, s, 's'), VIEW_REDRAW);
    }
    CHECK_INT(v.panes[PANE_SERVERS].sort, 7);
    canvas_clear(c);
    view_render(c, canvas_bounds(c), &v, s, TIME_TEXT);
    t = canvas_dump_text(c);
    const char *c2 = strstr(t, "coder-2"), *c0 = strstr(t, "coder-0");
    CHECK(c2 && c0 && c2 < c0);
    CHECK(strstr(t, "sort: p95") != NULL);
    free(t);
    /* Provisioners: the second selectable row past the queues is a daemon. */
    CHECK_INT(view_key(&v, s, '3'), VIEW_REDRAW);
    for (int i = 0; i < 3; i++) {
        view_key(&v, s, KEYS_DOWN);
    }
    CHECK_INT(view_key(&v, s, KEYS_ENTER), VIEW_REDRAW);
    CHECK_STR(v.panes[PANE_PROVISIONERS].detail_key, "d:prov-a0");
    /* Postgres: Enter on the zoomed pane opens its detail. */
    view_init(&v);
    view_key(&v, s, '4');
    view_key(&v, s, 'z');
    CHECK_INT(view_key(&v, s, KEYS_ENTER), VIEW_REDRAW);
    CHECK(v.panes[PANE_POSTGRES].detail);
    canvas_free(c);
    snapshot_unref(s);
}

TEST(panes_help_overlay_lists_every_key)
{
    utf8_locale();
    struct view v;
    view_init(&v);
    CHECK_INT(view_key(&v, NULL, '?'), VIEW_REDRAW);
    CHECK(v.help);
    for (int si = 0; si < 2; si++) {
        struct canvas *c = canvas_new(sizes[si][0], sizes[si][1], false);
        view_render(c, canvas_bounds(c), &v, NULL, TIME_TEXT);
        char *t = canvas_dump_text(c), *r = canvas_dump_roles(c);
        for (size_t i = 0; view_console_keys[i][0]; i++) {
            CHECK(strstr(t, view_console_keys[i][0]) != NULL);
        }
        char path[64];
        snprintf(path, sizeof path, "panes/help-%dx%d.txt", sizes[si][0], sizes[si][1]);
        CHECK_GOLDEN(path, t);
        snprintf(path, sizeof path, "panes/help-%dx%d.roles", sizes[si][0], sizes[si][1]);
        CHECK_GOLDEN(path, r);
        free(t);
        free(r);
        canvas_free(c);
    }
    /* Any key closes it and does nothing else. */
    CHECK_INT(view_key(&v, NULL, '3'), VIEW_REDRAW);
    CHECK(!v.help);
    CHECK_INT(v.focus, PANE_OVERVIEW);
}

TEST(panes_text_render_golden)
{
    utf8_locale();
    struct snapshot *s = fixsnap_incident(0);
    char *t = textrender_snapshot(s, NULL, 120, false, true);
    CHECK_GOLDEN("panes/text-incident-120.txt", t);
    /* Every line is exactly the width; every pane is there. */
    for (const char *p = strchr(t, '\n') + 1; *p;) {
        size_t len = strcspn(p, "\n");
        (void)len;
        p += len + (p[len] ? 1 : 0);
    }
    for (int i = 0; i < PANE_COUNT; i++) {
        CHECK(strstr(t, panes_get((enum pane_id)i)->title) != NULL);
    }
    free(t);
    t = textrender_snapshot(s, &fake_history, 120, true, true);
    CHECK_GOLDEN("panes/text-incident-120-ascii-history.txt", t);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p > 0x7e || (*p < 0x20 && *p != '\n')) {
            test_fail(__FILE__, __LINE__, "byte 0x%02x in the ASCII text", *p);
            break;
        }
    }
    free(t);
    snapshot_unref(s);
}

#define SENTINEL '@'

/* Every pane (full, compact and detail, with history), the whole frame
 * and the help overlay, drawn from the fixture snapshots into every size
 * from 1x1 to 200x60 (UTF-8 and ASCII), leave the margin around their
 * rectangle untouched. */
TEST(panes_property_nothing_outside_the_rect)
{
    utf8_locale();
    enum { M = 2 };
    struct snapshot *snaps[3] = {fixsnap_incident(0), fixsnap_steady(), fixsnap_incident(1)};
    struct pane_ctx ctx = {.series = &fake_history, .window_s = 600};
    for (int ascii = 0; ascii <= 1; ascii++) {
        struct canvas *c = canvas_new(200 + 2 * M, 60 + 2 * M, ascii);
        for (int h = 1; h <= 60; h++) {
            for (int w = 1; w <= 200; w++) {
                const struct snapshot *s = snaps[(w + h) % 3];
                struct rect r = canvas_rect(M, M, w, h);
                struct rect around = canvas_rect(0, 0, w + 2 * M, h + 2 * M);
                canvas_fill(c, around, SENTINEL, ROLE_STALE);
                struct view v;
                view_init(&v);
                v.ctx = ctx;
                v.zoom = (w + h) % 7 == 0 ? (w % PANE_COUNT) : -1;
                v.focus = v.zoom >= 0 ? v.zoom : PANE_OVERVIEW;
                v.help = (w * h) % 11 == 0;
                v.panes[v.focus].selected = h % 4;
                view_render(c, r, &v, s, TIME_TEXT);
                for (int i = 0; i < PANE_COUNT; i++) {
                    struct pane_view pv = {.focused = (w & 1) != 0,
                                           .compact = (h % 3) == 0,
                                           .selected = w % 5 - 1,
                                           .scroll = h % 2};
                    if ((h % 3) == 1) {
                        for (size_t d = 0; d < sizeof details / sizeof *details; d++) {
                            if (details[d].pane == (enum pane_id)i) {
                                pv.detail = true;
                                snprintf(pv.detail_key, sizeof pv.detail_key, "%s", details[d].key);
                            }
                        }
                    }
                    panes_get((enum pane_id)i)->draw(c, r, s, &pv, &ctx);
                }
                for (int y = 0; y < h + 2 * M; y++) {
                    for (int x = 0; x < w + 2 * M; x++) {
                        if (canvas_rect_contains(r, x, y)) {
                            continue;
                        }
                        const struct cell *k = canvas_cell(c, x, y);
                        if (k->cp != SENTINEL || k->role != ROLE_STALE || k->width != 1) {
                            test_fail(__FILE__, __LINE__,
                                      "%dx%d (%s): cell %d,%d outside the rect was written", w, h,
                                      ascii ? "ascii" : "utf8", x - M, y - M);
                            canvas_free(c);
                            goto out;
                        }
                    }
                }
            }
        }
        canvas_free(c);
    }
out:
    for (int i = 0; i < 3; i++) {
        snapshot_unref(snaps[i]);
    }
}

TEST(panes_wrap_words)
{
    utf8_locale();
    struct canvas *c = canvas_new(12, 4, false);
    int n = panel_wrap(c, canvas_rect(0, 0, 12, 4), 0, 0, ROLE_NORMAL,
                       "disabled: set --kubeconfig-file-is-long FILE to enable it now");
    char *t = canvas_dump_text(c);
    /* Whole words per line, an over-long word cut alone, the last line
     * truncated with the mark. */
    CHECK_STR(t, "disabled:\nset\n--kubeconfi…\nFILE to ena…\n");
    CHECK_INT(n, 4);
    free(t);
    canvas_free(c);
}

TEST(panes_selection_stays_on_the_rows_and_gone_rows_say_so)
{
    struct snapshot *s = fixsnap_incident(0);
    struct pane_view pv = {.selected = -1};
    /* Three proxies: Down past the end stays on the last. */
    for (int i = 0; i < 10; i++) {
        pane_proxies.key(&pv, s, KEYS_DOWN);
    }
    CHECK_INT(pv.selected, 2);
    CHECK(pane_proxies.key(&pv, s, KEYS_HOME));
    CHECK_INT(pv.selected, 0);
    CHECK(pane_proxies.key(&pv, s, KEYS_PAGE_DOWN));
    CHECK_INT(pv.selected, 2);
    CHECK(pane_proxies.key(&pv, s, 'g'));
    CHECK_INT(pv.selected, 0);
    /* A filter matching nothing leaves nothing to select. */
    snprintf(pv.filter, sizeof pv.filter, "no-such-proxy");
    CHECK(pane_proxies.key(&pv, s, KEYS_DOWN));
    CHECK_INT(pv.selected, -1);
    CHECK(!pane_proxies.key(&pv, s, KEYS_ENTER));
    char *t = pane_text(PANE_PROXIES, s, 120, 10, &pv, NULL, NULL);
    CHECK(strstr(t, "no proxy matches the filter") != NULL);
    free(t);
    /* A detail whose row left the snapshot says so instead of showing
     * another row's numbers. */
    struct pane_view dv = {.zoomed = true, .selected = -1, .detail = true};
    snprintf(dv.detail_key, sizeof dv.detail_key, "coder-9");
    t = pane_text(PANE_SERVERS, s, 120, 20, &dv, NULL, NULL);
    CHECK(strstr(t, "not in this snapshot") != NULL);
    CHECK(strstr(t, "ms") == NULL);
    free(t);
    snapshot_unref(s);
}

/* Records the window asked for the cost series (the weekly sparkline). */
static double cost_window_s;
static size_t cost_range(void *ctx, const char *series, double from, double to, size_t n,
                         double *out)
{
    if (strcmp(series, "cost/workspaces_running") == 0) {
        cost_window_s = to - from;
    }
    return fake_range(ctx, series, from, to, n, out);
}

TEST(panes_capacity_cost_block)
{
    utf8_locale();
    /* Groups need Premium: said in place of the table; the running list is there. */
    struct snapshot *s = fixsnap_steady();
    struct source_state *src = snapshot_add_source(s, "coder-cost", "coder");
    src->status = SOURCE_OK;
    src = snapshot_add_source(s, "coder-groups", "coder");
    src->status = SOURCE_DISABLED;
    src->reason = REASON_NEEDS_PREMIUM;
    s->cost.ngroups = 0;
    char *t = pane_text(PANE_CAPACITY, s, 120, 60, NULL, NULL, NULL);
    CHECK(strstr(t, "cost control  running list 4m00s ago") != NULL);
    CHECK(strstr(t, "needs Premium") != NULL);
    CHECK(strstr(t, "151  25% of running") != NULL);
    CHECK(strstr(t, " pool ") == NULL); /* no group table */
    free(t);
    /* The sparklines show the last 7 days whatever the pane's window. */
    struct series_source rec = {NULL, cost_range};
    struct pane_ctx ctx = {.series = &rec, .window_s = 3600};
    cost_window_s = 0;
    t = pane_text(PANE_CAPACITY, s, 120, 60, NULL, &ctx, NULL);
    CHECK_NEAR(cost_window_s, 7 * 86400.0, 0);
    free(t);
    /* Before the first list: pending, and unknown numbers are dashes. */
    snapshot_find_source(s, "coder-cost")->status = SOURCE_NEVER;
    s->cost.listed_at = s->cost.workspaces_running = s->cost.running_off_peak = NAN;
    s->cost.without_autostop = s->cost.daily_cost_credits = NAN;
    t = pane_text(PANE_CAPACITY, s, 120, 60, NULL, NULL, NULL);
    CHECK(strstr(t, "first running list pending") != NULL);
    CHECK(strcmp(value_after(t, "running"), "-") == 0);
    CHECK(strcmp(value_after(t, "no autostop"), "-") == 0);
    free(t);
    snapshot_unref(s);
    /* No Coder API and no recorded cost: no block at all. */
    s = fixsnap_steady();
    s->cost.listed_at = NAN;
    s->cost.ngroups = 0;
    t = pane_text(PANE_CAPACITY, s, 120, 60, NULL, NULL, NULL);
    CHECK(strstr(t, "cost control") == NULL);
    free(t);
    snapshot_unref(s);
}
