/* src/port/port_pool.c - the thread pool behind the interpreter's parallel_for (see port.h).
 *
 * One parallel_for per operator, ~100 operators of 20-200 us per inference: the cost that
 * matters is how fast an idle worker notices a new job. A worker that just finished a job
 * spins (pause instruction) for up to spin_ns waiting for the next one, so the workers stay hot
 * between the operators of one inference and a job starts in well under a microsecond; after
 * that it sleeps on a condition variable and costs nothing. While the machine has more
 * runnable threads than cores (read from /proc/loadavg at most every 20 ms) nobody spins and
 * jobs run on the caller alone: a spinning worker would only take time from a thread with real
 * work, waking a sleeping one costs more than an operator, and a joined worker that gets
 * preempted would hold the caller for a time slice (2 threads ran at 0.4x of 1 on this
 * machine at load 8 before this rule).
 *
 * The job word packs a generation (high 32 bits), a "closed" bit and the number of workers
 * that joined the job. A worker joins only an open job of a new generation (CAS). The chunks
 * are dealt out in contiguous parts, one per thread (the caller is thread 0): each thread takes
 * its own part's chunks in order through that part's counter, then steals from the other
 * parts. So thread t computes the same rows of every operator of one shape, and the rows the
 * next operator reads are mostly still in that core's cache (chunks handed out round-robin from
 * one counter moved rows between the cores at every operator). The caller closes the job when
 * the range is exhausted and then waits only for the workers that joined. A worker that was
 * preempted before it joined costs the caller nothing (a loaded machine).
 *
 * Lost wake-ups: a worker going to sleep counts itself in `sleepers` and re-checks the job word
 * under the mutex; the caller publishes the job, then reads `sleepers` (both seq_cst) and
 * broadcasts under the mutex if anyone may sleep. The caller waits for joined workers the same
 * way (spin, then `waiting` + condition variable). */
#define _GNU_SOURCE
#include "edgecl/port.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define POOL_MAX 64
#define ST_CLOSED (1ull << 31)
#define ST_JOINED 0x7fffffffull
#define LOAD_CHECK_NS 20000000ull /* re-read /proc/loadavg at most every 20 ms */

/* The job word, the chunk counter and the rest live on separate cache lines: workers spinning
 * on `st` are not disturbed by every chunk taken from `next`. */
