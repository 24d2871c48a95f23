/*
 * Label selectors (see labelsel.h). A hand-written scanner over the
 * grammar of apimachinery's labels.Parse, restricted to the operators a
 * label selector of a list request may carry (no `<`/`>`: those are for
 * node affinity). Keys and values are checked against the label character
 * set so that a typo in the config fails loudly at load time instead of
 * silently matching nothing.
 * Invariant: a parsed selector owns its strings; a failed parse owns none.
 */
#include "backend/labelsel.h"

#include "backend/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool labelsel_keych(int ch)
{
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '/';
}

static bool labelsel_valch(int ch)
{
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
}

static const char *labelsel_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* Reads a run of characters accepted by ok into a new string. */
static char *labelsel_word(const char **pp, bool (*ok)(int), size_t max)
{
    const char *p = *pp, *start = p;
    while (*p && ok((unsigned char)*p)) {
        p++;
    }
    if ((size_t)(p - start) > max) {
        return NULL;
    }
    *pp = p;
    return xstrndup(start, (size_t)(p - start));
}

void labelsel_fini(struct labelsel *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->reqs[i].key);
        for (size_t j = 0; j < s->reqs[i].nvalues; j++) {
            free(s->reqs[i].values[j]);
        }
    }
    memset(s, 0, sizeof *s);
}

static int labelsel_fail(struct labelsel *s, struct err *e, const char *text, const char *at,
                         const char *what)
{
    err_set(e, "label selector \"%.80s\": %s at column %d", text, what, (int)(at - text) + 1);
    labelsel_fini(s);
    return -1;
}

/* Parses "(a, b, c)" into r's values. */
static int labelsel_set(struct labelsel *s, struct labelsel_req *r, const char *text,
                        const char **pp, struct err *e)
{
    const char *p = labelsel_ws(*pp);
    if (*p != '(') {
        return labelsel_fail(s, e, text, p, "expected '(' after in/notin");
    }
    p = labelsel_ws(p + 1);
    for (;;) {
        if (r->nvalues == LABELSEL_MAX_VALUES) {
            return labelsel_fail(s, e, text, p, "too many values");
        }
        char *v = labelsel_word(&p, labelsel_valch, 63);
        if (!v) {
            return labelsel_fail(s, e, text, p, "value longer than 63 characters");
        }
        r->values[r->nvalues++] = v;
        p = labelsel_ws(p);
        if (*p == ',') {
            p = labelsel_ws(p + 1);
            continue;
        }
        if (*p == ')') {
            *pp = p + 1;
            return 0;
        }
        return labelsel_fail(s, e, text, p, "expected ',' or ')' in a value set");
    }
}

int labelsel_parse(struct labelsel *s, const char *text, struct err *e)
{
    memset(s, 0, sizeof *s);
    const char *p = labelsel_ws(text ? text : "");
    if (!*p || strcmp(p, "none") == 0) {
        s->none = true;
        return 0;
    }
    for (;;) {
        if (s->n == LABELSEL_MAX_REQS) {
            return labelsel_fail(s, e, text, p, "too many requirements");
        }
        struct labelsel_req *r = &s->reqs[s->n];
        bool neg = false;
        p = labelsel_ws(p);
        if (*p == '!') {
            neg = true;
            p = labelsel_ws(p + 1);
        }
        char *key = labelsel_word(&p, labelsel_keych, 317);
        if (!key || !*key) {
            free(key);
            return labelsel_fail(s, e, text, p, "expected a label key");
        }
        r->key = key;
        s->n++;
        p = labelsel_ws(p);
        if (neg) {
            r->op = LABELSEL_NOT_EXISTS;
        } else if (*p == '=' || (p[0] == '!' && p[1] == '=')) {
            r->op = *p == '!' ? LABELSEL_NOT_IN : LABELSEL_IN;
            p += *p == '!' ? 2 : (p[1] == '=' ? 2 : 1);
            p = labelsel_ws(p);
            char *v = labelsel_word(&p, labelsel_valch, 63);
            if (!v) {
                return labelsel_fail(s, e, text, p, "value longer than 63 characters");
            }
            r->values[r->nvalues++] = v;
        } else if (strncmp(p, "notin", 5) == 0 && !labelsel_keych((unsigned char)p[5])) {
            r->op = LABELSEL_NOT_IN;
            p += 5;
            if (labelsel_set(s, r, text, &p, e) != 0) {
                return -1;
            }
        } else if (strncmp(p, "in", 2) == 0 && !labelsel_keych((unsigned char)p[2])) {
            r->op = LABELSEL_IN;
            p += 2;
            if (labelsel_set(s, r, text, &p, e) != 0) {
                return -1;
            }
        } else {
            r->op = LABELSEL_EXISTS;
        }
        p = labelsel_ws(p);
        if (*p == '\0') {
            return 0;
        }
        if (*p != ',') {
            return labelsel_fail(s, e, text, p, "expected ',' between requirements");
        }
        p++;
    }
}

bool labelsel_match(const struct labelsel *s, labelsel_get_fn get, void *ctx)
{
    if (s->none) {
        return false;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct labelsel_req *r = &s->reqs[i];
        const char *have = get(ctx, r->key);
        bool in = false;
        for (size_t j = 0; have && j < r->nvalues; j++) {
            in = in || strcmp(have, r->values[j]) == 0;
        }
        switch (r->op) {
        case LABELSEL_EXISTS:
            if (!have) {
                return false;
            }
            break;
        case LABELSEL_NOT_EXISTS:
            if (have) {
                return false;
            }
            break;
        case LABELSEL_IN:
            if (!in) {
                return false;
            }
            break;
        case LABELSEL_NOT_IN:
            if (in) {
                return false;
            }
            break;
        }
    }
    return true;
}
