/*
 * Helpers every pane shares: the frame, the "no data" line, the freshness
 * line judged from the sources (backend/judge, as the reports judge it),
 * threshold roles, word wrapping, sparklines from the history, and the keys
 * of panes with rows. They draw only inside the rectangle they are given and
 * read no clock: "now" is the snapshot's time.
 */
#include "panels/panel.h"

#include "backend/fmt.h"
#include "backend/judge.h"
#include "tui/sparkline.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PANEL_SPARK_MAX 512

struct rect panel_frame(struct canvas *c, struct rect r, const struct pane_ops *ops,
                        const struct pane_view *v)
{
    canvas_box(c, r, ops->title, v && v->focused);
    return canvas_rect_inset(r, 1);
}

void panel_no_data(struct canvas *c, struct rect inner, const struct snapshot *s)
{
    const char *msg = s && s->replay ? "no data for this moment" : "no data yet";
    canvas_put_text(c, inner, inner.x + 1, inner.y, ROLE_DIM, msg);
}

int panel_wrap(struct canvas *c, struct rect clip, int x, int y, enum role role, const char *text)
{
    clip = canvas_rect_intersect(clip, canvas_bounds(c));
    if (canvas_rect_empty(clip) || !text || y < clip.y) {
        return 0;
    }
    int lines = 0, width = clip.x + clip.w - x;
    const char *p = text;
    while (*p && y + lines < clip.y + clip.h) {
        while (*p == ' ') {
            p++;
        }
        if (!*p) {
            break;
        }
        /* Take as many whole words as fit; a word longer than the line is cut. */
        if (width <= 0) {
            return lines;
        }
        size_t best = 0, i = 0;
        int used = 0;
        char word[256];
        while (p[i]) {
            size_t start = i;
            while (p[i] && p[i] != ' ') {
                i++;
            }
            size_t wl = i - start < sizeof word - 1 ? i - start : sizeof word - 1;
            memcpy(word, p + start, wl);
            word[wl] = '\0';
            int ww = canvas_text_width(c, word) + (start ? 1 : 0);
            if (used + ww > width) {
                break;
            }
            used += ww;
            best = i;
            while (p[i] == ' ') {
                i++;
            }
        }
        bool last_line = y + lines == clip.y + clip.h - 1;
        if (best == 0 || last_line) {
            /* No more room: the rest, truncated; or a word longer than the
             * line: that word alone, truncated, and on to the next. */
            size_t wl = strcspn(p, " ");
            canvas_put_textn(c, clip, x, y + lines, role, p, last_line ? strlen(p) : wl);
            lines++;
            if (last_line) {
                break;
            }
            p += wl;
            continue;
        }
        canvas_put_textn(c, clip, x, y + lines, role, p, best);
        lines++;
        p += best;
    }
    return lines;
}

enum role panel_role_of(enum severity sev)
{
    switch (sev) {
    case SEV_CRIT:
        return ROLE_CRIT;
    case SEV_WARN:
        return ROLE_WARN;
    case SEV_INFO:
        return ROLE_INFO;
    default:
        return ROLE_NORMAL;
    }
}

enum role panel_role_above(double v, double warn, double crit)
{
    return isnan(v) ? ROLE_DIM : panel_role_of(judge_level(v, warn, crit));
}

enum role panel_role_ratio(double v, double warn, double crit, enum role otherwise)
{
    enum severity sev = judge_level(v, warn, crit);
    return isnan(v) || sev == SEV_OK ? otherwise : panel_role_of(sev);
}

const struct advisor_thresholds *panel_thresholds(const struct pane_ctx *ctx,
                                                  struct advisor_thresholds *storage)
{
    if (ctx && ctx->thresholds) {
        return ctx->thresholds;
    }
    advisor_thresholds_default(storage);
    return storage;
}

void panel_freshness(const struct snapshot *s, const char *section, struct panel_fresh *f)
{
    struct judge_freshness j;
    judge_sources(s, judge_section_prefixes(section), &j);
    f->status = j.status;
    f->show_numbers = judge_has_data(&j) || j.status == SOURCE_ERROR;
    snprintf(f->text, sizeof f->text, "%s", j.text);
    switch (j.status) {
    case SOURCE_OK:
        f->role = ROLE_DIM;
        break;
    case SOURCE_STALE:
        f->role = ROLE_STALE;
        break;
    case SOURCE_ERROR:
        f->role = ROLE_CRIT;
        break;
    case SOURCE_NEVER:
        f->role = ROLE_DIM;
        break;
    default:
        f->role = j.no_permission ? ROLE_WARN : ROLE_INFO;
    }
}

