/*
 * Redaction. Two passes over a snapshot: first learn every identifying name
 * (registering a pseudonym for each, in order of first appearance), then
 * rewrite every string in one left-to-right pass, replacing at each position
 * the longest known name (so "coder-1" inside "coder-1.example.com" cannot
 * leave a fragment) and any URL it did not know. Replaced text is never
 * rescanned, so a pseudonym is never itself rewritten.
 */
#include "backend/redact.h"

#include "backend/escape.h"
#include "backend/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct alias {
    char *name;
    char *pseudonym;
};

struct redact {
    struct alias *aliases;
    size_t n, cap;
    unsigned counters[5];
};

enum kind { K_HOST, K_USER, K_URL, K_NAME, K_ORG };

static const char *const prefixes[] = {"host", "user", "url", "name", "org"};

struct redact *redact_new(void)
{
    return xcalloc(1, sizeof(struct redact));
}

void redact_free(struct redact *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->aliases[i].name);
        free(r->aliases[i].pseudonym);
    }
    free(r->aliases);
    free(r);
}

static const char *lookup(const struct redact *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->aliases[i].name, name) == 0) {
            return r->aliases[i].pseudonym;
        }
    }
    return NULL;
}

static int alias_len_cmp(const void *a, const void *b)
{
    size_t la = strlen(((const struct alias *)a)->name);
    size_t lb = strlen(((const struct alias *)b)->name);
    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Registers a name (and, for URLs, their host) and returns its pseudonym. */
static const char *learn(struct redact *r, enum kind k, const char *name)
{
    if (!name || strlen(name) < 2) {
        return name;
    }
    const char *p = lookup(r, name);
    if (p) {
        return p;
    }
    char *pseudo;
    unsigned n = ++r->counters[k];
    if (k == K_URL) {
        pseudo = xasprintf("https://url-%u.invalid", n);
        /* The URL's host appears on its own elsewhere (proxy hostnames). */
        const char *h = strstr(name, "://");
        if (h) {
            h += 3;
            size_t len = strcspn(h, ":/?#");
            char *host = xstrndup(h, len);
            if (!lookup(r, host) && strlen(host) >= 2) {
                r->aliases = xgrow(r->aliases, &r->cap, r->n + 1, sizeof *r->aliases);
                r->aliases[r->n].name = host;
                r->aliases[r->n].pseudonym = xasprintf("host-u%u.invalid", n);
                r->n++;
            } else {
                free(host);
            }
        }
    } else {
        pseudo = xasprintf("%s-%u", prefixes[k], n);
    }
    r->aliases = xgrow(r->aliases, &r->cap, r->n + 1, sizeof *r->aliases);
    r->aliases[r->n].name = xstrdup(name);
    r->aliases[r->n].pseudonym = pseudo;
    r->n++;
    qsort(r->aliases, r->n, sizeof *r->aliases, alias_len_cmp);
    return lookup(r, name);
}

/* Registers the host of a URL ("http://10.0.1.11:8080" gives "10.0.1.11")
 * as a host name of its own. */
static void learn_url_host(struct redact *r, const char *url)
{
    const char *h = url ? strstr(url, "://") : NULL;
    if (!h) {
        return;
    }
    h += 3;
    char *host = xstrndup(h, strcspn(h, ":/?#"));
    learn(r, K_HOST, host);
    free(host);
}

/* Replaces URLs the redactor does not know yet (scheme://host...). */
static void url_pass(struct redact *r, struct strbuf *out, const char *s)
{
    while (*s) {
        const char *u = strstr(s, "://");
        if (!u) {
            strbuf_puts(out, s);
            return;
        }
        const char *start = u;
        while (start > s && isalpha((unsigned char)start[-1])) {
            start--;
        }
        const char *end = u + 3;
        while (*end && !isspace((unsigned char)*end) && !strchr("\"'<>|)", *end)) {
            end++;
        }
        strbuf_add(out, s, (size_t)(start - s));
        if (start == u) { /* "://" without a scheme: not a URL */
            strbuf_add(out, u, 3);
            s = u + 3;
            continue;
        }
        char *url = xstrndup(start, (size_t)(end - start));
        strbuf_puts(out, learn(r, K_URL, url));
        free(url);
        s = end;
    }
}

char *redact_text(struct redact *r, const char *text)
{
    if (!text) {
        return NULL;
    }
    struct strbuf a = {0};
    url_pass(r, &a, text);
    char *cur = strbuf_take(&a);
    /* One pass: at each position the longest known name wins (the aliases
     * are sorted longest first), and replaced text is never rescanned. */
    struct strbuf b = {0};
    const char *s = cur;
    while (*s) {
        size_t i;
        for (i = 0; i < r->n; i++) {
            size_t nl = strlen(r->aliases[i].name);
            if (strncmp(s, r->aliases[i].name, nl) == 0) {
                strbuf_puts(&b, r->aliases[i].pseudonym);
                s += nl;
                break;
            }
        }
        if (i == r->n) {
            strbuf_add(&b, s, 1);
            s++;
        }
    }
    free(cur);
    return strbuf_take(&b);
}

static void rewrite(struct redact *r, struct snapshot *s, const char **field)
{
    if (*field) {
        char *t = redact_text(r, *field);
        *field = snapshot_str(s, t);
        free(t);
    }
}

/* A source name is scaletop's own word ("coder-api", "postgres",
 * "metrics"), optionally followed by a space and a target from the
 * deployment ("metrics 10.0.1.11:2112"): only the target is rewritten, so a
 * name such as the default organization "coder" cannot turn "coder-api" into
 * "org-1-api". */
static void rewrite_source_name(struct redact *r, struct snapshot *s, const char **field)
{
    const char *sp = *field ? strchr(*field, ' ') : NULL;
    if (!sp) {
        return;
    }
    char *t = redact_text(r, sp + 1);
    char *joined = xasprintf("%.*s %s", (int)(sp - *field), *field, t);
    *field = snapshot_str(s, joined);
    free(joined);
    free(t);
}

static void learn_tags(struct redact *r, const struct tagset *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        if (strcmp(ts->tags[i].key, "owner") == 0) {
            learn(r, K_USER, ts->tags[i].value);
        }
    }
}

