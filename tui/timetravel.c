/*
 * The time-travel state machine. Invariants: when replay is false the
 * console shows its live snapshot and t is meaningless; in replay-only mode
 * (can_live false) replay is always true and t the frame shown.
 */
#include "tui/timetravel.h"

#include <math.h>

void timetravel_init(struct timetravel *tt, bool can_live)
{
    tt->can_live = can_live;
    tt->replay = !can_live;
    tt->t = NAN;
    tt->newest = NAN;
}

enum timetravel_result timetravel_step(struct timetravel *tt, int n, double live_time,
                                       timetravel_step_fn step, void *ctx)
{
    double t = tt->replay ? tt->t : live_time;
    if (!isfinite(t) || n == 0) {
        return TIMETRAVEL_EDGE;
    }
    if (n > 0 && !tt->replay) {
        return TIMETRAVEL_EDGE; /* nothing after live */
    }
    int dir = n < 0 ? -1 : 1, moved = 0;
    for (int i = 0; i < (n < 0 ? -n : n); i++) {
        double next;
        if (step(ctx, t, dir, &next) < 0) {
            break;
        }
        t = next;
        moved++;
    }
    if (moved == 0) {
        if (dir > 0 && tt->can_live) {
            tt->replay = false; /* past the newest frame: live again */
            return TIMETRAVEL_MOVED;
        }
        return TIMETRAVEL_EDGE;
    }
    tt->replay = true;
    tt->t = t;
    return TIMETRAVEL_MOVED;
}

enum timetravel_result timetravel_goto(struct timetravel *tt, double t)
{
    if (!isfinite(t)) {
        return TIMETRAVEL_EDGE;
    }
    if (isfinite(tt->newest) && t > tt->newest) {
        if (tt->can_live) {
            return timetravel_live(tt);
        }
        t = tt->newest;
    }
    tt->replay = true;
    tt->t = t;
    return TIMETRAVEL_MOVED;
}

enum timetravel_result timetravel_live(struct timetravel *tt)
{
    if (tt->can_live) {
        bool was = tt->replay;
        tt->replay = false;
        return was ? TIMETRAVEL_MOVED : TIMETRAVEL_EDGE;
    }
    if (!isfinite(tt->newest)) {
        return TIMETRAVEL_EDGE;
    }
    tt->t = tt->newest;
    return TIMETRAVEL_MOVED;
}
