/*
 * Provisioner queues, derived the way coderd acquires jobs.
 *
 * A job can run on a daemon of the same organization whose tags satisfy
 * provisioner_tagset_contains (coderd/database migration 000275_check_tags
 * and the truth table in docs/admin/provisioners): the untagged job
 * {"owner":"","scope":"organization"} needs an exactly untagged daemon, any
 * other job needs its tags to be a subset of the daemon's. The API does not
 * expose a job's provisioner type (terraform/echo), so that part of coderd's
 * match is not applied. Tags are compared as the API sent them; coderd has
 * already added scope/owner on both sides.
 *
 * Invariants: a queue row exists for each distinct (organization, tag set)
 * of a pending or running job and of a daemon; `daemons` and `idle` count
 * online daemons able to take the row's tag set, `offline` the offline ones;
 * oldest_pending_s is NAN when nothing is pending. A pending job no online
 * daemon can take is unrunnable, with reason "no_matching_daemon" when no
 * listed daemon matches at all, "matching_daemons_offline" otherwise.
 */
#include "backend/provq.h"

#include "backend/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tag_get(const struct tagset *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->tags[i].key && strcmp(t->tags[i].key, key) == 0) {
            return t->tags[i].value ? t->tags[i].value : "";
        }
    }
    return NULL;
}

static bool tagset_subset(const struct tagset *sub, const struct tagset *super)
{
    for (size_t i = 0; i < sub->n; i++) {
        const char *v = tag_get(super, sub->tags[i].key ? sub->tags[i].key : "");
        const char *want = sub->tags[i].value ? sub->tags[i].value : "";
        if (!v || strcmp(v, want) != 0) {
            return false;
        }
    }
    return true;
}

static bool tagset_equal(const struct tagset *a, const struct tagset *b)
{
    return a->n == b->n && tagset_subset(a, b);
}

static bool is_untagged(const struct tagset *t)
{
    const char *scope = tag_get(t, "scope");
    const char *owner = tag_get(t, "owner");
    return t->n == 2 && scope && owner && strcmp(scope, "organization") == 0 && owner[0] == '\0';
}

bool provq_tags_match(const struct tagset *daemon, const struct tagset *job)
{
    if (is_untagged(job)) {
        return tagset_equal(job, daemon);
    }
    return tagset_subset(job, daemon);
}

bool provq_daemon_online(const struct daemon *d, double now)
{
    switch (d->status) {
    case DAEMON_IDLE:
    case DAEMON_BUSY:
        return true;
    case DAEMON_OFFLINE:
        return false;
    default:
        return isfinite(d->last_seen_at) && now - d->last_seen_at <= PROVQ_STALE_S;
    }
}

bool provq_is_builtin(const char *key_id, const char *key_name, const char *name,
                      const char *const *hostnames, size_t nhostnames)
{
    if (key_id && strcmp(key_id, PROVQ_BUILTIN_KEY_ID) == 0) {
        return true;
    }
    if (key_name && strcmp(key_name, "built-in") == 0) {
        return true;
    }
    if (key_id || key_name || !name) {
        return false; /* the server says which key: trust it */
    }
    for (size_t i = 0; i < nhostnames; i++) {
        const char *h = hostnames[i];
        size_t hl = h ? strlen(h) : 0;
        if (hl == 0 || strncmp(name, h, hl) != 0 || name[hl] != '-' || !name[hl + 1]) {
            continue;
        }
        const char *p = name + hl + 1;
        while (*p >= '0' && *p <= '9') {
            p++;
        }
        if (*p == '\0') {
            return true;
        }
    }
    return false;
}

