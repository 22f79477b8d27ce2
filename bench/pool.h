/* bench/pool.h - the benchmarks' thread pool behind the interpreter's parallel_for.
 *
 * A spinning pool: the workers busy-wait for a job (yielding after a while), so a parallel_for
 * costs well under a microsecond to start, as XNNPACK's pthreadpool does while it is busy.
 * Chunks of the range are handed out through an atomic counter; the caller waits only for the
 * workers that actually joined a job (a preempted worker costs nothing on a loaded machine).
 *
 *     struct bench_pool p;
 *     if (bench_pool_start(&p, 2)) ...;                  // the caller is one of the 2 threads
 *     o.parallel_for = bench_pool_parallel_for; o.pf_user = &p; o.n_threads = p.n;
 *     ...
 *     bench_pool_stop(&p);
 */
#ifndef EDGECL_BENCH_POOL_H
#define EDGECL_BENCH_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include "edgecl/model.h"

#define BENCH_POOL_MAX 16

struct bench_pool {
    int n; /* threads including the caller */
    pthread_t th[BENCH_POOL_MAX - 1];
    _Atomic unsigned long long st; /* generation << 32 | closed bit | workers joined */
    atomic_int stop;
    atomic_int next;
    int total, chunk;
    ecl_task_fn fn;
    void *ctx;
};

/* 0 on success; -1 if not all threads started (p->n says how many run; stop it anyway). */
int bench_pool_start(struct bench_pool *p, int n_threads);
void bench_pool_parallel_for(void *pool, int n, ecl_task_fn fn, void *ctx);
void bench_pool_stop(struct bench_pool *p);

#endif
