/*
 * Frame rendering and the console's own keys. Invariant: exactly one pane
 * has the focus; a zoomed pane is the focused one. A pane that is typing a
 * filter gets every key first; Enter and Esc go to the focused pane first
 * when it has a selection or a detail open (open / close the detail), and
 * otherwise zoom and unzoom. The compare view, while open, is modal: it has
 * the body and its keys come first (only help, quit and redraw besides).
 */
#include "tui/view.h"

#include "tui/help.h"
#include "tui/keys.h"
#include "tui/layout.h"

#include <stddef.h>
#include <string.h>

void view_init(struct view *v)
{
    v->focus = PANE_OVERVIEW;
    v->zoom = -1;
    v->replay = false;
    v->help = false;
    v->ctx = (struct pane_ctx){0};
    prompt_close(&v->prompt);
    v->message[0] = '\0';
    v->tally = NULL;
    for (int i = 0; i < PANE_COUNT; i++) {
        v->panes[i] = (struct pane_view){.selected = -1};
    }
    compare_init(&v->compare);
}

void view_fini(struct view *v)
{
    compare_fini(&v->compare);
}

void view_fit(struct view *v, const struct canvas *c)
{
    struct layout l;
    if (!v->compare.open) {
        return;
    }
    layout_compute(&l, canvas_bounds(c), -1);
    compare_fit(&v->compare, c, l.body);
}

const char *const view_console_keys[][2] = {
    {"q", "quit"},
    {"?", "this help (any key closes it)"},
    {"Tab / Shift-Tab", "focus the next / previous pane"},
    {"1-6", "focus a pane (the pane keys below)"},
    {"z / Enter", "zoom the focused pane (Enter on a selected row: its detail)"},
    {"Esc", "close the detail, clear the filter or selection, unzoom"},
    {"Up/Down j/k", "select a row; PgUp/PgDn, Home/End jump"},
    {"Enter / Right", "open the selected row's detail"},
    {"/", "filter the rows (type, Enter keeps it, Esc clears it)"},
    {"s", "cycle the sort column"},
    {"[ ] / { }", "time travel: one / ten recorded frames back / forward"},
    {"g", "go to a time: -10m, 14:05, 2026-11-27 03:12, RFC 3339"},
    {"G / L", "back to live (replay: the newest frame)"},
    {"m", "mark the moment shown with a note (in the history file)"},
    {"a / b, c", "mark the moment shown as A / B; c compares A with B"},
    {"w", "write what is shown to scaletop-DATE-TIME.txt"},
    {"r", "refresh now (poll every source)"},
    {"^L", "redraw the screen"},
    {NULL, NULL},
};

static enum view_action view_key_inner(struct view *v, const struct pane_ops *ops,
                                       struct pane_view *pv, const struct snapshot *s, int key);

enum view_action view_key(struct view *v, const struct snapshot *s, int key)
{
    const struct pane_ops *ops = panes_get((enum pane_id)v->focus);
    struct pane_view *pv = &v->panes[v->focus];
    bool had_message = v->message[0] != '\0';
    if (key != KEYS_RESIZE) {
        v->message[0] = '\0';
    }
    if (v->prompt.kind != PROMPT_NONE && key != KEYS_RESIZE) {
        switch (prompt_key(&v->prompt, key)) {
        case PROMPT_DONE:
            return v->prompt.kind == PROMPT_GOTO ? VIEW_GOTO : VIEW_MARK;
        case PROMPT_UNUSED:
            break;
        case PROMPT_EDITED:
        case PROMPT_CANCELLED:
            return VIEW_REDRAW;
        }
    }
    enum view_action act = view_key_inner(v, ops, pv, s, key);
    return act == VIEW_NONE && had_message ? VIEW_REDRAW : act;
}

