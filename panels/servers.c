/*
 * The Servers pane: coderd replicas, their latency, load and resources.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Servers: coderd replicas, their latency, load and resources.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_servers, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_servers = {
    .name = "servers",
    .title = "Servers",
    .hotkey = '2',
    .min_w = 60,
    .min_h = 6,
    .draw = draw,
    .key = NULL,
    .help = help,
};
