/*
 * The compare view. Invariants: what it lists is diff_render's text, line
 * for line and in order (wrapping only splits a line too long for the
 * column, at a space, continuing it indented); every row of that text is
 * reachable by scrolling and none is shown twice; drawing touches nothing
 * outside the body rectangle, and all text goes through the canvas writer,
 * which removes control characters and escape sequences.
 *
 * Layout: one column; two columns (the list flowing down the left one, then
 * the right one) when the body is at least COMPARE_TWO_COLUMNS_W wide, the
 * list is longer than one column and every line fits half the width
 * unwrapped, so a wide terminal shows twice as much and never a worse
 * picture than one column would.
 */
#include "tui/compare.h"

#include "backend/diff.h"
#include "backend/escape.h"
#include "backend/timespec.h"
#include "backend/xalloc.h"
#include "tui/keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A continuation row starts this far in: past "  changed   ", under the
 * entity, so it cannot be mistaken for a change of its own. */
#define CONT_INDENT 14

void compare_init(struct compare *cmp)
{
    memset(cmp, 0, sizeof *cmp);
    cmp->a = cmp->b = NAN;
    cmp->from_t = cmp->to_t = NAN;
    cmp->page = 1;
}

void compare_fini(struct compare *cmp)
{
    if (!cmp) {
        return;
    }
    free(cmp->text);
    cmp->text = NULL;
}

void compare_show(struct compare *cmp, const struct snapshot *from, const struct snapshot *to,
                  bool swapped, bool a_shown, bool b_shown, bool utc)
{
    struct diff *d = diff_snapshots(from, to);
    free(cmp->text);
    cmp->text = diff_render(d, DIFF_TEXT, utc);
    cmp->nchanges = d->n;
    cmp->from_t = from->time;
    cmp->to_t = to->time;
    diff_free(d);
    cmp->swapped = swapped;
    cmp->a_shown = a_shown;
    cmp->b_shown = b_shown;
    cmp->open = true;
    cmp->scroll = 0;
    cmp->max_scroll = 0;
}

/* What every compare key says without a history file. */
static const char no_history[] =
    "compare needs a history file: A and B are read back from it (--db FILE)";

void compare_mark(struct compare *cmp, bool is_a, bool have_history, double shown, bool utc,
                  char *msg, size_t n)
{
    char when[TIMESPEC_BUF];
    if (!have_history) {
        snprintf(msg, n, "%s", no_history);
        return;
    }
    if (!isfinite(shown)) {
        snprintf(msg, n, "nothing shown yet to mark as %s", is_a ? "A" : "B");
        return;
    }
    *(is_a ? &cmp->a : &cmp->b) = shown;
    timespec_format_short(shown, utc, when, sizeof when);
    if (is_a && !isfinite(cmp->b)) {
        snprintf(msg, n, "A = %s; b marks B (else: the moment shown), c compares", when);
    } else if (!is_a && !isfinite(cmp->a)) {
        snprintf(msg, n, "B = %s; a marks A (else: the moment shown), c compares", when);
    } else {
        snprintf(msg, n, "%s = %s; c compares A with B", is_a ? "A" : "B", when);
    }
}

int compare_plan(const struct compare *cmp, bool have_history, double shown, struct compare_plan *p,
                 char *msg, size_t n)
{
    double ta = cmp->a, tb = cmp->b;
    *p = (struct compare_plan){NAN, NAN, false, false, false};
    if (!have_history) {
        snprintf(msg, n, "%s", no_history);
        return -1;
    }
    if (!isfinite(ta) && !isfinite(tb)) {
        snprintf(msg, n,
                 "compare: press a at one moment and b at another (g goes to a time), "
                 "then c");
        return -1;
    }
    if (!isfinite(ta) || !isfinite(tb)) {
        if (!isfinite(shown)) {
            snprintf(msg, n, "compare: nothing shown yet");
            return -1;
        }
        p->b_shown = !isfinite(tb);
        p->a_shown = !p->b_shown;
        *(p->b_shown ? &tb : &ta) = shown;
    }
    p->swapped = ta > tb;
    p->from = p->swapped ? tb : ta;
    p->to = p->swapped ? ta : tb;
    return 0;
}

