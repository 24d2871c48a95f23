/*
 * Key codes as the console sees them, independent of curses: a printable
 * key is its Unicode code point, a control key its ASCII control code
 * (Ctrl-L is 12), and the special keys below sit above the Unicode range.
 * tui/input.c translates curses' codes into these; panes receive them.
 */
#ifndef SCALETOP_KEYS_H
#define SCALETOP_KEYS_H

#define KEYS_CTRL(c) ((c)&0x1f)

enum keys_code {
    KEYS_NONE = -1, /* nothing pending */
    KEYS_UP = 0x110000,
    KEYS_DOWN,
    KEYS_LEFT,
    KEYS_RIGHT,
    KEYS_PAGE_UP,
    KEYS_PAGE_DOWN,
    KEYS_HOME,
    KEYS_END,
    KEYS_ENTER,
    KEYS_TAB,
    KEYS_BACKTAB,
    KEYS_ESCAPE,
    KEYS_BACKSPACE,
    KEYS_RESIZE, /* the terminal changed size */
    KEYS_F1,
    KEYS_OTHER, /* a special key the console does not use */
};

#endif
