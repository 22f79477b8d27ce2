/* bench/thread_profile.c - see thread_profile.h. */
#define _GNU_SOURCE
#include "thread_profile.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/port.h"
#include "exclusive.h"
#include "split_profile.h" /* sp_fn_name */

#define TP_MAX_REGIONS 512

struct tp_region {
    ecl_task_fn fn;
    int n;
};

struct tp {
    struct ecl_pool *pool;
    int two;       /* 1: through the pool; 0: every region on the caller */
    int run, runs; /* current run (runs: warm-up, not recorded) */
    int n_regions; /* regions seen in this run */
    pthread_t caller;
    _Atomic long long chunk_ns[2]; /* the current region's chunk time: caller, worker */
    struct tp_region reg[TP_MAX_REGIONS];
    double *wall[2], *chunks[2]; /* [run * TP_MAX_REGIONS + region], us */
};

struct tp_call {
    struct tp *t;
    ecl_task_fn fn;
    void *ctx;
};

static void tp_chunk(void *c, int b, int e) {
    struct tp_call *k = c;
    uint64_t t0 = ecl_port_now_ns();
    k->fn(k->ctx, b, e);
    int w = !pthread_equal(pthread_self(), k->t->caller);
    atomic_fetch_add(&k->t->chunk_ns[w], (long long)(ecl_port_now_ns() - t0));
}

