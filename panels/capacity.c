/*
 * The Capacity pane: cluster and quota headroom, and when it runs out.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Capacity: cluster and quota headroom, and when it runs out.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_capacity, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_capacity = {
    .name = "capacity",
    .title = "Capacity",
    .hotkey = '6',
    .min_w = 50,
    .min_h = 6,
    .draw = draw,
    .key = NULL,
    .help = help,
};