static void rewrite_tags(struct redact *r, struct snapshot *s, struct tagset *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        rewrite(r, s, &ts->tags[i].value);
    }
}

void redact_snapshot(struct redact *r, struct snapshot *s)
{
    struct deployment *d = &s->deployment;
    learn(r, K_URL, d->coder_url);
    learn(r, K_URL, d->dashboard_url);
    for (size_t i = 0; i < s->nservers; i++) {
        learn(r, K_HOST, s->servers[i].hostname);
        learn(r, K_HOST, s->servers[i].relay_address);
        learn(r, K_HOST, s->servers[i].metrics_target);
    }
    struct provisioners *p = &s->provisioners;
    for (size_t i = 0; i < p->ndaemons; i++) {
        learn(r, K_HOST, p->daemons[i].name);
        learn(r, K_ORG, p->daemons[i].organization);
        learn_tags(r, &p->daemons[i].tags);
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        learn(r, K_ORG, p->queues[i].organization);
        learn_tags(r, &p->queues[i].tags);
    }
    for (size_t i = 0; i < p->nstopped; i++) { /* a daemon gone from the list */
        learn(r, K_HOST, p->stopped[i].name);
        learn(r, K_ORG, p->stopped[i].organization);
        learn_tags(r, &p->stopped[i].tags);
    }
    for (size_t i = 0; i < s->nproxies; i++) {
        learn(r, K_URL, s->proxies[i].url);
        learn(r, K_NAME, s->proxies[i].name);
        learn(r, K_NAME, s->proxies[i].display_name);
        learn(r, K_HOST, s->proxies[i].wildcard_hostname);
        learn(r, K_HOST, s->proxies[i].metrics_target);
    }
    for (size_t i = 0; i < s->capacity.ncoder_quota; i++) {
        learn(r, K_USER, s->capacity.coder_quota[i].user);
        learn(r, K_ORG, s->capacity.coder_quota[i].organization);
    }
    for (size_t i = 0; i < s->capacity.nnamespaces; i++) {
        learn(r, K_NAME, s->capacity.namespaces[i].name);
    }
    for (size_t i = 0; i < s->cost.ngroups; i++) {
        learn(r, K_ORG, s->cost.groups[i].organization);
        learn(r, K_NAME, s->cost.groups[i].name);
    }
    for (size_t i = 0; i < s->postgres.nreplication; i++) {
        learn(r, K_HOST, s->postgres.replication[i].name);
    }
    /* Learnt last so the pseudonyms above keep their numbers: the bare host
     * of each relay address, which source names ("metrics HOST:PORT") carry. */
    for (size_t i = 0; i < s->nservers; i++) {
        learn_url_host(r, s->servers[i].relay_address);
    }

    rewrite(r, s, &d->coder_url);
    rewrite(r, s, &d->dashboard_url);
    for (size_t i = 0; i < s->nsources; i++) {
        rewrite_source_name(r, s, &s->sources[i].name);
        rewrite(r, s, &s->sources[i].error);
    }
    for (size_t i = 0; i < s->nservers; i++) {
        struct server *sv = &s->servers[i];
        rewrite(r, s, &sv->id);
        rewrite(r, s, &sv->hostname);
        rewrite(r, s, &sv->relay_address);
        rewrite(r, s, &sv->metrics_target);
        rewrite(r, s, &sv->error);
    }
    for (size_t i = 0; i < p->ndaemons; i++) {
        rewrite(r, s, &p->daemons[i].id);
        rewrite(r, s, &p->daemons[i].name);
        rewrite(r, s, &p->daemons[i].organization);
        rewrite_tags(r, s, &p->daemons[i].tags);
    }
    for (size_t i = 0; i < p->nqueues; i++) {
        rewrite(r, s, &p->queues[i].organization);
        rewrite_tags(r, s, &p->queues[i].tags);
    }
    for (size_t i = 0; i < p->njobs; i++) {
        rewrite(r, s, &p->jobs[i].organization);
        rewrite_tags(r, s, &p->jobs[i].tags);
    }
    for (size_t i = 0; i < p->nunrunnable; i++) {
        rewrite(r, s, &p->unrunnable[i].organization);
        rewrite_tags(r, s, &p->unrunnable[i].tags);
    }
    for (size_t i = 0; i < p->nstopped; i++) {
        rewrite(r, s, &p->stopped[i].id);
        rewrite(r, s, &p->stopped[i].name);
        rewrite(r, s, &p->stopped[i].organization);
        rewrite_tags(r, s, &p->stopped[i].tags);
    }
    for (size_t i = 0; i < s->nproxies; i++) {
        struct proxy *x = &s->proxies[i];
        rewrite(r, s, &x->name);
        rewrite(r, s, &x->display_name);
        rewrite(r, s, &x->url);
        rewrite(r, s, &x->wildcard_hostname);
        rewrite(r, s, &x->metrics_target);
        for (size_t j = 0; j < x->nerrors; j++) {
            rewrite(r, s, &x->errors[j]);
        }
        for (size_t j = 0; j < x->nwarnings; j++) {
            rewrite(r, s, &x->warnings[j]);
        }
    }
    for (size_t i = 0; i < s->capacity.ncoder_quota; i++) {
        rewrite(r, s, &s->capacity.coder_quota[i].user);
        rewrite(r, s, &s->capacity.coder_quota[i].organization);
    }
    for (size_t i = 0; i < s->cost.ngroups; i++) {
        rewrite(r, s, &s->cost.groups[i].organization);
        rewrite(r, s, &s->cost.groups[i].name);
    }
    for (size_t i = 0; i < s->capacity.nnamespaces; i++) {
        rewrite(r, s, &s->capacity.namespaces[i].name);
    }
    for (size_t i = 0; i < s->postgres.nreplication; i++) {
        rewrite(r, s, &s->postgres.replication[i].name);
    }
    for (size_t i = 0; i < s->postgres.nlock_waits; i++) {
        rewrite(r, s, &s->postgres.lock_waits[i].query);
    }
    for (size_t i = 0; i < s->nfindings; i++) {
        rewrite(r, s, &s->findings[i].entity);
        rewrite(r, s, &s->findings[i].message);
        rewrite(r, s, &s->findings[i].evidence);
    }
    for (size_t i = 0; i < s->nevents; i++) {
        rewrite(r, s, &s->events[i].entity);
        rewrite(r, s, &s->events[i].message);
    }
}