void provq_tagset_format(const struct tagset *t, char *out, size_t outsz)
{
    tagset_format(out, outsz, t, " ", "");
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int str_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int tagset_cmp(const struct tagset *a, const struct tagset *b)
{
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        int c = str_cmp(a->tags[i].key, b->tags[i].key);
        if (!c) {
            c = str_cmp(a->tags[i].value, b->tags[i].value);
        }
        if (c) {
            return c;
        }
    }
    return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

static int queue_cmp(const void *x, const void *y)
{
    const struct queue *a = x, *b = y;
    int c = str_cmp(a->organization, b->organization);
    return c ? c : tagset_cmp(&a->tags, &b->tags);
}

static int job_age_cmp(const void *x, const void *y)
{
    const struct job *a = x, *b = y;
    double ca = isfinite(a->created_at) ? a->created_at : INFINITY;
    double cb = isfinite(b->created_at) ? b->created_at : INFINITY;
    if (ca != cb) {
        return ca < cb ? -1 : 1;
    }
    return str_cmp(a->id, b->id);
}

static struct queue *queue_for(struct snapshot *s, const char *org, const struct tagset *tags)
{
    struct provisioners *p = &s->provisioners;
    for (size_t i = 0; i < p->nqueues; i++) {
        struct queue *q = &p->queues[i];
        if (str_eq(q->organization, org) && tagset_equal(&q->tags, tags)) {
            return q;
        }
    }
    struct queue *q = snapshot_add_queue(s);
    q->organization = org; /* already owned by the snapshot */
    q->tags = *tags;
    q->pending = q->running = q->daemons = q->idle = q->offline = 0;
    return q;
}

static bool job_is(const struct job *j, const char *status)
{
    return j->status && strcmp(j->status, status) == 0;
}

static void derive_daemon_status(struct snapshot *s, double now)
{
    struct provisioners *p = &s->provisioners;
    for (size_t i = 0; i < p->ndaemons; i++) {
        struct daemon *d = &p->daemons[i];
        if (d->status_raw) {
            continue; /* the server said; unknown values stay unknown */
        }
        if (!isfinite(d->last_seen_at) || now - d->last_seen_at > PROVQ_STALE_S) {
            d->status = DAEMON_OFFLINE;
            continue;
        }
        bool busy = d->current_job != NULL;
        for (size_t j = 0; !busy && j < p->njobs; j++) {
            const struct job *jb = &p->jobs[j];
            busy = job_is(jb, "running") && str_eq(jb->worker_id, d->id);
        }
        d->status = busy ? DAEMON_BUSY : DAEMON_IDLE;
    }
}

void provq_derive(struct snapshot *s, double now)
{
    struct provisioners *p = &s->provisioners;
    derive_daemon_status(s, now);

    /* Rows: every tag set a job or a daemon carries. */
    for (size_t i = 0; i < p->njobs; i++) {
        struct job *j = &p->jobs[i];
        if (!job_is(j, "pending") && !job_is(j, "running")) {
            continue;
        }
        struct queue *q = queue_for(s, j->organization, &j->tags);
        if (job_is(j, "pending")) {
            q->pending++;
            double age = isfinite(j->created_at) ? now - j->created_at : NAN;
            if (age < 0) {
                age = 0; /* clock skew between us and coderd */
            }
            if (isfinite(age) && (!isfinite(q->oldest_pending_s) || age > q->oldest_pending_s)) {
                q->oldest_pending_s = age;
            }
        } else {
            q->running++;
        }
    }
    for (size_t i = 0; i < p->ndaemons; i++) {
        queue_for(s, p->daemons[i].organization, &p->daemons[i].tags);
    }

    /* Capacity of each row. */
    for (size_t qi = 0; qi < p->nqueues; qi++) {
        struct queue *q = &p->queues[qi];
        for (size_t i = 0; i < p->ndaemons; i++) {
            const struct daemon *d = &p->daemons[i];
            if (!str_eq(d->organization, q->organization) ||
                !provq_tags_match(&d->tags, &q->tags)) {
                continue;
            }
            if (provq_daemon_online(d, now)) {
                q->daemons++;
                if (d->status == DAEMON_IDLE) {
                    q->idle++;
                }
            } else {
                q->offline++;
            }
        }
    }
    if (p->nqueues > 1) {
        qsort(p->queues, p->nqueues, sizeof *p->queues, queue_cmp);
    }

    /* Pending jobs nobody online can take. */
    for (size_t i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        if (!job_is(j, "pending")) {
            continue;
        }
        size_t online = 0, any = 0;
        for (size_t k = 0; k < p->ndaemons; k++) {
            const struct daemon *d = &p->daemons[k];
            if (str_eq(d->organization, j->organization) && provq_tags_match(&d->tags, &j->tags)) {
                any++;
                online += provq_daemon_online(d, now);
            }
        }
        if (online) {
            continue;
        }
        struct job *u = snapshot_add_unrunnable(s);
        *u = *j;
        u->age_s = isfinite(j->created_at) ? fmax(0, now - j->created_at) : NAN;
        u->reason = any ? "matching_daemons_offline" : "no_matching_daemon";
    }
    if (p->nunrunnable > 1) {
        qsort(p->unrunnable, p->nunrunnable, sizeof *p->unrunnable, job_age_cmp);
    }

    /* Built-in daemons: the guide says to run provisioners outside coderd. */
    if (p->ndaemons) {
        enum tri builtin = TRI_FALSE;
        for (size_t i = 0; i < p->ndaemons; i++) {
            if (p->daemons[i].builtin && provq_daemon_online(&p->daemons[i], now)) {
                builtin = TRI_TRUE;
            }
        }
        s->deployment.builtin_provisioners = builtin;
    }
}
