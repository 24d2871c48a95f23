/*
 * Frame rendering and the console's own keys. Invariant: exactly one pane
 * has the focus; a zoomed pane is the focused one.
 */
#include "tui/view.h"

#include "tui/keys.h"
#include "tui/layout.h"

#include <stddef.h>

void view_init(struct view *v)
{
    v->focus = PANE_OVERVIEW;
    v->zoom = -1;
    v->replay = false;
    for (int i = 0; i < PANE_COUNT; i++) {
        v->panes[i] = (struct pane_view){.selected = -1};
    }
}

enum view_action view_key(struct view *v, const struct snapshot *s, int key)
{
    switch (key) {
    case 'q':
    case 'Q':
        return VIEW_QUIT;
    case KEYS_CTRL('l'):
        return VIEW_REPAINT;
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
    const struct pane_ops *ops = panes_get((enum pane_id)v->focus);
    if (ops->key && ops->key(&v->panes[v->focus], s, key)) {
        return VIEW_REDRAW;
    }
    return VIEW_NONE;
}

static const struct layout_hint hints[] = {
    {"q", "quit"}, {"Tab", "next pane"}, {"1-6", "pane"}, {"z", "zoom"}, {"^L", "redraw"},
};

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
    struct layout_header h = {
        .replay = v->replay,
        .time_text = time_text,
        .right_text = s ? s->deployment.coder_url : NULL,
    };
    layout_draw_header(c, l.header, &h);
    for (int i = 0; i < PANE_COUNT; i++) {
        if (canvas_rect_empty(l.pane[i])) {
            continue;
        }
        struct pane_view pv = v->panes[i];
        pv.focused = i == v->focus;
        pv.compact = l.compact[i];
        pv.zoomed = v->zoom == i;
        panes_get((enum pane_id)i)->draw(c, l.pane[i], s, &pv);
    }
    layout_draw_footer(c, l.footer, hints, sizeof hints / sizeof *hints);
}
