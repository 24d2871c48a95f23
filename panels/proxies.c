/*
 * The Proxies pane: workspace proxies: status, version and latency from the bastion.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Proxies: workspace proxies: status, version and latency from the bastion.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_proxies, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_proxies = {
    .name = "proxies",
    .title = "Proxies",
    .hotkey = '5',
    .min_w = 50,
    .min_h = 5,
    .draw = draw,
    .key = NULL,
    .help = help,
};
