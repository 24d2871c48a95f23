/*
 * Glyph tables: the characters the console draws with, in a UTF-8 set and a
 * plain ASCII set. Chosen once, from the locale's character set or --ascii;
 * everything that draws a frame, a sparkline or a truncation mark takes its
 * characters from here, so ASCII mode never emits a byte above 0x7f.
 */
#ifndef SCALETOP_GLYPHS_H
#define SCALETOP_GLYPHS_H

#include <stdbool.h>
#include <stdint.h>

#define GLYPHS_SPARK_LEVELS 8

struct glyphs {
    bool ascii;
    /* frames: horizontal, vertical, corners top-left/top-right/bottom-left/bottom-right */
    uint32_t h, v, tl, tr, bl, br;
    /* the frame of the focused pane */
    uint32_t fh, fv, ftl, ftr, fbl, fbr;
    uint32_t spark[GLYPHS_SPARK_LEVELS]; /* lowest to highest */
    uint32_t spark_gap;                  /* a missing sample */
    uint32_t ellipsis;                   /* truncation mark */
    uint32_t up, down, left, right;
    uint32_t bullet;
    uint32_t replacement; /* stands for a character the terminal cannot show */
};

/* The UTF-8 set (ascii false) or the ASCII set; static, never NULL. */
const struct glyphs *glyphs_get(bool ascii);

/* True when the current LC_CTYPE locale's character set is UTF-8 (call after
 * setlocale); the console uses ASCII glyphs otherwise. */
bool glyphs_locale_is_utf8(void);

#endif
