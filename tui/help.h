/*
 * The `?` help overlay: every key of the console and of the panes, drawn
 * into a framed box over the body of the screen.
 */
#ifndef SCALETOP_HELP_H
#define SCALETOP_HELP_H

#include "tui/canvas.h"

/* Draws the help box inside r (clipped to it): the console's keys (pairs
 * {key, what}, ended by a NULL key) and each pane's help lines. */
void help_draw(struct canvas *c, struct rect r, const char *const (*keys)[2]);

#endif
