/*
 * The Postgres pane: the database: connections, locks, transactions, replication, NOTIFY queue.
 * Placeholder until the console issue fills it: its frame, its title and a
 * "no data yet" line. Draws only inside its rectangle.
 */
#include "panels/panel.h"

#include <stddef.h>

static const char *const help[] = {
    "Postgres: the database: connections, locks, transactions, replication, NOTIFY queue.",
    NULL,
};

static void draw(struct canvas *c, struct rect r, const struct snapshot *s,
                 const struct pane_view *v)
{
    struct rect inner = panel_frame(c, r, &pane_postgres, v);
    panel_no_data(c, inner, s);
}

const struct pane_ops pane_postgres = {
    .name = "postgres",
    .title = "Postgres",
    .hotkey = '4',
    .min_w = 50,
    .min_h = 8,
    .draw = draw,
    .key = NULL,
    .help = help,
};
