#!/usr/bin/env python3
"""Strict structural check of an HTML report: every non-void element closed
in order, no stray end tags, no block elements inside <p>, tables holding
only table parts, and nothing active or remote (<script>, on* handlers,
http(s) src/href). Prints one line per problem; exit 1 if any."""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
# SVG shapes written self-closing.
SVG_EMPTY = {"line", "polyline", "rect", "circle", "path"}
BLOCK = {"table", "section", "div", "figure", "h1", "h2", "h3", "h4", "h5",
         "h6", "p", "ul", "ol"}
TABLE_CHILD = {"table": {"thead", "tbody", "tfoot", "tr", "caption"},
               "thead": {"tr"}, "tbody": {"tr"}, "tr": {"td", "th"}}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []

    def where(self):
        return "line %d" % self.getpos()[0]

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)
        if tag in VOID:
            return
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)
        if tag not in VOID and tag not in SVG_EMPTY:
            self.problems.append("%s: <%s/> is not a void element" % (self.where(), tag))

    def check(self, tag, attrs):
        parent = self.stack[-1] if self.stack else None
        if tag == "script" or tag in ("iframe", "object", "embed", "link"):
            self.problems.append("%s: <%s> in a report" % (self.where(), tag))
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("%s: event handler %s" % (self.where(), k))
            if k in ("src", "href") and v and ":" in v.split("/")[0] and not v.startswith("#"):
                self.problems.append("%s: remote %s=%s" % (self.where(), k, v))
        if parent == "p" and tag in BLOCK:
            self.problems.append("%s: <%s> inside <p>" % (self.where(), tag))
        if parent in TABLE_CHILD and tag not in TABLE_CHILD[parent]:
            self.problems.append("%s: <%s> inside <%s>" % (self.where(), tag, parent))

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append("%s: end tag of void <%s>" % (self.where(), tag))
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("%s: </%s> but open is <%s>" %
                                 (self.where(), tag, self.stack[-1] if self.stack else "nothing"))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def finish(self):
        self.close()
        if self.stack:
            self.problems.append("end of file: unclosed %s" % ", ".join("<%s>" % t for t in self.stack))


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    if not text.startswith("<!DOCTYPE html>"):
        print("no <!DOCTYPE html>")
        return 1
    c = Checker()
    c.feed(text)
    c.finish()
    for p in c.problems[:20]:
        print(p)
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
