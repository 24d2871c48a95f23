/*
 * The one list of poller kinds, in poll order (DESIGN.md §2): the Coder API
 * first (it discovers replicas and proxies), then what reads those lists
 * (coderd metrics, provisioner metrics, Prometheus, proxy health), then the
 * independent ones (PostgreSQL, Kubernetes). Kinds not linked yet are reported by the
 * collector as disabled with the line that would enable them.
 */
#include "backend/sources.h"

#include "backend/coder.h"
#include "backend/derpvar.h"
#include "backend/metrics.h"
#include "backend/promapi.h"

const struct source_ops *const sources_list[] = {
    &coder_source_ops,
    &metrics_source_ops,
    &provmetrics_source_ops,
    &proxymetrics_source_ops, /* needs the proxy list */
    &prometheus_source_ops,   /* after the direct pollers, which it defers to */
    &derpvar_source_ops,      /* after every metrics source: asks only replicas they missed */
    &proxyhealth_source_ops,
    &postgres_source_ops,
    &kubernetes_source_ops,
    &coder_cost_source_ops, /* the slow running-workspace list, on a thread of its own */
    NULL,
};

size_t sources_count(void)
{
    return sizeof sources_list / sizeof *sources_list - 1;
}