enum compare_result compare_key(struct compare *cmp, int key)
{
    int s = cmp->scroll, page = cmp->page > 1 ? cmp->page : 1;
    switch (key) {
    case KEYS_ESCAPE:
    case KEYS_LEFT:
    case KEYS_BACKSPACE:
    case 'c':
        cmp->open = false;
        return COMPARE_CLOSED;
    case KEYS_DOWN:
    case 'j':
        s++;
        break;
    case KEYS_UP:
    case 'k':
        s--;
        break;
    case KEYS_PAGE_DOWN:
    case ' ':
        s += page;
        break;
    case KEYS_PAGE_UP:
        s -= page;
        break;
    case KEYS_HOME:
    case 'g':
        s = 0;
        break;
    case KEYS_END:
    case 'G':
        s = cmp->max_scroll;
        break;
    default:
        return COMPARE_UNUSED;
    }
    cmp->scroll = s > cmp->max_scroll ? cmp->max_scroll : s < 0 ? 0 : s;
    return COMPARE_REDRAW;
}

/* One row of the laid-out text: bytes [off, off + len) of the text, drawn
 * indent columns in. */
struct crow {
    size_t off, len;
    int indent;
    enum role role;
};

struct crows {
    struct crow *r;
    size_t n, cap;
};

static void add_row(struct crows *rs, size_t off, size_t len, int indent, enum role role)
{
    rs->r = xgrow(rs->r, &rs->cap, rs->n + 1, sizeof *rs->r);
    rs->r[rs->n++] = (struct crow){off, len, indent, role};
}

/* The display width of the character at p (within the len bytes left) and
 * its byte length in *n, as the canvas writer measures it. */
static int char_width(const struct canvas *c, const char *p, size_t left, size_t *n)
{
    unsigned char b = (unsigned char)p[0];
    size_t k = b < 0x80             ? 1
               : (b & 0xe0) == 0xc0 ? 2
               : (b & 0xf0) == 0xe0 ? 3
               : (b & 0xf8) == 0xf0 ? 4
                                    : 1;
    k = k > left ? left : k;
    char buf[5];
    memcpy(buf, p, k);
    buf[k] = '\0';
    *n = k;
    return canvas_text_width(c, buf);
}

/* The role of a line of diff_render's text: the first line (the frame's
 * title says the same) dim, the section names as titles, findings that
 * started and replicas that left as warnings, findings that ended as good
 * news. */
static enum role line_role(const char *p, size_t len, size_t lineno)
{
    if (len == 0) {
        return ROLE_NORMAL;
    }
    if (lineno == 0) {
        return ROLE_DIM;
    }
    if (p[0] != ' ') {
        return ROLE_TITLE;
    }
    if (len > 10 && (strncmp(p, "  started ", 10) == 0 || strncmp(p, "  left ", 7) == 0)) {
        return ROLE_WARN;
    }
    if (len > 8 && strncmp(p, "  ended ", 8) == 0) {
        return ROLE_OK;
    }
    return ROLE_NORMAL;
}

/* Lays one line [off, off + len) of text out in rows at most width wide. */
static void wrap_line(const struct canvas *c, const char *text, size_t off, size_t len, int width,
                      enum role role, struct crows *rs)
{
    const char *p = text + off;
    int cont = width >= 2 * CONT_INDENT ? CONT_INDENT : 2;
    size_t pos = 0;
    int indent = 0;
    if (len == 0 || width <= 0) {
        add_row(rs, off, len, 0, role);
        return;
    }
    for (;;) {
        int room = width - indent, used = 0;
        size_t i = pos, cut = 0;
        bool word = false; /* a non-space seen on this row: a space may end it */
        while (i < len) {
            size_t n;
            int w = char_width(c, p + i, len - i, &n);
            if (used + w > room) {
                break;
            }
            if (p[i] == ' ' && word && p[i - 1] != ' ') {
                cut = i; /* the start of a run of spaces */
            }
            word = word || p[i] != ' ';
            used += w;
            i += n;
        }
        if (i >= len) {
            add_row(rs, off + pos, len - pos, indent, role);
            return;
        }
        if (p[i] == ' ' && word && p[i - 1] != ' ') {
            cut = i; /* the row ends right before a space */
        }
        if (cut <= pos) {
            /* No space to break at: cut the word (at least one character). */
            size_t n = 0;
            if (i > pos) {
                cut = i;
            } else {
                (void)char_width(c, p + pos, len - pos, &n);
                cut = pos + n;
            }
        }
        add_row(rs, off + pos, cut - pos, indent, role);
        pos = cut;
        while (pos < len && p[pos] == ' ') {
            pos++;
        }
        if (pos >= len) {
            return;
        }
        indent = cont;
    }
}