static void tp_parallel_for(void *user, int n, ecl_task_fn fn, void *ctx) {
    struct tp *t = user;
    struct tp_call k = {t, fn, ctx};
    atomic_store(&t->chunk_ns[0], 0);
    atomic_store(&t->chunk_ns[1], 0);
    uint64_t t0 = ecl_port_now_ns();
    if (t->two)
        ecl_pool_parallel_for(t->pool, n, tp_chunk, &k);
    else
        tp_chunk(&k, 0, n);
    double us = (double)(ecl_port_now_ns() - t0) * 1e-3;
    int r = t->n_regions++;
    if (r >= TP_MAX_REGIONS || t->run >= t->runs) return;
    t->reg[r].fn = fn, t->reg[r].n = n;
    size_t at = (size_t)t->run * TP_MAX_REGIONS + (size_t)r;
    t->wall[t->two][at] = us;
    t->chunks[t->two][at] =
        (double)(atomic_load(&t->chunk_ns[0]) + atomic_load(&t->chunk_ns[1])) * 1e-3;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[i * stride], i < n (sorts a copy in tmp). */
static double med(const double *v, size_t stride, int n, double *tmp) {
    for (int i = 0; i < n; i++)
        tmp[i] = v[(size_t)i * stride];
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_d);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

/* Baseline in the same run: the streaming loop a[i] = a[i] * 0.5 + b[i] on private buffers of
 * `bytes` per thread, on 1 thread and on the pool's 2 threads at once (GB/s, best of reps):
 * what two cores give work that shares no data. */
struct tp_stream {
    float *a[2], *b[2];
    size_t n;
    double ns[2];
};

static void tp_stream_task(void *ctx, int begin, int end) {
    struct tp_stream *s = ctx;
    for (int t = begin; t < end; t++) {
        float *a = s->a[t];
        const float *b = s->b[t];
        uint64_t t0 = ecl_port_now_ns();
        for (size_t i = 0; i < s->n; i++)
            a[i] = a[i] * 0.5f + b[i];
        s->ns[t] = (double)(ecl_port_now_ns() - t0);
    }
}

static void tp_stream(struct ecl_pool *pool, size_t bytes, FILE *out) {
    struct tp_stream s;
    memset(&s, 0, sizeof s);
    s.n = bytes / 2 / sizeof(float);
    for (int t = 0; t < 2; t++) {
        s.a[t] = calloc(s.n, sizeof(float));
        s.b[t] = calloc(s.n, sizeof(float));
    }
    if (s.a[0] && s.a[1] && s.b[0] && s.b[1]) {
        int reps = (int)(4e8 / (double)bytes) + 3;
        double one = 1e30, two = 1e30;
        for (int r = 0; r < reps; r++) {
            tp_stream_task(&s, 0, 1);
            if (s.ns[0] < one) one = s.ns[0];
            ecl_pool_parallel_for(pool, 2, tp_stream_task, &s);
            double w = s.ns[0] > s.ns[1] ? s.ns[0] : s.ns[1];
            if (w < two) two = w;
        }
        double gb = 3.0 * (double)s.n * sizeof(float); /* two reads and a write per value */
        fprintf(out,
                "  baseline, private buffers of %zu KB per thread: 1 thread %.1f GB/s, 2 "
                "threads %.1f GB/s (%.2fx)\n",
                bytes >> 10, gb / one, 2 * gb / two, 2 * one / two);
    }
    for (int t = 0; t < 2; t++)
        free(s.a[t]), free(s.b[t]);
}

struct tp_row {
    int i;
    double one, two, chunks;
};

static void tp_report(struct tp *t, int n_regions, const double whole[2], FILE *out) {
    double *tmp = malloc((size_t)t->runs * sizeof *tmp);
    struct tp_row *row = malloc((size_t)n_regions * sizeof *row);
    if (!tmp || !row) {
        free(tmp), free(row);
        return;
    }
    double s1 = 0, s2 = 0, sc = 0;
    for (int i = 0; i < n_regions; i++) {
        row[i].i = i;
        row[i].one = med(t->wall[0] + i, TP_MAX_REGIONS, t->runs, tmp);
        row[i].two = med(t->wall[1] + i, TP_MAX_REGIONS, t->runs, tmp);
        row[i].chunks = med(t->chunks[1] + i, TP_MAX_REGIONS, t->runs, tmp);
        s1 += row[i].one, s2 += row[i].two, sc += row[i].chunks;
    }
    fprintf(out, "  one inference (median of %d): 1 thread %.3f ms, 2 threads %.3f ms: %.2fx\n",
            t->runs, whole[0] * 1e-3, whole[1] * 1e-3, whole[0] / whole[1]);
    fprintf(out,
            "  %d parallel regions: 1 thread %.3f ms, 2 threads %.3f ms (%.2fx); their chunks on "
            "2 threads took %.3f ms of CPU in all = %.2fx the 1-thread time\n",
            n_regions, s1 * 1e-3, s2 * 1e-3, s1 / s2, sc * 1e-3, sc / s1);
    fprintf(out, "  regions that lose most (2-thread time - 1-thread time / 2):\n");
    for (int shown = 0; shown < 12 && shown < n_regions; shown++) {
        int b = shown;
        for (int k = shown + 1; k < n_regions; k++)
            if (row[k].two - row[k].one / 2 > row[b].two - row[b].one / 2) b = k;
        struct tp_row r = row[b];
        row[b] = row[shown], row[shown] = r;
        char nb[32];
        fprintf(out,
                "    region %-3d %-20s n=%-5d 1 thread %7.1f us  2 threads %7.1f us  %.2fx  "
                "chunks %.2fx the 1-thread time\n",
                r.i, sp_fn_name(t->reg[r.i].fn, nb, sizeof nb), t->reg[r.i].n, r.one, r.two,
                r.one / r.two, r.chunks / r.one);
    }
    free(tmp), free(row);
}

int thread_profile(const struct ecl_model *m, int32_t cut, const float *input, int runs,
                   int exclusive, FILE *out) {
    struct tp *t = calloc(1, sizeof *t);
    if (!t) return -1;
    t->runs = runs;
    t->caller = pthread_self();
    fprintf(out,
            "thread profile, 2 threads vs 1 (the same split; %d runs of each after %d "
            "warm-up runs):\n",
            runs, runs / 10 + 2);
    if (exclusive)
        fprintf(out, "  exclusive: SCHED_FIFO %s; the pool's load rule off\n",
                bench_go_exclusive());
    int rc = -1, n_regions = 0;
    double whole[2] = {0, 0};
    char err[200];
    void *arena = NULL;
    float *output = NULL;
    double *runs_us = malloc((size_t)runs * sizeof *runs_us);
    for (int k = 0; k < 2; k++) {
        t->wall[k] = calloc((size_t)runs * TP_MAX_REGIONS, sizeof(double));
        t->chunks[k] = calloc((size_t)runs * TP_MAX_REGIONS, sizeof(double));
        if (!t->wall[k] || !t->chunks[k]) goto done;
    }
    if (!runs_us || ecl_pool_create(2, &t->pool) != ECL_OK || ecl_pool_threads(t->pool) < 2) {
        fprintf(stderr, "thread-profile: cannot start 2 threads\n");
        goto done;
    }
    if (exclusive) ecl_pool_set_adaptive(t->pool, 0);
    tp_stream(t->pool, (size_t)256 << 10, out);
    tp_stream(t->pool, (size_t)16 << 20, out);
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.parallel_for = tp_parallel_for;
    o.pf_user = t;
    o.n_threads = 2;
    size_t need = 0;
    struct ecl_interp *it = NULL;
    if (ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err) != ECL_OK ||
        !(arena = malloc(need)) || ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err) ||
        !(output = malloc(ecl_interp_output_count(it) * sizeof *output))) {
        fprintf(stderr, "thread-profile: cannot build the interpreter\n");
        goto done;
    }
    int warm = runs / 10 + 2;
    for (t->two = 0; t->two < 2; t->two++) {
        for (int i = -warm; i < runs; i++) {
            t->run = i < 0 ? runs : i; /* warm-up runs are not recorded */
            t->n_regions = 0;
            uint64_t t0 = ecl_port_now_ns();
            if (ecl_interp_run(it, input, output) != ECL_OK) goto done;
            if (i >= 0) runs_us[i] = (double)(ecl_port_now_ns() - t0) * 1e-3;
        }
        double *tmp = malloc((size_t)runs * sizeof *tmp);
        if (!tmp) goto done;
        whole[t->two] = med(runs_us, 1, runs, tmp);
        free(tmp);
        n_regions = t->n_regions < TP_MAX_REGIONS ? t->n_regions : TP_MAX_REGIONS;
    }
    tp_report(t, n_regions, whole, out);
    rc = 0;
done:
    ecl_pool_destroy(t->pool);
    for (int k = 0; k < 2; k++)
        free(t->wall[k]), free(t->chunks[k]);
    free(runs_us), free(arena), free(output), free(t);
    return rc;
}
