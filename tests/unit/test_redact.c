/* --redact: none of the original names survive, pseudonyms are stable. */
#include "backend/redact.h"
#include "tests/lib/test.h"

#include <stdlib.h>

static struct snapshot *sample(void)
{
    struct snapshot *s = snapshot_new(1e9);
    s->deployment.coder_url = snapshot_str(s, "https://coder.acme-corp.com");
    struct server *sv = snapshot_add_server(s);
    sv->id = snapshot_str(s, "r1");
    sv->hostname = snapshot_str(s, "coder-7f9c.prod.acme-corp.com");
    sv->error = snapshot_str(s, "dial coder-8a1b.prod.acme-corp.com:8080: refused");
    sv = snapshot_add_server(s);
    sv->id = snapshot_str(s, "r2");
    sv->hostname = snapshot_str(s, "coder-8a1b.prod.acme-corp.com");
    struct proxy *x = snapshot_add_proxy(s);
    x->name = snapshot_str(s, "frankfurt");
    x->url = snapshot_str(s, "https://fra.proxy.acme-corp.com");
    struct coder_quota *q = snapshot_add_coder_quota(s);
    q->user = snapshot_str(s, "alice.smith");
    q->organization = snapshot_str(s, "acme");
    struct finding *f = snapshot_add_finding(s);
    f->rule = snapshot_str(s, "coderd.db_latency");
    f->entity = snapshot_str(s, "server/coder-7f9c.prod.acme-corp.com");
    f->message = snapshot_str(s, "slow; see https://grafana.acme-corp.com/d/x");
    struct event *e = snapshot_add_event(s);
    e->kind = snapshot_str(s, "replica-left");
    e->entity = snapshot_str(s, "coder-8a1b.prod.acme-corp.com");
    e->message = snapshot_str(s, "alice.smith's build on frankfurt");
    return s;
}

static void all_strings(const struct snapshot *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s %s %s %s %s %s %s %s %s %s %s %s", s->deployment.coder_url,
             s->servers[0].hostname, s->servers[0].error, s->servers[1].hostname,
             s->proxies[0].name, s->proxies[0].url, s->capacity.coder_quota[0].user,
             s->capacity.coder_quota[0].organization, s->findings[0].entity, s->findings[0].message,
             s->events[0].entity, s->events[0].message, s->findings[0].rule);
}

TEST(redact_removes_every_original_name)
{
    struct snapshot *s = sample();
    struct redact *r = redact_new();
    redact_snapshot(r, s);
    char all[4096];
    all_strings(s, all, sizeof all);
    static const char *const originals[] = {"acme",  "coder-7f9c", "coder-8a1b", "frankfurt",
                                            "alice", "smith",      "grafana",    "fra.proxy"};
    for (size_t i = 0; i < sizeof originals / sizeof *originals; i++) {
        if (strstr(all, originals[i])) {
            test_fail(__FILE__, __LINE__, "'%s' survived redaction: %s", originals[i], all);
        }
    }
    /* What is not identifying stays readable. */
    CHECK_STR(s->findings[0].rule, "coderd.db_latency");
    CHECK(strstr(s->events[0].message, "'s build on ") != NULL);
    redact_free(r);
    snapshot_unref(s);
}

TEST(redact_is_stable_within_an_export)
{
    struct snapshot *a = sample(), *b = sample();
    struct redact *r = redact_new();
    redact_snapshot(r, a);
    redact_snapshot(r, b);
    CHECK_STR(a->servers[0].hostname, b->servers[0].hostname);
    CHECK_STR(a->capacity.coder_quota[0].user, b->capacity.coder_quota[0].user);
    /* The same host named in an error and as a replica maps alike. */
    CHECK(strstr(a->servers[0].error, a->servers[1].hostname) != NULL);
    CHECK(strcmp(a->servers[0].hostname, a->servers[1].hostname) != 0);
    /* The finding's entity names the same pseudonym as the server. */
    char want[300];
    snprintf(want, sizeof want, "server/%s", a->servers[0].hostname);
    CHECK_STR(a->findings[0].entity, want);
    redact_free(r);
    snapshot_unref(a);
    snapshot_unref(b);
}

TEST(redact_pseudonym_never_rewritten)
{
    struct redact *r = redact_new();
    struct snapshot *s = snapshot_new(0);
    struct coder_quota *q = snapshot_add_coder_quota(s);
    q->user = snapshot_str(s, "us"); /* a prefix of the pseudonym "user-1" */
    redact_snapshot(r, s);
    CHECK_STR(s->capacity.coder_quota[0].user, "user-1");
    /* Names match as substrings anywhere (privacy over prettiness), but
     * text already replaced is not scanned again. */
    char *t = redact_text(r, "us and usus");
    CHECK_STR(t, "user-1 and user-1user-1");
    free(t);
    snapshot_unref(s);
    redact_free(r);
}

/* Source names are scaletop's own words plus, at most, a target: an
 * organization called "coder" (Coder's default) is redacted where it names
 * the organization, not inside "coder-api" or "coderd". */
TEST(redact_keeps_scaletops_own_source_names)
{
    struct redact *r = redact_new();
    struct snapshot *s = snapshot_new(0);
    struct queue *q = snapshot_add_queue(s);
    q->organization = snapshot_str(s, "coder");
    struct server *sv = snapshot_add_server(s);
    sv->hostname = snapshot_str(s, "coder-7f9c");
    sv->metrics_target = snapshot_str(s, "10.0.1.11:2112");
    snapshot_add_source(s, "coder-api", "coder");
    snapshot_add_source(s, "metrics 10.0.1.11:2112", "metrics");
    struct source_state *src =
        snapshot_add_source(s, "provisioner-metrics coder-7f9c:2112", "provisioner-metrics");
    src->error = snapshot_str(s, "coder-7f9c:2112: connection refused");
    redact_snapshot(r, s);
    CHECK_STR(s->sources[0].name, "coder-api");
    CHECK_STR(s->sources[1].name, "metrics host-2");
    CHECK_STR(s->sources[2].name, "provisioner-metrics host-1:2112");
    CHECK_STR(s->sources[2].error, "host-1:2112: connection refused");
    CHECK_STR(s->provisioners.queues[0].organization, "org-1");
    snapshot_unref(s);
    redact_free(r);
}