struct ecl_pool {
    _Alignas(64) _Atomic unsigned long long st; /* generation << 32 | closed | joined */
    _Alignas(64) int n;                         /* threads including the caller */
    atomic_int ids;                             /* worker numbers handed out (1, 2, ...) */
    pthread_t th[POOL_MAX];
    atomic_int quit;
    atomic_int sleepers, waiting;
    _Atomic unsigned long long spin_ns; /* current spin budget */
    unsigned long long spin_max;
    int fixed; /* ecl_pool_set_adaptive(p, 0): the load is not read */
    uint64_t load_checked;
    int busy;        /* more runnable threads than cores: jobs run on the caller alone */
    int over_before; /* the previous reading was over */
    int total, chunks;
    ecl_task_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    /* thread t's part of the current job: chunks [next, end), on its own cache line */
    struct {
        _Alignas(64) atomic_int next;
        int end;
    } part[POOL_MAX];
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

int ecl_port_cpu_count(void) {
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Runnable threads on the machine now (4th field of /proc/loadavg: "running/total"), 0 if
 * unknown. */
static int runnable_now(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return 0;
    double a, b, c;
    int run = 0, total = 0;
    if (fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &run, &total) != 5) run = 0;
    fclose(f);
    return run;
}

/* Caller side, at most every LOAD_CHECK_NS: spin only while the machine has a core per
 * runnable thread (our spinning workers count as runnable, so n threads of ours on n idle cores
 * still spin). */
static void adapt_spin(struct ecl_pool *p) {
    if (!p->spin_max || p->fixed) return;
    uint64_t now = ecl_port_now_ns();
    if (now - p->load_checked < LOAD_CHECK_NS) return;
    p->load_checked = now;
    /* busy after two readings in a row (a passing kernel thread does not count), idle after one */
    int over = runnable_now() > ecl_port_cpu_count();
    int busy = over && p->over_before;
    p->over_before = over;
    atomic_store_explicit(&p->spin_ns, busy ? 0 : p->spin_max, memory_order_relaxed);
    p->busy = busy;
}

/* Chunk c of k covers [n*c/k, n*(c+1)/k): sizes differ by at most one item. */
static void pool_work(struct ecl_pool *p, int me) {
    for (int k = 0; k < p->n; k++) {
        int t = (me + k) % p->n; /* own part first, then the others' */
        for (;;) {
            int c = atomic_fetch_add_explicit(&p->part[t].next, 1, memory_order_relaxed);
            if (c >= p->part[t].end) break;
            int b = (int)((int64_t)p->total * c / p->chunks),
                e = (int)((int64_t)p->total * (c + 1) / p->chunks);
            if (e > b) p->fn(p->ctx, b, e);
        }
    }
}

/* A worker: wait for an open job of a new generation (spin, then sleep), join it, work. */
static void *pool_main(void *arg) {
    struct ecl_pool *p = arg;
    int me = atomic_fetch_add(&p->ids, 1) + 1;
    unsigned long long seen = atomic_load(&p->st) >> 32;
    for (;;) {
        unsigned long long s = atomic_load(&p->st);
        if ((s >> 32) == seen || (s & ST_CLOSED)) {
            uint64_t budget = atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
            uint64_t t0 = budget ? ecl_port_now_ns() : 0;
            unsigned k = 0;
            while (budget && !atomic_load(&p->quit)) {
                s = atomic_load(&p->st);
                if ((s >> 32) != seen && !(s & ST_CLOSED)) break;
                cpu_relax();
                if ((++k & 63) == 0 && ecl_port_now_ns() - t0 > budget) break;
            }
            if (atomic_load(&p->quit)) break;
            s = atomic_load(&p->st);
            if ((s >> 32) == seen || (s & ST_CLOSED)) {
                pthread_mutex_lock(&p->mu);
                atomic_fetch_add(&p->sleepers, 1);
                for (;;) {
                    s = atomic_load(&p->st);
                    if (atomic_load(&p->quit) || ((s >> 32) != seen && !(s & ST_CLOSED))) break;
                    pthread_cond_wait(&p->cv_work, &p->mu);
                }
                atomic_fetch_sub(&p->sleepers, 1);
                pthread_mutex_unlock(&p->mu);
                if (atomic_load(&p->quit)) break;
            }
            continue;
        }
        if (!atomic_compare_exchange_weak(&p->st, &s, s + 1)) continue;
        seen = s >> 32;
        pool_work(p, me);
        unsigned long long left = atomic_fetch_sub(&p->st, 1) - 1;
        if ((left & ST_JOINED) == 0 && atomic_load(&p->waiting)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

void ecl_pool_parallel_for(void *pool, int n, ecl_task_fn fn, void *ctx) {
    struct ecl_pool *p = pool;
    if (n <= 0) return;
    if (!p || p->n <= 1 || n == 1) {
        fn(ctx, 0, n);
        return;
    }
    adapt_spin(p);
    if (p->busy) {
        /* Oversubscribed: a sleeping worker takes tens of microseconds to wake (more than a
         * typical operator), and a joined worker that is preempted holds the caller for a
         * whole time slice. The caller alone is faster than that. */
        fn(ctx, 0, n);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->total = n;
    /* 4 chunks per thread (a multiple of the thread count, of sizes that differ by at most
     * one item): evens out late joiners without much atomic traffic; the kernels give items of
     * equal cost where they can (bench_backbone --split-profile models this schedule) */
    p->chunks = n < 4 * p->n ? n : 4 * p->n;
    for (int t = 0; t < p->n; t++) {
        atomic_store_explicit(&p->part[t].next, (int)((int64_t)p->chunks * t / p->n),
                              memory_order_relaxed);
        p->part[t].end = (int)((int64_t)p->chunks * (t + 1) / p->n);
    }
    unsigned long long g = (atomic_load(&p->st) >> 32) + 1;
    atomic_store(&p->st, (g & 0xffffffffull) << 32); /* open, nobody joined */
    if (atomic_load(&p->sleepers)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
    }
    pool_work(p, 0);
    atomic_fetch_or(&p->st, ST_CLOSED);
    if (!(atomic_load(&p->st) & ST_JOINED)) return;
    /* wait for the workers that joined: spin (they are running), then sleep */
    uint64_t budget = atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
    uint64_t t0 = budget ? ecl_port_now_ns() : 0;
    unsigned k = 0;
    while (budget && (atomic_load(&p->st) & ST_JOINED)) {
        cpu_relax();
        if ((++k & 63) == 0 && ecl_port_now_ns() - t0 > budget) break;
    }
    if (!(atomic_load(&p->st) & ST_JOINED)) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->waiting, 1);
    while (atomic_load(&p->st) & ST_JOINED)
        pthread_cond_wait(&p->cv_done, &p->mu);
    atomic_store(&p->waiting, 0);
    pthread_mutex_unlock(&p->mu);
}

enum ecl_status ecl_pool_create(int n_threads, struct ecl_pool **out) {
    if (!out) return ECL_EINVAL;
    *out = NULL;
    if (n_threads <= 0) n_threads = ecl_port_cpu_count();
    if (n_threads > POOL_MAX) n_threads = POOL_MAX;
    size_t bytes = (sizeof(struct ecl_pool) + 63) & ~(size_t)63;
    struct ecl_pool *p = aligned_alloc(64, bytes); /* its cache-line aligned members */
    if (!p) return ECL_EOOM;
    memset(p, 0, bytes);
    p->n = 1;
    p->spin_max = 200000; /* 200 us: longer than the serial gaps between two operators */
    atomic_store(&p->spin_ns, p->spin_max);
    atomic_store(&p->st, ST_CLOSED);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    for (int i = 0; i < n_threads - 1; i++) {
        if (pthread_create(&p->th[i], NULL, pool_main, p) != 0) break;
        p->n++;
    }
    *out = p;
    return ECL_OK;
}

int ecl_pool_threads(const struct ecl_pool *p) {
    return p ? p->n : 1;
}

void ecl_pool_set_spin(struct ecl_pool *p, unsigned long long spin_ns) {
    if (!p) return;
    p->spin_max = spin_ns;
    p->load_checked = 0;
    atomic_store(&p->spin_ns, spin_ns);
}

void ecl_pool_set_adaptive(struct ecl_pool *p, int on) {
    if (!p) return;
    p->fixed = !on;
    p->busy = 0;
    p->over_before = 0;
    p->load_checked = 0;
    atomic_store(&p->spin_ns, p->spin_max);
}

void ecl_pool_destroy(struct ecl_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n - 1; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    free(p);
}