/* Lays the whole text out for columns width wide; the widest line's width
 * (unwrapped) in *widest when not NULL. */
static void layout_rows(const struct canvas *c, const char *text, int width, struct crows *rs,
                        int *widest)
{
    size_t lineno = 0;
    if (widest) {
        *widest = 0;
    }
    if (!text) {
        return;
    }
    for (const char *p = text; *p; lineno++) {
        size_t len = strcspn(p, "\n");
        enum role role = line_role(p, len, lineno);
        if (widest) {
            char *line = xstrndup(p, len);
            int w = canvas_text_width(c, line);
            free(line);
            *widest = w > *widest ? w : *widest;
        }
        wrap_line(c, text, (size_t)(p - text), len, width, role, rs);
        p += len;
        if (*p == '\n') {
            p++;
        }
    }
}

/* Where the text goes in body: one or two column rectangles (the text
 * starts one column in), and the rows laid out for them. Returns the
 * number of columns (0 when nothing fits). */
static int geometry(const struct canvas *c, struct rect body, const char *text, struct rect col[2],
                    struct crows *rs)
{
    struct rect in = canvas_rect_inset(body, 1);
    if (in.w < 2 || in.h < 1) {
        return 0;
    }
    col[0] = in;
    layout_rows(c, text, in.w - 1, rs, NULL);
    if (body.w < COMPARE_TWO_COLUMNS_W || (int)rs->n <= in.h) {
        return 1;
    }
    int w0 = (in.w - 1) / 2;
    struct rect c0 = canvas_rect(in.x, in.y, w0, in.h);
    struct rect c1 = canvas_rect(in.x + w0 + 1, in.y, in.w - w0 - 1, in.h);
    int textw = (c0.w < c1.w ? c0.w : c1.w) - 1, widest;
    struct crows two = {0};
    layout_rows(c, text, textw, &two, &widest);
    if (widest > textw) {
        free(two.r);
        return 1; /* two columns would wrap: one column reads better */
    }
    free(rs->r);
    *rs = two;
    col[0] = c0;
    col[1] = c1;
    return 2;
}

void compare_fit(struct compare *cmp, const struct canvas *c, struct rect body)
{
    struct rect col[2];
    struct crows rs = {0};
    body = canvas_rect_intersect(body, canvas_bounds(c));
    int ncols = geometry(c, body, cmp->text, col, &rs);
    int page = ncols * (ncols ? col[0].h : 0);
    cmp->page = page > 1 ? page : 1;
    cmp->max_scroll = (int)rs.n > page ? (int)rs.n - page : 0;
    cmp->scroll = cmp->scroll > cmp->max_scroll ? cmp->max_scroll : cmp->scroll;
    cmp->scroll = cmp->scroll < 0 ? 0 : cmp->scroll;
    free(rs.r);
}

/* "A 2026-11-27 03:06:00 UTC" for the side that label names. */
static void side(char *buf, size_t n, const char *label, double t, bool utc)
{
    char when[TIMESPEC_BUF];
    snprintf(buf, n, "%s %s", label, timespec_format_short(t, utc, when, sizeof when));
}

