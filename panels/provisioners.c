/*
 * The Provisioners pane: provisioner daemons, build queues per tag set and jobs no daemon can take.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Provisioners: provisioner daemons, build queues per tag set and jobs no daemon can take.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_provisioners, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_provisioners = {
    .name = "provisioners",
    .title = "Provisioners",
    .hotkey = '3',
    .min_w = 60,
    .min_h = 6,
    .draw = draw,
    .key = NULL,
    .help = help,
};
