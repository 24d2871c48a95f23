/*
 * The console's pure pieces of time travel: the state machine over a list
 * of frame times (step back and forward, ten at a time, stepping past the
 * newest frame returns to LIVE, goto, live; replay-only never goes LIVE),
 * the footer prompt's line editing, and the keys that produce the console
 * actions (g opens the prompt, Enter answers it, Esc cancels it, G/L live).
 */
#include "tests/lib/test.h"
#include "tui/keys.h"
#include "tui/prompt.h"
#include "tui/timetravel.h"
#include "tui/view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double frames[] = {100, 110, 120, 130, 140};
#define NFRAMES (sizeof frames / sizeof *frames)

static int step_frames(void *ctx, double t, int dir, double *out)
{
    (void)ctx;
    if (dir < 0) {
        for (size_t i = NFRAMES; i-- > 0;) {
            if (frames[i] < t) {
                *out = frames[i];
                return 0;
            }
        }
        return -1;
    }
    for (size_t i = 0; i < NFRAMES; i++) {
        if (frames[i] > t) {
            *out = frames[i];
            return 0;
        }
    }
    return -1;
}

TEST(timetravel_steps_back_and_returns_live)
{
    struct timetravel tt;
    timetravel_init(&tt, true);
    tt.newest = 140;
    CHECK(!tt.replay);
    CHECK_INT(timetravel_step(&tt, 1, 140, step_frames, NULL), TIMETRAVEL_EDGE);
    CHECK_INT(timetravel_step(&tt, -1, 140, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK(tt.replay);
    CHECK_NEAR(tt.t, 130, 0);
    CHECK_INT(timetravel_step(&tt, -1, 999, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK_NEAR(tt.t, 120, 0); /* from the frame shown, not the live time */
    CHECK_INT(timetravel_step(&tt, -10, 999, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK_NEAR(tt.t, 100, 0); /* ten back stops at the oldest */
    CHECK_INT(timetravel_step(&tt, -1, 999, step_frames, NULL), TIMETRAVEL_EDGE);
    CHECK_NEAR(tt.t, 100, 0);
    CHECK_INT(timetravel_step(&tt, 10, 999, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK_NEAR(tt.t, 140, 0);
    CHECK(tt.replay);
    CHECK_INT(timetravel_step(&tt, 1, 999, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK(!tt.replay); /* past the newest: live */
}

TEST(timetravel_goto_and_live)
{
    struct timetravel tt;
    timetravel_init(&tt, true);
    tt.newest = 140;
    CHECK_INT(timetravel_goto(&tt, 115), TIMETRAVEL_MOVED);
    CHECK(tt.replay);
    CHECK_NEAR(tt.t, 115, 0);
    CHECK_INT(timetravel_goto(&tt, NAN), TIMETRAVEL_EDGE);
    CHECK_NEAR(tt.t, 115, 0);
    CHECK_INT(timetravel_goto(&tt, 500), TIMETRAVEL_MOVED);
    CHECK(!tt.replay); /* after the newest frame: live */
    CHECK_INT(timetravel_live(&tt), TIMETRAVEL_EDGE);
    timetravel_goto(&tt, 120);
    CHECK_INT(timetravel_live(&tt), TIMETRAVEL_MOVED);
    CHECK(!tt.replay);
}

TEST(timetravel_replay_only_never_goes_live)
{
    struct timetravel tt;
    timetravel_init(&tt, false);
    CHECK(tt.replay);
    CHECK_INT(timetravel_live(&tt), TIMETRAVEL_EDGE); /* nothing recorded known yet */
    tt.newest = 140;
    CHECK_INT(timetravel_live(&tt), TIMETRAVEL_MOVED);
    CHECK_NEAR(tt.t, 140, 0);
    CHECK_INT(timetravel_step(&tt, 1, NAN, step_frames, NULL), TIMETRAVEL_EDGE);
    CHECK(tt.replay);
    CHECK_INT(timetravel_goto(&tt, 1e9), TIMETRAVEL_MOVED);
    CHECK(tt.replay);
    CHECK_NEAR(tt.t, 140, 0);
    CHECK_INT(timetravel_step(&tt, -2, NAN, step_frames, NULL), TIMETRAVEL_MOVED);
    CHECK_NEAR(tt.t, 120, 0);
}

TEST(prompt_edits_a_line)
{
    struct prompt p;
    prompt_open(&p, PROMPT_NONE);
    CHECK_INT(prompt_key(&p, 'x'), PROMPT_UNUSED);
    prompt_open(&p, PROMPT_MARK);
    const char *typed = "db failover";
    for (const char *c = typed; *c; c++) {
        CHECK_INT(prompt_key(&p, *c), PROMPT_EDITED);
    }
    CHECK_STR(p.text, "db failover");
    prompt_key(&p, KEYS_BACKSPACE);
    CHECK_STR(p.text, "db failove");
    prompt_key(&p, KEYS_CTRL('w'));
    CHECK_STR(p.text, "db ");
    prompt_key(&p, 0xe9); /* é: two bytes of UTF-8 */
    CHECK_STR(p.text, "db \xc3\xa9");
    prompt_key(&p, KEYS_BACKSPACE); /* removes the whole character */
    CHECK_STR(p.text, "db ");
    prompt_key(&p, KEYS_CTRL('a')); /* control characters never enter */
    prompt_key(&p, KEYS_UP);
    CHECK_STR(p.text, "db ");
    prompt_key(&p, KEYS_CTRL('u'));
    CHECK_STR(p.text, "");
    prompt_key(&p, KEYS_BACKSPACE);
    CHECK_STR(p.text, "");
    CHECK_INT(prompt_key(&p, KEYS_ENTER), PROMPT_DONE);
    CHECK_INT(prompt_key(&p, KEYS_ESCAPE), PROMPT_CANCELLED);
    CHECK_INT(p.kind, PROMPT_NONE);
}

TEST(prompt_never_overflows)
{
    struct prompt p;
    prompt_open(&p, PROMPT_GOTO);
    for (int i = 0; i < 3 * PROMPT_MAX; i++) {
        prompt_key(&p, i % 2 ? 'a' : 0x20ac); /* € is three bytes */
    }
    CHECK(p.len < PROMPT_MAX);
    CHECK_INT((int)strlen(p.text), (int)p.len);
}

TEST(view_keys_for_time_travel)
{
    struct view v;
    view_init(&v);
    CHECK_INT(view_key(&v, NULL, '['), VIEW_STEP_BACK);
    CHECK_INT(view_key(&v, NULL, ']'), VIEW_STEP_FORWARD);
    CHECK_INT(view_key(&v, NULL, '{'), VIEW_JUMP_BACK);
    CHECK_INT(view_key(&v, NULL, '}'), VIEW_JUMP_FORWARD);
    CHECK_INT(view_key(&v, NULL, 'G'), VIEW_LIVE);
    CHECK_INT(view_key(&v, NULL, 'L'), VIEW_LIVE);
    CHECK_INT(view_key(&v, NULL, 'w'), VIEW_WRITE);
    CHECK_INT(view_key(&v, NULL, 'r'), VIEW_REFRESH);
    CHECK_INT(view_key(&v, NULL, 'g'), VIEW_REDRAW);
    CHECK_INT(v.prompt.kind, PROMPT_GOTO);
    CHECK_INT(view_key(&v, NULL, 'q'), VIEW_REDRAW); /* typed, not quit */
    CHECK_INT(view_key(&v, NULL, '['), VIEW_REDRAW);
    CHECK_STR(v.prompt.text, "q[");
    CHECK_INT(view_key(&v, NULL, KEYS_ENTER), VIEW_GOTO);
    prompt_close(&v.prompt);
    CHECK_INT(view_key(&v, NULL, 'm'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, 'x'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, KEYS_ENTER), VIEW_MARK);
    CHECK_STR(v.prompt.text, "x");
    prompt_close(&v.prompt);
    CHECK_INT(view_key(&v, NULL, 'm'), VIEW_REDRAW);
    CHECK_INT(view_key(&v, NULL, KEYS_ESCAPE), VIEW_REDRAW);
    CHECK_INT(v.prompt.kind, PROMPT_NONE);
    snprintf(v.message, sizeof v.message, "snapshot written to x");
    CHECK_INT(view_key(&v, NULL, KEYS_F1), VIEW_REDRAW); /* any key clears the message */
    CHECK_STR(v.message, "");
    CHECK_INT(view_key(&v, NULL, 'q'), VIEW_QUIT);
}

TEST(view_footer_shows_the_prompt_and_the_message)
{
    struct view v;
    view_init(&v);
    struct canvas *c = canvas_new(80, 24, true);
    view_key(&v, NULL, 'm');
    view_key(&v, NULL, 'h');
    view_key(&v, NULL, 'i');
    view_render(c, canvas_bounds(c), &v, NULL, "t");
    char *text = canvas_dump_text(c);
    CHECK(strstr(text, "mark this moment, note: hi") != NULL);
    free(text);
    prompt_close(&v.prompt);
    snprintf(v.message, sizeof v.message, "snapshot written to /tmp/x.txt");
    view_render(c, canvas_bounds(c), &v, NULL, "t");
    text = canvas_dump_text(c);
    CHECK(strstr(text, "snapshot written to /tmp/x.txt") != NULL);
    free(text);
    canvas_free(c);
}
