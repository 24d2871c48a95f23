/*
 * Key input through curses. Invariant: never blocks (nodelay), so the loop
 * can drain every pending key after each wake-up and go back to poll().
 */
#include "tui/input.h"

#include "tui/keys.h"

#include <curses.h>

void input_init(void)
{
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
}

static int special_key(int k)
{
    switch (k) {
    case KEY_UP:
        return KEYS_UP;
    case KEY_DOWN:
        return KEYS_DOWN;
    case KEY_LEFT:
        return KEYS_LEFT;
    case KEY_RIGHT:
        return KEYS_RIGHT;
    case KEY_PPAGE:
        return KEYS_PAGE_UP;
    case KEY_NPAGE:
        return KEYS_PAGE_DOWN;
    case KEY_HOME:
        return KEYS_HOME;
    case KEY_END:
        return KEYS_END;
    case KEY_ENTER:
        return KEYS_ENTER;
    case KEY_BTAB:
        return KEYS_BACKTAB;
    case KEY_BACKSPACE:
        return KEYS_BACKSPACE;
    case KEY_RESIZE:
        return KEYS_RESIZE;
    case KEY_F(1):
        return KEYS_F1;
    default:
        return KEYS_OTHER;
    }
}

int input_next(void)
{
    wint_t ch;
    int r = wget_wch(stdscr, &ch);
    if (r == ERR) {
        return KEYS_NONE;
    }
    if (r == KEY_CODE_YES) {
        return special_key((int)ch);
    }
    switch (ch) {
    case '\t':
        return KEYS_TAB;
    case '\r':
    case '\n':
        return KEYS_ENTER;
    case 27:
        return KEYS_ESCAPE;
    case 127:
    case 8:
        return KEYS_BACKSPACE;
    default:
        return (int)ch;
    }
}
