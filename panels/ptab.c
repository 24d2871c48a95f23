/*
 * Pane tables (see ptab.h). Invariants: a row's cells are formatted once,
 * when the pane fills the table, through backend/fmt (so unknown is "-");
 * drawing clips every cell to its column and the table to its rectangle.
 */
#include "panels/ptab.h"

#include "backend/fmt.h"
#include "backend/xalloc.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ptab_init(struct ptab *t, const struct ptab_col *cols, int ncols)
{
    assert(ncols <= PTAB_COLS);
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols < PTAB_COLS ? ncols : PTAB_COLS;
}

void ptab_fini(struct ptab *t)
{
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}

struct ptab_row *ptab_add(struct ptab *t, const char *id, int src)
{
    if (t->n >= PTAB_MAX_ROWS) {
        t->dropped++;
        return NULL;
    }
    t->rows = xgrow(t->rows, &t->cap, t->n + 1, sizeof *t->rows);
    struct ptab_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    for (int i = 0; i < PTAB_COLS; i++) {
        r->c[i].key = NAN;
    }
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    r->src = src;
    return r;
}

void ptab_set(struct ptab_row *r, int col, enum role role, const char *text, double key)
{
    if (!r || col < 0 || col >= PTAB_COLS) {
        return;
    }
    snprintf(r->c[col].text, sizeof r->c[col].text, "%s", text ? text : FMT_UNKNOWN);
    r->c[col].role = role;
    r->c[col].key = key;
}

void ptab_setf(struct ptab_row *r, int col, enum role role, double key, const char *fmt, ...)
{
    char buf[PTAB_CELL];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ptab_set(r, col, role, buf, key);
}

static bool row_matches(const struct ptab *t, const struct ptab_row *r, const char *filter)
{
    if (panel_match(r->id, filter)) {
        return true;
    }
    for (int i = 0; i < t->ncols; i++) {
        if (panel_match(r->c[i].text, filter)) {
            return true;
        }
    }
    return false;
}

struct sort_item {
    const struct ptab_row *row;
    size_t pos;
    int col;
};

static int compare(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    const struct ptab_cell *x = &a->row->c[a->col], *y = &b->row->c[b->col];
    int r = 0;
    if (!isnan(x->key) || !isnan(y->key)) {
        /* Numbers largest first; unknown last. */
        if (isnan(x->key)) {
            r = 1;
        } else if (isnan(y->key)) {
            r = -1;
        } else {
            r = x->key > y->key ? -1 : x->key < y->key ? 1 : 0;
        }
    } else {
        r = strcmp(x->text, y->text);
    }
    if (r == 0) {
        r = a->pos < b->pos ? -1 : a->pos > b->pos ? 1 : 0;
    }
    return r;
}

void ptab_apply(struct ptab *t, const char *filter, int sort)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (row_matches(t, &t->rows[i], filter)) {
            if (k != i) {
                t->rows[k] = t->rows[i];
            }
            k++;
        }
    }
    t->n = k;
    if (sort <= 0 || sort > t->ncols || t->n < 2) {
        return;
    }
    struct sort_item *items = xcalloc(t->n, sizeof *items);
    for (size_t i = 0; i < t->n; i++) {
        items[i] = (struct sort_item){&t->rows[i], i, sort - 1};
    }
    qsort(items, t->n, sizeof *items, compare);
    struct ptab_row *sorted = xcalloc(t->n, sizeof *sorted);
    for (size_t i = 0; i < t->n; i++) {
        sorted[i] = *items[i].row;
    }
    free(items);
    free(t->rows);
    t->rows = sorted;
    t->cap = t->n;
}

int ptab_find(const struct ptab *t, const char *id)
{
    for (size_t i = 0; id && i < t->n; i++) {
        if (strcmp(t->rows[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Decides which columns show in width w and how wide each is. */
static void fit(const struct ptab *t, int w, bool history, bool *shown, int *width)
{
    int total = 0;
    for (int i = 0; i < t->ncols; i++) {
        shown[i] = !(t->cols[i].spark || t->cols[i].hist) || history;
        width[i] = t->cols[i].width;
        total += shown[i] ? width[i] + 1 : 0;
    }
    while (total > w) {
        int drop = -1;
        for (int i = 0; i < t->ncols; i++) {
            if (shown[i] && t->cols[i].prio > 0 &&
                (drop < 0 || t->cols[i].prio >= t->cols[drop].prio)) {
                drop = i;
            }
        }
        if (drop < 0) {
            break;
        }
        shown[drop] = false;
        total -= width[drop] + 1;
    }
    int flex = -1;
    for (int i = 0; i < t->ncols && flex < 0; i++) {
        flex = shown[i] && t->cols[i].maxw > 0 ? i : -1;
    }
    if (total < w && flex >= 0) {
        int grow = w - total;
        int room = t->cols[flex].maxw > width[flex] ? t->cols[flex].maxw - width[flex] : 0;
        width[flex] += grow < room ? grow : room;
    }
}

static void put_cell(struct canvas *c, struct rect cell, const struct ptab_col *col,
                     const char *text, enum role role)
{
    int x = cell.x;
    if (col->right) {
        int tw = canvas_text_width(c, text);
        x = tw < cell.w ? cell.x + cell.w - tw : cell.x;
    }
    canvas_put_text(c, cell, x, cell.y, role, text);
}

int ptab_draw(struct canvas *c, struct rect r, const struct ptab *t, int first, int sel,
              bool show_sel, const struct pane_ctx *ctx, const struct snapshot *s, double window_s)
{
    bool shown[PTAB_COLS];
    int width[PTAB_COLS];
    if (canvas_rect_empty(r)) {
        return 0;
    }
    bool history = ctx && ctx->series;
    fit(t, r.w - 1, history, shown, width);
    int x = r.x + 1;
    for (int i = 0; i < t->ncols; i++) {
        if (!shown[i]) {
            continue;
        }
        struct rect cell = canvas_rect_intersect(r, canvas_rect(x, r.y, width[i], 1));
        put_cell(c, cell, &t->cols[i], t->cols[i].name, ROLE_HEADER);
        x += width[i] + 1;
    }
    int y = r.y + 1;
    for (size_t k = first > 0 ? (size_t)first : 0; k < t->n && y < r.y + r.h; k++, y++) {
        const struct ptab_row *row = &t->rows[k];
        x = r.x + 1;
        for (int i = 0; i < t->ncols; i++) {
            if (!shown[i]) {
                continue;
            }
            struct rect cell = canvas_rect_intersect(r, canvas_rect(x, y, width[i], 1));
            if (t->cols[i].spark) {
                panel_spark(c, cell, x, y, width[i], ctx, s, row->series, window_s);
            } else {
                enum role role = row->c[i].role;
                if (t->stale && role == ROLE_NORMAL) {
                    role = ROLE_STALE;
                }
                put_cell(c, cell, &t->cols[i], row->c[i].text, role);
            }
            x += width[i] + 1;
        }
        if (show_sel && (int)k == sel) {
            canvas_set_role(c, canvas_rect_intersect(r, canvas_rect(r.x, y, r.w, 1)),
                            ROLE_SELECTION);
        }
    }
    if (t->dropped && y < r.y + r.h) {
        canvas_printf(c, r, r.x + 1, y++, ROLE_DIM, "(%zu more not listed)", t->dropped);
    }
    return y - r.y;
}
