/* Markdown and HTML snapshot reports: golden renders of the incident fixture,
 * and hostile deployment strings made harmless in each format. */
#include "tests/lib/fixsnap.h"
#include "tests/lib/test.h"
#include "tui/doc.h"
#include "tui/writers.h"

#include <math.h>
#include <stdlib.h>

static char *render(struct snapshot *s, int html, const struct series_source *src)
{
    struct doc *d = doc_from_snapshot(s, 1);
    struct strbuf b = {0};
    if (html) {
        write_html_open(&b, d->title);
        write_html_body(&b, d, src, 3600);
        write_html_close(&b);
    } else {
        write_md(&b, d);
    }
    doc_free(d);
    return strbuf_take(&b);
}

TEST(writers_md_golden)
{
    struct snapshot *s = fixsnap_incident(0);
    char *md = render(s, 0, NULL);
    CHECK_GOLDEN("report/incident.md", md);
    /* What an incident document needs is there. */
    CHECK(strstr(md, "## Provisioners") != NULL);
    CHECK(strstr(md, "**no daemon has these tags**") != NULL);
    CHECK(strstr(md, "_Data: stale (last good 1m35s ago): GET /api/v1/pods: timeout") != NULL);
    free(md);
    snapshot_unref(s);
}

/* A fake history: a ramp with a gap in the middle. */
static size_t ramp(void *ctx, const char *series, double from, double to, size_t n, double *out)
{
    (void)ctx;
    (void)from;
    (void)to;
    if (!strstr(series, "api_p95_ms")) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = i >= n / 2 && i < n / 2 + 3 ? NAN : (double)i;
    }
    return n;
}

TEST(writers_html_golden_and_self_contained)
{
    struct snapshot *s = fixsnap_incident(0);
    struct series_source src = {NULL, ramp};
    char *html = render(s, 1, &src);
    CHECK_GOLDEN("report/incident.html", html);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "<script") == NULL);
    CHECK(strstr(html, "http://") == NULL || strstr(html, "src=\"http") == NULL);
    CHECK(strstr(html, "<link") == NULL);
    /* The sparkline breaks at the gap: two polylines per sparkline cell. */
    CHECK(strstr(html, "<svg class=\"spark\"") != NULL);
    const char *p = strstr(html, "<svg class=\"spark\"");
    const char *end = p ? strstr(p, "</svg>") : NULL;
    int lines = 0;
    for (const char *q = p; q && q < end && (q = strstr(q, "<polyline")) && q < end; q++) {
        lines++;
    }
    CHECK_INT(lines, 2);
    free(html);
    snapshot_unref(s);
}

static int has_raw_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f) {
            return 1;
        }
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            return 1;
        }
        if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) {
            return 1; /* bidi embedding/override */
        }
    }
    return 0;
}

TEST(writers_hostile_strings_harmless)
{
    struct snapshot *s = fixsnap_incident(1);
    char *md = render(s, 0, NULL);
    char *html = render(s, 1, NULL);
    CHECK(!has_raw_control(md));
    CHECK(!has_raw_control(html));
    /* Markup never survives as markup. */
    CHECK(strstr(html, "<script>") == NULL);
    CHECK(strstr(html, "<b>") == NULL);
    CHECK(strstr(html, "&lt;script&gt;") != NULL);
    CHECK(strstr(md, "<script>") == NULL);
    /* No table row of the Markdown has more cells than its header. */
    const char *line = md;
    size_t header_pipes = 0;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len && line[0] == '|') {
            size_t pipes = 0;
            for (size_t i = 0; i < len; i++) {
                if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) {
                    pipes++;
                }
            }
            if (strncmp(line, "|---", 4) == 0 || header_pipes == 0) {
                header_pipes = header_pipes ? header_pipes : pipes;
            } else if (pipes != header_pipes) {
                test_fail(__FILE__, __LINE__, "row has %zu cells, header %zu: %.*s", pipes,
                          header_pipes, (int)len, line);
            }
        } else {
            header_pipes = 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(md);
    free(html);
    snapshot_unref(s);
}

TEST(writers_unknown_is_not_zero)
{
    struct snapshot *s = snapshot_new(FIXSNAP_TIME);
    struct server *sv = snapshot_add_server(s);
    sv->id = sv->hostname = snapshot_str(s, "coder-0");
    char *md = render(s, 0, NULL);
    /* Every metric of the replica is unknown: shown as "-", never 0. */
    CHECK(strstr(md, "| coder-0 | - | - | - | - | - | - | - | - | - | - | - | - | - |  |") != NULL);
    free(md);
    snapshot_unref(s);
}
