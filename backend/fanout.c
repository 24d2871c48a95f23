/*
 * Fan-out of blocking probes (see fanout.h). Threads are joinable and
 * joined before returning: nothing outlives the call, so items may live on
 * the caller's stack.
 */
#include "backend/fanout.h"

#include "backend/xalloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

void fanout_run(void *items, size_t n, size_t size, void *(*fn)(void *item))
{
    if (n == 0) {
        return;
    }
    pthread_t *threads = xcalloc(n, sizeof *threads);
    bool *started = xcalloc(n, sizeof *started);
    for (size_t i = 0; i < n; i++) {
        void *item = (char *)items + i * size;
        started[i] = pthread_create(&threads[i], NULL, fn, item) == 0;
        if (!started[i]) {
            fn(item);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (started[i]) {
            pthread_join(threads[i], NULL);
        }
    }
    free(started);
    free(threads);
}
