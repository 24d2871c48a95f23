/* Escaping: hostile text from a deployment stays inert in HTML, Markdown
 * tables and CSV. */
#include "backend/escape.h"
#include "tests/lib/test.h"

#include <stdlib.h>

static char *esc(void (*fn)(struct strbuf *, const char *), const char *s)
{
    struct strbuf b = {0};
    fn(&b, s);
    return strbuf_take(&b);
}

TEST(escape_html_markup)
{
    char *o = esc(escape_html, "<script>alert('x')</script> & \"q\"");
    CHECK_STR(o, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    free(o);
}

TEST(escape_md_table_cell)
{
    char *o = esc(escape_md, "a|b `c` *d* [l](http://x) <img>");
    CHECK_STR(o, "a\\|b \\`c\\` \\*d\\* \\[l\\](http://x) \\<img\\>");
    /* No unescaped pipe can end the cell early. */
    for (const char *p = o; *p; p++) {
        if (*p == '|') {
            CHECK(p > o && p[-1] == '\\');
        }
    }
    free(o);
}

TEST(escape_csv_quotes_and_formulas)
{
    char *o = esc(escape_csv, "plain");
    CHECK_STR(o, "plain");
    free(o);
    o = esc(escape_csv, "a,\"b\"\nc");
    CHECK_STR(o, "\"a,\"\"b\"\"\nc\"");
    free(o);
    o = esc(escape_csv, "=HYPERLINK(\"http://evil\")");
    CHECK_STR(o, "\"'=HYPERLINK(\"\"http://evil\"\")\"");
    free(o);
}

TEST(strbuf_printf_grows)
{
    struct strbuf b = {0};
    for (int i = 0; i < 1000; i++) {
        strbuf_printf(&b, "%04d,", i);
    }
    CHECK_INT(b.len, 5000);
    char *s = strbuf_take(&b);
    CHECK(strncmp(s + 4995, "0999,", 5) == 0);
    free(s);
}
