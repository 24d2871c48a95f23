#!/usr/bin/env python3
"""Turns a `tmux capture-pane -e -p` capture (text with SGR escape codes) on
stdin into a standalone HTML page on stdout, for `make screenshots` to render
with a headless browser. Handles the SGR codes tmux emits: reset, bold, dim,
italic, underline, reverse, the 8/16 colours, 256 colours and 24-bit colour;
every other escape sequence is dropped."""
import html
import re
import sys

BASE = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
        "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
FG, BG = "#d4d4d4", "#1e1e1e"


def c256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def main():
    st = {"fg": None, "bg": None, "b": False, "d": False, "i": False, "u": False, "r": False}
    out = []
    token = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|([^\x1b]+)")
    for m in token.finditer(sys.stdin.read()):
        if m.group(2) is not None:
            fg, bg = st["fg"] or FG, st["bg"] or BG
            if st["r"]:
                fg, bg = bg, fg
            style = "color:%s;background:%s" % (fg, bg)
            style += ";font-weight:bold" if st["b"] else ""
            style += ";opacity:.7" if st["d"] else ""
            style += ";font-style:italic" if st["i"] else ""
            style += ";text-decoration:underline" if st["u"] else ""
            out.append('<span style="%s">%s</span>' % (style, html.escape(m.group(2))))
            continue
        if m.group(1) is None:
            continue
        codes = [int(x) if x else 0 for x in m.group(1).split(";")]
        k = 0
        while k < len(codes):
            c = codes[k]
            if c == 0:
                st.update(fg=None, bg=None, b=False, d=False, i=False, u=False, r=False)
            elif c == 1:
                st["b"] = True
            elif c == 2:
                st["d"] = True
            elif c == 3:
                st["i"] = True
            elif c == 4:
                st["u"] = True
            elif c == 7:
                st["r"] = True
            elif c == 22:
                st["b"] = st["d"] = False
            elif c == 23:
                st["i"] = False
            elif c == 24:
                st["u"] = False
            elif c == 27:
                st["r"] = False
            elif 30 <= c <= 37:
                st["fg"] = BASE[c - 30]
            elif 90 <= c <= 97:
                st["fg"] = BASE[c - 90 + 8]
            elif 40 <= c <= 47:
                st["bg"] = BASE[c - 40]
            elif 100 <= c <= 107:
                st["bg"] = BASE[c - 100 + 8]
            elif c == 39:
                st["fg"] = None
            elif c == 49:
                st["bg"] = None
            elif c in (38, 48) and k + 1 < len(codes):
                key = "fg" if c == 38 else "bg"
                if codes[k + 1] == 5 and k + 2 < len(codes):
                    st[key] = c256(codes[k + 2])
                    k += 2
                elif codes[k + 1] == 2 and k + 4 < len(codes):
                    st[key] = "#%02x%02x%02x" % tuple(codes[k + 2:k + 5])
                    k += 4
            k += 1
    print('<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
          'body{margin:0;background:%s}pre{margin:0;padding:6px;font:14px/17px '
          '"DejaVu Sans Mono","Liberation Mono",monospace;color:%s}</style></head><body><pre>%s'
          '</pre></body></html>' % (BG, FG, "".join(out)))


main()
