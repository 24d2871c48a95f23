/*
 * The one list of panes, in the order of enum pane_id (which is also the
 * order of the hotkeys 1..6). Adding a pane is one file and one line here.
 */
#include "panels/panel.h"

#include <stddef.h>
#include <string.h>

static const struct pane_ops *const all_panes[PANE_COUNT] = {
    [PANE_OVERVIEW] = &pane_overview,         [PANE_SERVERS] = &pane_servers,
    [PANE_PROVISIONERS] = &pane_provisioners, [PANE_POSTGRES] = &pane_postgres,
    [PANE_PROXIES] = &pane_proxies,           [PANE_CAPACITY] = &pane_capacity,
};

const struct pane_ops *panes_get(enum pane_id id)
{
    return all_panes[(int)id >= 0 && id < PANE_COUNT ? id : PANE_OVERVIEW];
}

int panes_find(const char *name)
{
    for (int i = 0; i < PANE_COUNT; i++) {
        if (name && strcmp(all_panes[i]->name, name) == 0) {
            return i;
        }
    }
    return -1;
}
