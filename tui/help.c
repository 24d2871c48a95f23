/*
 * The help overlay. Invariants: draws only inside the rectangle it is
 * given, and lists what the key tables say (view_console_keys and each
 * pane's help lines), so the help cannot drift from the keys.
 */
#include "tui/help.h"

#include "panels/panel.h"

#include <stddef.h>

void help_draw(struct canvas *c, struct rect r, const char *const (*keys)[2])
{
    r = canvas_rect_intersect(r, canvas_bounds(c));
    int w = r.w > 100 ? 100 : r.w;
    /* As tall as the lines (every pane help line when they fit). */
    int nkeys = 0, nhelp = 0;
    while (keys && keys[nkeys][0]) {
        nkeys++;
    }
    for (int p = 0; p < PANE_COUNT; p++) {
        for (const char *const *l = panes_get((enum pane_id)p)->help; l && *l; l++) {
            nhelp++;
        }
    }
    int h = 2 + 1 + nkeys + 1 + nhelp;
    h = h > r.h ? r.h : h;
    struct rect box = canvas_rect(r.x + (r.w - w) / 2, r.y, w, h);
    if (canvas_rect_empty(box)) {
        return;
    }
    canvas_fill(c, box, ' ', ROLE_NORMAL);
    canvas_box(c, box, "Help: any key closes", true);
    struct rect in = canvas_rect_inset(box, 1);
    int y = in.y;
    canvas_put_text(c, in, in.x + 1, y++, ROLE_HEADER, "Console keys");
    for (size_t i = 0; keys && keys[i][0] && y < in.y + in.h; i++, y++) {
        canvas_put_text(c, in, in.x + 2, y, ROLE_KEY, keys[i][0]);
        canvas_put_text(c, in, in.x + 19, y, ROLE_NORMAL, keys[i][1]);
    }
    if (y < in.y + in.h) {
        canvas_put_text(c, in, in.x + 1, y++, ROLE_HEADER, "Pane keys (the focused pane)");
    }
    /* One line per pane: its keys line when it has one, else its summary;
     * with room to spare, every help line. */
    int need = 0;
    for (int p = 0; p < PANE_COUNT; p++) {
        for (const char *const *l = panes_get((enum pane_id)p)->help; l && *l; l++) {
            need++;
        }
    }
    bool all = need <= in.y + in.h - y;
    for (int p = 0; p < PANE_COUNT && y < in.y + in.h; p++) {
        const struct pane_ops *ops = panes_get((enum pane_id)p);
        const char *const *l = ops->help;
        if (!l || !*l) {
            continue;
        }
        if (!all && l[1]) {
            l++;
        }
        for (; *l && y < in.y + in.h; l++, y++) {
            canvas_printf(c, in, in.x + 2, y, ROLE_KEY, "%c", ops->hotkey);
            canvas_put_text(c, in, in.x + 4, y, ROLE_NORMAL, *l);
            if (!all) {
                y++;
                break;
            }
        }
    }
}
