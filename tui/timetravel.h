/*
 * Where the console is in time: LIVE (the newest snapshot) or REPLAY at a
 * recorded frame time. Pure state machine over a frame-stepping callback
 * (the history store in the console, an array in tests): no clock, no I/O.
 */
#ifndef SCALETOP_TIMETRAVEL_H
#define SCALETOP_TIMETRAVEL_H

#include <stdbool.h>

/* The frame just before (dir < 0) or after (dir > 0) time t into *out;
 * returns 0, or -1 when there is none. */
typedef int (*timetravel_step_fn)(void *ctx, double t, int dir, double *out);

struct timetravel {
    bool replay;   /* false: LIVE */
    double t;      /* the frame shown while replaying */
    bool can_live; /* a live source exists (the console); false for `scaletop replay` */
    double newest; /* newest frame time known (replay-only: where LIVE-like 'G' goes) */
};

enum timetravel_result {
    TIMETRAVEL_MOVED = 0, /* the time shown changed */
    TIMETRAVEL_EDGE,      /* no frame further that way: nothing changed */
};

/* Starts LIVE (can_live) or at the newest frame (replay-only). */
void timetravel_init(struct timetravel *tt, bool can_live);

/* Steps n frames (n < 0: back) from the time shown (live_time when LIVE);
 * stepping forward past the newest frame returns to LIVE when can_live. */
enum timetravel_result timetravel_step(struct timetravel *tt, int n, double live_time,
                                       timetravel_step_fn step, void *ctx);

/* Replays at time t (already parsed); a time after newest returns to LIVE
 * when can_live, else shows the newest frame. */
enum timetravel_result timetravel_goto(struct timetravel *tt, double t);

/* Back to LIVE (replay-only: to the newest frame). */
enum timetravel_result timetravel_live(struct timetravel *tt);

#endif