static enum view_action view_key_inner(struct view *v, const struct pane_ops *ops,
                                       struct pane_view *pv, const struct snapshot *s, int key)
{
    if (v->help) {
        if (key == KEYS_RESIZE) {
            return VIEW_REPAINT;
        }
        v->help = false;
        return key == 'q' || key == 'Q' ? VIEW_QUIT : VIEW_REDRAW;
    }
    if (v->compare.open) {
        /* The compare view is modal: its keys, then quit, help and redraw. */
        if (key == KEYS_RESIZE || key == KEYS_CTRL('l')) {
            return VIEW_REPAINT;
        }
        if (compare_key(&v->compare, key) != COMPARE_UNUSED) {
            return VIEW_REDRAW;
        }
        if (key == '?') {
            v->help = true;
            return VIEW_REDRAW;
        }
        return key == 'q' || key == 'Q' ? VIEW_QUIT : VIEW_NONE;
    }
    if (pv->filtering && ops->key && key != KEYS_RESIZE && key != KEYS_CTRL('l')) {
        return ops->key(pv, s, key) ? VIEW_REDRAW : VIEW_NONE;
    }
    if ((key == KEYS_ENTER || key == KEYS_ESCAPE) && ops->key &&
        (pv->detail || pv->selected >= 0 || pv->filter[0] || v->zoom == v->focus)) {
        if (ops->key(pv, s, key)) {
            /* A detail needs room: it opens zoomed. */
            if (pv->detail && v->zoom < 0) {
                v->zoom = v->focus;
            }
            return VIEW_REDRAW;
        }
    }
    switch (key) {
    case '?':
        v->help = true;
        return VIEW_REDRAW;
    case 'q':
    case 'Q':
        return VIEW_QUIT;
    case KEYS_CTRL('l'):
        return VIEW_REPAINT;
    case '[':
        return VIEW_STEP_BACK;
    case ']':
        return VIEW_STEP_FORWARD;
    case '{':
        return VIEW_JUMP_BACK;
    case '}':
        return VIEW_JUMP_FORWARD;
    case 'g':
        prompt_open(&v->prompt, PROMPT_GOTO);
        return VIEW_REDRAW;
    case 'G':
    case 'L':
        return VIEW_LIVE;
    case 'm':
        prompt_open(&v->prompt, PROMPT_MARK);
        return VIEW_REDRAW;
    case 'w':
        return VIEW_WRITE;
    case 'a':
        return VIEW_SET_A;
    case 'b':
        return VIEW_SET_B;
    case 'c':
        return VIEW_COMPARE;
    case 'r':
        return VIEW_REFRESH;
    case KEYS_RESIZE:
        return VIEW_REPAINT;
    case KEYS_TAB:
        v->focus = (v->focus + 1) % PANE_COUNT;
        v->zoom = v->zoom >= 0 ? v->focus : -1;
        return VIEW_REDRAW;
    case KEYS_BACKTAB:
        v->focus = (v->focus + PANE_COUNT - 1) % PANE_COUNT;
        v->zoom = v->zoom >= 0 ? v->focus : -1;
        return VIEW_REDRAW;
    case 'z':
    case KEYS_ENTER:
        v->zoom = v->zoom >= 0 ? -1 : v->focus;
        return VIEW_REDRAW;
    case KEYS_ESCAPE:
        if (v->zoom >= 0) {
            v->zoom = -1;
            return VIEW_REDRAW;
        }
        return VIEW_NONE;
    default:
        break;
    }
    for (int i = 0; i < PANE_COUNT; i++) {
        if (key == panes_get((enum pane_id)i)->hotkey) {
            v->focus = i;
            v->zoom = v->zoom >= 0 ? i : -1;
            return VIEW_REDRAW;
        }
    }
    if (ops->key && ops->key(pv, s, key)) {
        /* A pane's own key may open a detail (Capacity's n): zoomed too. */
        if (pv->detail && v->zoom < 0) {
            v->zoom = v->focus;
        }
        return VIEW_REDRAW;
    }
    return VIEW_NONE;
}

static const struct layout_hint hints[] = {
    {"q", "quit"}, {"?", "help"},   {"Tab", "next pane"}, {"1-6", "pane"},
    {"z", "zoom"}, {"[ ]", "time"}, {"G", "live"},        {"g", "go to"},
    {"m", "mark"}, {"w", "write"},  {"/", "filter"},      {"s", "sort"},
};

static const struct layout_hint compare_hints[] = {
    {"Esc", "back"},      {"j/k", "scroll"}, {"PgUp/PgDn", "page"},
    {"Home/End", "ends"}, {"?", "help"},     {"q", "quit"},
};

/* The footer: the open prompt with a cursor, else the message, else the hints. */
static void draw_footer(struct canvas *c, struct rect r, const struct view *v)
{
    if (v->prompt.kind == PROMPT_NONE && !v->message[0]) {
        if (v->compare.open) {
            layout_draw_footer(c, r, compare_hints, sizeof compare_hints / sizeof *compare_hints);
        } else {
            layout_draw_footer(c, r, hints, sizeof hints / sizeof *hints);
        }
        return;
    }
    canvas_fill(c, r, ' ', ROLE_NORMAL);
    if (v->prompt.kind != PROMPT_NONE) {
        const char *label = prompt_label(v->prompt.kind);
        int x = canvas_put_text(c, r, r.x, r.y, ROLE_KEY, label);
        x = canvas_put_text(c, r, x, r.y, ROLE_NORMAL, v->prompt.text);
        canvas_put_text(c, r, x, r.y, ROLE_SELECTION, " ");
    } else {
        canvas_put_text(c, r, r.x, r.y, ROLE_INFO, v->message);
    }
}

void view_render(struct canvas *c, struct rect screen, const struct view *v,
                 const struct snapshot *s, const char *time_text)
{
    struct layout l;
    screen = canvas_rect_intersect(screen, canvas_bounds(c));
    canvas_fill(c, screen, ' ', ROLE_NORMAL);
    layout_compute(&l, screen, v->zoom);
    if (l.kind == LAYOUT_TOO_SMALL) {
        layout_draw_too_small(c, l.screen);
        return;
    }
    char marks[64];
    struct layout_header h = {
        .replay = v->replay,
        .time_text = time_text,
        .right_text = s ? s->deployment.coder_url : NULL,
        .marks_text = compare_marks_text(&v->compare, v->ctx.utc, marks, sizeof marks),
    };
    layout_draw_header(c, l.header, &h);
    for (int i = 0; i < PANE_COUNT && !v->compare.open; i++) {
        if (canvas_rect_empty(l.pane[i])) {
            continue;
        }
        struct pane_view pv = v->panes[i];
        pv.focused = i == v->focus;
        pv.compact = l.compact[i];
        pv.zoomed = v->zoom == i;
        if (v->tally) {
            series_tally_take(v->tally);
        }
        panes_get((enum pane_id)i)->draw(c, l.pane[i], s, &pv, &v->ctx);
        if (v->tally) {
            panel_history_badge(c, l.pane[i], series_tally_take(v->tally));
        }
    }
    if (v->compare.open) {
        compare_draw(c, l.body, &v->compare, v->ctx.utc);
    }
    draw_footer(c, l.footer, v);
    if (v->help) {
        help_draw(c, l.body, view_console_keys);
    }
}
