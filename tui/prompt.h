/*
 * The one-line prompt of the console's footer ("go to time:", "mark note:"):
 * a small line editor over a fixed buffer of UTF-8 text. Pure: keys in,
 * state out; no terminal, no clock.
 */
#ifndef SCALETOP_PROMPT_H
#define SCALETOP_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#define PROMPT_MAX 200

enum prompt_kind { PROMPT_NONE = 0, PROMPT_GOTO, PROMPT_MARK };

struct prompt {
    enum prompt_kind kind; /* PROMPT_NONE: no prompt is open */
    char text[PROMPT_MAX]; /* what was typed, UTF-8, NUL-terminated */
    size_t len;
};

enum prompt_result {
    PROMPT_UNUSED = 0, /* no prompt open: the key is not the prompt's */
    PROMPT_EDITED,     /* the text changed (or the key was swallowed) */
    PROMPT_DONE,       /* Enter: text holds the answer; the prompt stays open until closed */
    PROMPT_CANCELLED,  /* Esc: the prompt closed */
};

/* Opens an empty prompt of kind k. */
void prompt_open(struct prompt *p, enum prompt_kind k);

/* Closes the prompt and forgets the text. */
void prompt_close(struct prompt *p);

/* The label shown before the text ("go to time: "), "" for PROMPT_NONE. */
const char *prompt_label(enum prompt_kind k);

/* Applies one key (enum keys_code or a code point): printable characters
 * append, Backspace deletes the last character, Ctrl-U clears, Ctrl-W deletes
 * the last word, Enter finishes, Esc (or Ctrl-C, Ctrl-G) cancels. */
enum prompt_result prompt_key(struct prompt *p, int key);

#endif