int panel_fresh_line(struct canvas *c, struct rect inner, const struct panel_fresh *f,
                     int max_lines)
{
    struct rect r = inner;
    r.h = r.h < max_lines ? r.h : max_lines;
    r.x += 1;
    r.w -= 1;
    return panel_wrap(c, r, r.x, r.y, f->role, f->text);
}

const char *panel_fresh_short(const struct panel_fresh *f)
{
    switch (f->status) {
    case SOURCE_OK:
        return NULL;
    case SOURCE_STALE:
        return "stale";
    case SOURCE_ERROR:
        return strncmp(f->text, "no permission", 13) == 0 ? "no permission" : "error";
    case SOURCE_NEVER:
        return "waiting";
    default:
        return strncmp(f->text, "no permission", 13) == 0 ? "no permission" : "disabled";
    }
}

bool panel_series(const struct pane_ctx *ctx, const struct snapshot *s, const char *name,
                  double window_s, size_t n, double *out)
{
    if (!ctx || !ctx->series || !ctx->series->range || !s || !name || n == 0 || window_s <= 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
    }
    return ctx->series->range(ctx->series->ctx, name, s->time - window_s, s->time, n, out) > 0;
}

int panel_spark(struct canvas *c, struct rect clip, int x, int y, int w, const struct pane_ctx *ctx,
                const struct snapshot *s, const char *name, double window_s)
{
    double v[PANEL_SPARK_MAX];
    if (w <= 0) {
        return 0;
    }
    size_t n = (size_t)(w < PANEL_SPARK_MAX ? w : PANEL_SPARK_MAX);
    if (!panel_series(ctx, s, name, window_s, n, v)) {
        return 0;
    }
    struct rect r = canvas_rect_intersect(clip, canvas_rect(x, y, w, 1));
    /* Counts and ratios start at zero so a flat line reads as a level, not
     * as a maximum. */
    return sparkline_draw(c, r, x, y, v, n, 0, NAN, ROLE_SPARKLINE);
}

double panel_peak(const struct pane_ctx *ctx, const struct snapshot *s, const char *name,
                  double window_s)
{
    double v[96], peak = NAN;
    if (!panel_series(ctx, s, name, window_s, 96, v)) {
        return NAN;
    }
    for (size_t i = 0; i < 96; i++) {
        if (isfinite(v[i]) && (isnan(peak) || v[i] > peak)) {
            peak = v[i];
        }
    }
    return peak;
}

bool panel_match(const char *hay, const char *needle)
{
    if (!needle || !*needle) {
        return true;
    }
    if (!hay) {
        return false;
    }
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) {
            i++;
        }
        if (i == n) {
            return true;
        }
    }
    return false;
}

const char *panel_tags(char *buf, size_t n, const struct tagset *ts)
{
    return tagset_format(buf, n, ts, " ", "(untagged)");
}

static void clamp_selection(struct pane_view *v, int nrows)
{
    if (nrows <= 0) {
        v->selected = -1;
        v->scroll = 0;
        return;
    }
    if (v->selected >= nrows) {
        v->selected = nrows - 1;
    }
    if (v->selected < -1) {
        v->selected = -1;
    }
}