void compare_draw(struct canvas *c, struct rect body, const struct compare *cmp, bool utc)
{
    body = canvas_rect_intersect(body, canvas_bounds(c));
    if (canvas_rect_empty(body)) {
        return;
    }
    canvas_fill(c, body, ' ', ROLE_NORMAL);
    char from[80], to[80], title[200];
    const char *la = cmp->a_shown ? "A (shown)" : "A", *lb = cmp->b_shown ? "B (shown)" : "B";
    side(from, sizeof from, cmp->swapped ? lb : la, cmp->from_t, utc);
    side(to, sizeof to, cmp->swapped ? la : lb, cmp->to_t, utc);
    snprintf(title, sizeof title, "Compare  %s  ->  %s", from, to);
    canvas_box(c, body, title, true);

    struct rect col[2];
    struct crows rs = {0};
    int ncols = geometry(c, body, cmp->text, col, &rs);
    int h = ncols ? col[0].h : 0, page = ncols * h;
    int max = (int)rs.n > page ? (int)rs.n - page : 0;
    int first = cmp->scroll > max ? max : cmp->scroll < 0 ? 0 : cmp->scroll;
    if (ncols == 2) {
        /* The separator between the columns. */
        const struct glyphs *g = canvas_glyphs(c);
        for (int y = col[0].y; y < col[0].y + h; y++) {
            canvas_put_glyph(c, body, col[0].x + col[0].w, y, ROLE_FRAME, g->v);
        }
    }
    for (int k = 0; k < ncols; k++) {
        struct rect clip = col[k];
        for (int y = 0; y < h; y++) {
            size_t i = (size_t)(first + k * h + y);
            if (i >= rs.n) {
                break;
            }
            const struct crow *r = &rs.r[i];
            canvas_put_textn(c, clip, clip.x + 1 + r->indent, clip.y + y, r->role,
                             cmp->text + r->off, r->len);
        }
    }
    /* How much there is, on the bottom edge. */
    char badge[120];
    int shown_last = first + page < (int)rs.n ? first + page : (int)rs.n;
    if ((int)rs.n > page) {
        snprintf(badge, sizeof badge, " %zu change%s, rows %d-%d of %zu ", cmp->nchanges,
                 cmp->nchanges == 1 ? "" : "s", first + 1, shown_last, rs.n);
    } else {
        snprintf(badge, sizeof badge, " %zu change%s ", cmp->nchanges,
                 cmp->nchanges == 1 ? "" : "s");
    }
    if (body.h >= 2 && body.w >= 6) {
        int w = canvas_text_width(c, badge);
        struct rect edge = canvas_rect(body.x + 1, body.y + body.h - 1, body.w - 2, 1);
        int x = body.x + body.w - 2 - w;
        canvas_put_text(c, edge, x < edge.x ? edge.x : x, edge.y, ROLE_KEY, badge);
    }
    free(rs.r);
}

char *compare_marks_text(const struct compare *cmp, bool utc, char *buf, size_t n)
{
    char a[TIMESPEC_BUF], b[TIMESPEC_BUF];
    timespec_format_short(cmp->a, utc, a, sizeof a);
    timespec_format_short(cmp->b, utc, b, sizeof b);
    /* The clock part ("03:06:00"): the compare view's title has the dates. */
    const char *ta = strlen(a) >= 19 ? a + 11 : a, *tb = strlen(b) >= 19 ? b + 11 : b;
    if (n == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (isfinite(cmp->a) && isfinite(cmp->b)) {
        snprintf(buf, n, "A %.8s  B %.8s", ta, tb);
    } else if (isfinite(cmp->a)) {
        snprintf(buf, n, "A %.8s", ta);
    } else if (isfinite(cmp->b)) {
        snprintf(buf, n, "B %.8s", tb);
    }
    return buf;
}

char *compare_rows_text(const struct canvas *c, const char *text, int width)
{
    struct crows rs = {0};
    struct strbuf b = {0};
    layout_rows(c, text, width, &rs, NULL);
    for (size_t i = 0; i < rs.n; i++) {
        strbuf_printf(&b, "%*s", rs.r[i].indent, "");
        strbuf_add(&b, text + rs.r[i].off, rs.r[i].len);
        strbuf_puts(&b, "\n");
    }
    free(rs.r);
    return strbuf_take(&b);
}
