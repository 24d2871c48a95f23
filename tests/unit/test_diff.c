/* scaletop diff: exactly the changes between two snapshots, in each format. */
#include "backend/diff.h"
#include "tests/lib/test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

static struct snapshot *base(double t)
{
    struct snapshot *s = snapshot_new(t);
    for (int i = 0; i < 3; i++) {
        struct server *sv = snapshot_add_server(s);
        char h[16];
        snprintf(h, sizeof h, "coder-%d", i);
        sv->id = sv->hostname = snapshot_str(s, h);
        sv->version = snapshot_str(s, "v2.24.1");
        sv->started_at = 1000;
        sv->db_latency_ms = 2;
    }
    struct daemon *d = snapshot_add_daemon(s);
    d->id = d->name = snapshot_str(s, "prov-a");
    d->status = DAEMON_IDLE;
    struct queue *q = snapshot_add_queue(s);
    struct tag tg = {"scope", "organization"};
    q->organization = snapshot_str(s, "coder");
    q->tags = snapshot_tagset(s, &tg, 1);
    q->pending = 0;
    q->running = 1;
    struct proxy *x = snapshot_add_proxy(s);
    x->name = snapshot_str(s, "eu");
    x->status = PROXY_OK;
    s->postgres.up = TRI_TRUE;
    s->postgres.connections.used = 20;
    return s;
}

static const struct change *find(const struct diff *d, const char *section, const char *entity,
                                 const char *field)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct change *c = &d->changes[i];
        if (strcmp(c->section, section) == 0 && strcmp(c->entity, entity) == 0 &&
            ((!field && !c->field) || (field && c->field && strcmp(c->field, field) == 0))) {
            return c;
        }
    }
    return NULL;
}

TEST(diff_identical_is_empty)
{
    struct snapshot *a = base(100), *b = base(200);
    struct diff *d = diff_snapshots(a, b);
    CHECK_INT(d->n, 0);
    char *t = diff_render(d, DIFF_TEXT, 1);
    CHECK(strstr(t, "no changes") != NULL);
    free(t);
    diff_free(d);
    snapshot_unref(a);
    snapshot_unref(b);
}

TEST(diff_lists_exactly_the_changes)
{
    struct snapshot *a = base(100), *b = base(200);
    b->nservers = 2;                 /* coder-2 left */
    b->servers[0].started_at = 1500; /* coder-0 restarted */
    b->servers[1].db_latency_ms = 14;
    b->provisioners.daemons[0].status = DAEMON_OFFLINE;
    b->provisioners.queues[0].pending = 12;
    b->proxies[0].status = PROXY_UNREACHABLE;
    b->postgres.connections.used = 85;
    struct finding *f = snapshot_add_finding(b);
    f->rule = snapshot_str(b, "coderd.db_latency");
    f->entity = snapshot_str(b, "server/coder-1");
    f->severity = SEV_WARN;
    /* Unknown on one side: not a change. */
    a->servers[0].api_p95_ms = 50;

    struct diff *d = diff_snapshots(a, b);
    CHECK_INT(d->n, 8);
    CHECK(find(d, "servers", "coder-2", NULL) &&
          find(d, "servers", "coder-2", NULL)->kind == CHANGE_REMOVED);
    CHECK(find(d, "servers", "coder-0", "restarted") != NULL);
    const struct change *c = find(d, "servers", "coder-0", "restarted");
    CHECK(c && strcmp(c->from, "1970-01-01T00:16:40Z") == 0 &&
          strcmp(c->to, "1970-01-01T00:25:00Z") == 0);
    c = find(d, "servers", "coder-1", "db_latency_ms");
    CHECK(c && c->delta == 12);
    c = find(d, "daemons", "prov-a", "status");
    CHECK(c && strcmp(c->from, "idle") == 0 && strcmp(c->to, "offline") == 0);
    c = find(d, "queues", "coder/scope=organization", "pending");
    CHECK(c && c->delta == 12);
    CHECK(find(d, "proxies", "eu", "status") != NULL);
    CHECK(find(d, "postgres", "postgres", "connections used") != NULL);
    c = find(d, "findings", "coderd.db_latency server/coder-1", NULL);
    CHECK(c && c->kind == CHANGE_ADDED);

    char *t = diff_render(d, DIFF_TEXT, 1);
    CHECK(strstr(t, "left      coder-2") != NULL);
    CHECK(strstr(t, "started   coderd.db_latency server/coder-1") != NULL);
    CHECK(strstr(t, "pending: 0 -> 12 (+12)") != NULL);
    CHECK(strstr(t, "1970-01-01T00:01:40Z") != NULL);
    free(t);

    char *j = diff_render(d, DIFF_JSON, 1);
    json_error_t je;
    json_t *root = json_loads(j, 0, &je);
    CHECK(root != NULL);
    CHECK_INT(json_array_size(json_object_get(root, "changes")), 8);
    json_decref(root);
    free(j);
    diff_free(d);
    snapshot_unref(a);
    snapshot_unref(b);
}

TEST(diff_markdown_escapes_hostile_names)
{
    struct snapshot *a = base(100), *b = base(200);
    struct proxy *x = snapshot_add_proxy(b);
    x->name = snapshot_str(b, "evil|proxy<script>");
    struct diff *d = diff_snapshots(a, b);
    char *m = diff_render(d, DIFF_MD, 1);
    CHECK(strstr(m, "evil\\|proxy\\<script\\>") != NULL);
    CHECK(strstr(m, "<script>") == NULL);
    CHECK(strstr(m, "### proxies") != NULL);
    free(m);
    diff_free(d);
    snapshot_unref(a);
    snapshot_unref(b);
}
