/* bench/pool.c - the benchmarks' spinning thread pool (see pool.h). */
#define _GNU_SOURCE
#include "pool.h"
#include <sched.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ST_CLOSED (1ull << 31)
#define ST_ACTIVE 0x7fffffffull

static inline void cpu_relax(void) {
#if defined(__x86_64__)
    _mm_pause();
#endif
}

static void pool_work(struct bench_pool *p) {
    for (;;) {
        int b = atomic_fetch_add(&p->next, p->chunk);
        if (b >= p->total) break;
        int e = b + p->chunk < p->total ? b + p->chunk : p->total;
        p->fn(p->ctx, b, e);
    }
}

/* A worker joins only an open job of a new generation (CAS on the state word). */
static void *pool_main(void *arg) {
    struct bench_pool *p = arg;
    unsigned long long seen = 0;
    unsigned spins = 0;
    while (!atomic_load(&p->stop)) {
        unsigned long long s = atomic_load(&p->st);
        if ((s >> 32) == seen || (s & ST_CLOSED)) {
            if (++spins > 20000) sched_yield();
            cpu_relax();
            continue;
        }
        spins = 0;
        if (!atomic_compare_exchange_weak(&p->st, &s, s + 1)) continue;
        seen = s >> 32;
        pool_work(p);
        atomic_fetch_sub(&p->st, 1);
    }
    return NULL;
}

void bench_pool_parallel_for(void *pool, int n, ecl_task_fn fn, void *ctx) {
    struct bench_pool *p = pool;
    if (p->n <= 1 || n <= 1) {
        fn(ctx, 0, n);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->total = n;
    /* ~4 chunks per thread: balances uneven items without much atomic traffic */
    p->chunk = n / (4 * p->n) > 0 ? n / (4 * p->n) : 1;
    atomic_store(&p->next, 0);
    unsigned long long g = (atomic_load(&p->st) >> 32) + 1;
    atomic_store(&p->st, g << 32); /* open, nobody joined */
    pool_work(p);
    atomic_fetch_or(&p->st, ST_CLOSED);
    unsigned spins = 0;
    while (atomic_load(&p->st) & ST_ACTIVE) {
        if (++spins > 2000) sched_yield(); /* the joined worker was preempted */
        cpu_relax();
    }
}

int bench_pool_start(struct bench_pool *p, int n_threads) {
    memset(p, 0, sizeof *p);
    if (n_threads < 1) n_threads = 1;
    if (n_threads > BENCH_POOL_MAX) n_threads = BENCH_POOL_MAX;
    p->n = n_threads;
    atomic_store(&p->st, ST_CLOSED);
    for (int i = 0; i < n_threads - 1; i++)
        if (pthread_create(&p->th[i], NULL, pool_main, p) != 0) {
            p->n = i + 1;
            return -1;
        }
    return 0;
}

void bench_pool_stop(struct bench_pool *p) {
    atomic_store(&p->stop, 1);
    for (int i = 0; i < p->n - 1; i++)
        pthread_join(p->th[i], NULL);
    p->n = 1;
}
