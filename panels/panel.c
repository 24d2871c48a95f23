/*
 * Helpers every pane shares: the frame with the title and the "no data"
 * line. They draw only inside the rectangle they are given.
 */
#include "panels/panel.h"

struct rect panel_frame(struct canvas *c, struct rect r, const struct pane_ops *ops,
                        const struct pane_view *v)
{
    canvas_box(c, r, ops->title, v && v->focused);
    return canvas_rect_inset(r, 1);
}

void panel_no_data(struct canvas *c, struct rect inner, const struct snapshot *s)
{
    const char *msg = s && s->replay ? "no data for this moment" : "no data yet";
    canvas_put_text(c, inner, inner.x + 1, inner.y, ROLE_DIM, msg);
}