bool panel_key_rows(struct pane_view *v, const struct snapshot *s, int key, int nrows, int nsort,
                    panel_row_id_fn id_of)
{
    if (v->filtering) {
        size_t len = strlen(v->filter);
        if (key == KEYS_ENTER) {
            v->filtering = false;
        } else if (key == KEYS_ESCAPE) {
            v->filtering = false;
            v->filter[0] = '\0';
        } else if (key == KEYS_BACKSPACE || key == 127 || key == 8) {
            if (len) {
                /* Drop a whole UTF-8 character. */
                do {
                    len--;
                } while (len && ((unsigned char)v->filter[len] & 0xc0) == 0x80);
                v->filter[len] = '\0';
            }
        } else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof v->filter) {
            v->filter[len] = (char)key;
            v->filter[len + 1] = '\0';
        } else {
            return false;
        }
        v->selected = -1;
        v->scroll = 0;
        return true;
    }
    if (v->detail) {
        if (key == KEYS_ESCAPE || key == KEYS_BACKSPACE || key == KEYS_LEFT) {
            v->detail = false;
            return true;
        }
        return false;
    }
    switch (key) {
    case KEYS_DOWN:
    case 'j':
        if (nrows > 0) {
            v->selected = v->selected < nrows - 1 ? v->selected + 1 : nrows - 1;
        }
        break;
    case KEYS_UP:
    case 'k':
        if (nrows > 0) {
            v->selected = v->selected > 0 ? v->selected - 1 : 0;
        }
        break;
    case KEYS_PAGE_DOWN:
        v->selected = v->selected + 10;
        break;
    case KEYS_PAGE_UP:
        v->selected = v->selected > 10 ? v->selected - 10 : 0;
        break;
    case KEYS_HOME:
    case 'g':
        v->selected = nrows > 0 ? 0 : -1;
        break;
    case KEYS_END:
    case 'G':
        v->selected = nrows - 1;
        break;
    case '/':
        v->filtering = true;
        return true;
    case 's':
        if (nsort <= 1) {
            return false;
        }
        v->sort = (v->sort + 1) % nsort;
        return true;
    case KEYS_ESCAPE:
        if (v->filter[0]) {
            v->filter[0] = '\0';
            return true;
        }
        if (v->selected >= 0) {
            v->selected = -1;
            return true;
        }
        return false;
    case KEYS_ENTER:
    case KEYS_RIGHT: {
        char buf[PANE_KEY_MAX];
        const char *id = v->selected >= 0 && v->selected < nrows && id_of
                             ? id_of(s, v, v->selected, buf, sizeof buf)
                             : NULL;
        if (!id) {
            return false;
        }
        snprintf(v->detail_key, sizeof v->detail_key, "%s", id);
        v->detail = true;
        return true;
    }
    default:
        return false;
    }
    clamp_selection(v, nrows);
    return true;
}

int panel_first_row(const struct pane_view *v, int nrows, int visible)
{
    int first = v->scroll > 0 ? v->scroll : 0;
    if (visible <= 0) {
        return 0;
    }
    if (v->selected >= 0 && v->selected < first) {
        first = v->selected;
    }
    if (v->selected >= first + visible) {
        first = v->selected - visible + 1;
    }
    if (first > nrows - visible) {
        first = nrows - visible;
    }
    return first < 0 ? 0 : first;
}

void panel_view_badge(struct canvas *c, struct rect r, const struct pane_view *v,
                      const char *sort_name)
{
    char buf[160];
    size_t o = 0;
    buf[0] = '\0';
    if (v->filter[0] || v->filtering) {
        o += (size_t)snprintf(buf + o, sizeof buf - o, " /%s%s ", v->filter,
                              v->filtering ? "_" : "");
    }
    if (sort_name && v->sort > 0 && o < sizeof buf) {
        snprintf(buf + o, sizeof buf - o, " sort: %s ", sort_name);
    }
    if (!buf[0] || r.h < 2 || r.w < 6) {
        return;
    }
    int w = canvas_text_width(c, buf);
    int x = r.x + r.w - 2 - w;
    x = x < r.x + 1 ? r.x + 1 : x;
    struct rect edge = canvas_rect(r.x + 1, r.y + r.h - 1, r.w - 2, 1);
    canvas_put_text(c, edge, x, edge.y, ROLE_KEY, buf);
}

void panel_history_badge(struct canvas *c, struct rect r, enum series_origin o)
{
    if ((o != SERIES_ORIGIN_REMOTE && o != SERIES_ORIGIN_MIXED) || r.h < 2 || r.w < 12) {
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, " history: %s ", series_origin_name(o));
    struct rect edge = canvas_rect(r.x + 1, r.y + r.h - 1, r.w - 2, 1);
    canvas_put_text(c, edge, r.x + 2, edge.y, ROLE_INFO, buf);
}

double panel_window(const struct pane_ctx *ctx)
{
    return ctx && ctx->window_s > 0 ? ctx->window_s : PANEL_WINDOW_S;
}

void panel_kv(struct canvas *c, struct rect r, int y, int lw, const char *label, enum role role,
              const char *value, int vw, const struct pane_ctx *ctx, const struct snapshot *s,
              const char *series, int spark_w)
{
    if (y < r.y || y >= r.y + r.h) {
        return;
    }
    struct rect lab = canvas_rect_intersect(r, canvas_rect(r.x + 1, y, lw, 1));
    canvas_put_text(c, lab, lab.x, y, ROLE_DIM, label);
    struct rect val = canvas_rect_intersect(r, canvas_rect(r.x + 2 + lw, y, vw, 1));
    canvas_put_text(c, val, val.x, y, role, value ? value : FMT_UNKNOWN);
    if (series && spark_w > 0) {
        int x = r.x + 3 + lw + vw;
        int w = r.x + r.w - 1 - x;
        w = w < spark_w ? w : spark_w;
        panel_spark(c, r, x, y, w, ctx, s, series, panel_window(ctx));
    }
}
