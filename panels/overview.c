/*
 * The Overview pane: source statuses, the advisor's findings and the event timeline.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Overview: source statuses, the advisor's findings and the event timeline.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_overview, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_overview = {
    .name = "overview",
    .title = "Overview",
    .hotkey = '1',
    .min_w = 40,
    .min_h = 8,
    .draw = draw,
    .key = NULL,
    .help = help,
};
