/*
 * The footer's line editor. Invariants: text is always NUL-terminated valid
 * UTF-8 of len bytes (< PROMPT_MAX); control characters never enter it, so
 * what the user typed can be drawn and stored as it is.
 */
#include "tui/prompt.h"

#include "tui/keys.h"

#include <string.h>

void prompt_open(struct prompt *p, enum prompt_kind k)
{
    p->kind = k;
    p->text[0] = '\0';
    p->len = 0;
}

void prompt_close(struct prompt *p)
{
    prompt_open(p, PROMPT_NONE);
}

const char *prompt_label(enum prompt_kind k)
{
    switch (k) {
    case PROMPT_GOTO:
        return "go to time (e.g. -10m, 14:05, 2026-11-27T03:12:00Z): ";
    case PROMPT_MARK:
        return "mark this moment, note: ";
    case PROMPT_NONE:
        break;
    }
    return "";
}

/* Encodes code point cp as UTF-8 into out; returns the byte count (0: not
 * a character the prompt takes). */
static size_t utf8_encode(int cp, char out[4])
{
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) ||
        cp > 0x10ffff) {
        return 0;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static void delete_char(struct prompt *p)
{
    while (p->len > 0) {
        p->len--;
        if (((unsigned char)p->text[p->len] & 0xc0) != 0x80) {
            break; /* the lead byte: the character is gone */
        }
    }
    p->text[p->len] = '\0';
}

enum prompt_result prompt_key(struct prompt *p, int key)
{
    if (p->kind == PROMPT_NONE) {
        return PROMPT_UNUSED;
    }
    switch (key) {
    case KEYS_ENTER:
    case '\r':
    case '\n':
        return PROMPT_DONE;
    case KEYS_ESCAPE:
    case KEYS_CTRL('c'):
    case KEYS_CTRL('g'):
        prompt_close(p);
        return PROMPT_CANCELLED;
    case KEYS_BACKSPACE:
    case 0x7f:
    case KEYS_CTRL('h'):
        delete_char(p);
        return PROMPT_EDITED;
    case KEYS_CTRL('u'):
        p->len = 0;
        p->text[0] = '\0';
        return PROMPT_EDITED;
    case KEYS_CTRL('w'):
        while (p->len > 0 && p->text[p->len - 1] == ' ') {
            delete_char(p);
        }
        while (p->len > 0 && p->text[p->len - 1] != ' ') {
            delete_char(p);
        }
        return PROMPT_EDITED;
    default:
        break;
    }
    char buf[4];
    size_t n = key >= 0 && key < 0x110000 ? utf8_encode(key, buf) : 0;
    if (n > 0 && p->len + n < PROMPT_MAX) {
        memcpy(p->text + p->len, buf, n);
        p->len += n;
        p->text[p->len] = '\0';
    }
    return PROMPT_EDITED; /* every other key is swallowed while typing */
}
