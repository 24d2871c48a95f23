/*
 * Keys from the terminal, translated into enum keys_code (tui/keys.h) so
 * that nothing above this module sees a curses key code.
 */
#ifndef SCALETOP_INPUT_H
#define SCALETOP_INPUT_H

/* Sets up key reading on the active screen: keypad keys, non-blocking
 * reads, a 25 ms escape delay. UI thread, after screen_new. */
void input_init(void);

/* The next pending key (a code point, a control code or an enum keys_code),
 * or KEYS_NONE when no input is waiting. Never blocks. UI thread. */
int input_next(void);

#endif
