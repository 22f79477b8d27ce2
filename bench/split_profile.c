/* bench/split_profile.c - see split_profile.h.
 *
 * Timing: CLOCK_MONOTONIC (~70 ns a call here; the thread CPU clock costs microseconds in a
 * VM). Regions and chunks come in the same order in every run, so each chunk time and each
 * serial gap is the minimum over the runs: a run preempted by another process in one place
 * does not count there. */
#define _GNU_SOURCE
#include "split_profile.h"
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/port.h"

#define SP_MAX_REGIONS 512
#define SP_MAX_CHUNKS 64
#define SP_MAX_T 16

struct sp_region {
    ecl_task_fn fn;
    int n, n_chunks;
    double gap;              /* ns since the previous region ended (serial work) */
    double t[SP_MAX_CHUNKS]; /* ns per chunk */
};

struct sp {
    int threads, n_regions, first;
    double last_end, tail; /* tail: ns from the last region to the end of the run */
    struct sp_region r[SP_MAX_REGIONS];
    struct sp_region best[SP_MAX_REGIONS];
    double best_tail;
    int best_n;
};

static double now_ns(void) {
    return (double)ecl_port_now_ns();
}

/* The pool's chunking (port_pool.c): min(n, 4T) chunks of n/chunks items, boundaries n*c/k. */
static int sp_chunks(int n, int T) {
    return n < 4 * T ? n : 4 * T;
}

static void sp_parallel_for(void *user, int n, ecl_task_fn fn, void *ctx) {
    struct sp *s = user;
    double t_in = now_ns();
    int k = sp_chunks(n, s->threads);
    if (k > SP_MAX_CHUNKS) k = SP_MAX_CHUNKS;
    struct sp_region *r = s->n_regions < SP_MAX_REGIONS ? &s->r[s->n_regions++] : NULL;
    double prev = t_in;
    for (int c = 0; c < k; c++) {
        int b = (int)((int64_t)n * c / k), e = (int)((int64_t)n * (c + 1) / k);
        if (e > b) fn(ctx, b, e);
        double t = now_ns();
        if (r) r->t[c] = t - prev;
        prev = t;
    }
    if (r) {
        r->fn = fn, r->n = n, r->n_chunks = k;
        r->gap = t_in - s->last_end;
    }
    s->last_end = now_ns();
}

/* Element-wise minimum of this run into best (same region sequence in every run). */
static void sp_keep_min(struct sp *s) {
    if (s->first) {
        memcpy(s->best, s->r, sizeof s->r);
        s->best_n = s->n_regions;
        s->best_tail = s->tail;
        s->first = 0;
        return;
    }
    if (s->n_regions != s->best_n) return;
    for (int i = 0; i < s->n_regions; i++) {
        struct sp_region *a = &s->best[i], *b = &s->r[i];
        if (b->gap < a->gap) a->gap = b->gap;
        for (int c = 0; c < a->n_chunks; c++)
            if (b->t[c] < a->t[c]) a->t[c] = b->t[c];
    }
    if (s->tail < s->best_tail) s->best_tail = s->tail;
}

/* Makespan of the chunks under the pool's schedule (port_pool.c): thread t owns the contiguous
 * part [k*t/T, k*(t+1)/T) of the k chunks and takes its own in order; when its part is empty it
 * steals the next chunk of part t+1, t+2, ... (each part's chunks go out front to back). The
 * thread that is free first takes the next chunk. */
static double sp_makespan(const struct sp_region *r, int T, double *work) {
    double free_at[SP_MAX_T] = {0}, w = 0, mk = 0;
    int next[SP_MAX_T], end[SP_MAX_T];
    for (int t = 0; t < T; t++) {
        next[t] = (int)((int64_t)r->n_chunks * t / T);
        end[t] = (int)((int64_t)r->n_chunks * (t + 1) / T);
    }
    for (int left = r->n_chunks; left > 0; left--) {
        int me = 0;
        for (int k = 1; k < T; k++)
            if (free_at[k] < free_at[me]) me = k;
        int part = me;
        for (int k = 0; k < T && next[part] >= end[part]; k++)
            part = (me + k + 1) % T;
        const int c = next[part]++;
        free_at[me] += r->t[c];
        w += r->t[c];
    }
    for (int k = 0; k < T; k++)
        if (free_at[k] > mk) mk = free_at[k];
    *work = w;
    return mk;
}

const char *sp_fn_name(ecl_task_fn fn, char *buf, size_t len) {
    Dl_info di;
    if (dladdr((void *)(uintptr_t)fn, &di) && di.dli_sname) return di.dli_sname;
    /* static functions: the offset in the executable, for `nm build/bench_backbone` */
    uintptr_t base = dladdr((void *)(uintptr_t)fn, &di) ? (uintptr_t)di.dli_fbase : 0;
    snprintf(buf, len, "+0x%lx", (unsigned long)((uintptr_t)fn - base));
    return buf;
}

static void sp_report(const struct sp *s, int T, int runs, FILE *out) {
    double serial = s->best_tail, work = 0, mk = 0;
    for (int i = 0; i < s->best_n; i++) {
        double w;
        mk += sp_makespan(&s->best[i], T, &w);
        work += w;
        serial += s->best[i].gap;
    }
    double total = serial + work, t_par = serial + mk;
    fprintf(out,
            "split profile, %d threads (minimum over %d runs of each chunk and each serial "
            "gap, timed on one thread):\n",
            T, runs);
    fprintf(out,
            "  one inference %.3f ms: %d parallel regions %.3f ms, outside them %.3f ms "
            "(%.1f %%)\n",
            total * 1e-6, s->best_n, work * 1e-6, serial * 1e-6, 100.0 * serial / total);
    fprintf(out,
            "  regions on %d threads: makespan %.3f ms vs ideal %.3f ms (imbalance costs "
            "%.1f %% of the 1-thread time)\n",
            T, mk * 1e-6, work / T * 1e-6, 100.0 * (mk - work / T) / total);
    fprintf(out,
            "  modelled speedup on %d threads (free start and join): %.2fx; with 1 us per "
            "region to start and join: %.2fx\n",
            T, total / t_par, total / (t_par + 1000.0 * s->best_n));
    fprintf(out, "  largest losses (makespan - work/T, or serial gap before the region):\n");
    double shown_max = 1e300;
    for (int k = 0; k < 8; k++) {
        int w = -1;
        double wl = -1;
        for (int i = 0; i < s->best_n; i++) {
            double ww, l = sp_makespan(&s->best[i], T, &ww) - ww / T;
            if (s->best[i].gap > l) l = s->best[i].gap;
            if (l < shown_max && l > wl) w = i, wl = l;
        }
        if (w < 0 || wl < 1000) break;
        shown_max = wl;
        const struct sp_region *r = &s->best[w];
        double ww, lost = sp_makespan(r, T, &ww) - ww / T;
        char nb[32];
        fprintf(out,
                "    region %-3d %-20s n=%-5d chunks=%-3d work %7.1f us  imbalance %5.1f us  "
                "serial before %5.1f us\n",
                w, sp_fn_name(r->fn, nb, sizeof nb), r->n, r->n_chunks, ww * 1e-3, lost * 1e-3,
                r->gap * 1e-3);
    }
    fprintf(out, "  serial after the last region: %.1f us\n", s->best_tail * 1e-3);
    /* per task function: how many regions, their work and their imbalance */
    struct {
        ecl_task_fn fn;
        int regions;
        double work, lost;
    } agg[64];
    int na = 0;
    for (int i = 0; i < s->best_n; i++) {
        double w, l = sp_makespan(&s->best[i], T, &w);
        l -= w / T;
        int k = 0;
        while (k < na && agg[k].fn != s->best[i].fn)
            k++;
        if (k == na) {
            if (na == 64) continue;
            agg[na].fn = s->best[i].fn, agg[na].regions = 0, agg[na].work = agg[na].lost = 0;
            na++;
        }
        agg[k].regions++, agg[k].work += w, agg[k].lost += l;
    }
    fprintf(out, "  per task function (by work):\n");
    for (int shown = 0; shown < na && shown < 10; shown++) {
        int b = -1;
        for (int k = 0; k < na; k++)
            if (agg[k].regions > 0 && (b < 0 || agg[k].work > agg[b].work)) b = k;
        if (b < 0) break;
        char nb[32];
        fprintf(out, "    %-20s %3d regions  work %7.1f us (%4.1f %%)  imbalance %6.1f us\n",
                sp_fn_name(agg[b].fn, nb, sizeof nb), agg[b].regions, agg[b].work * 1e-3,
                100.0 * agg[b].work / total, agg[b].lost * 1e-3);
        agg[b].regions = -agg[b].regions;
    }
}

int split_profile(const struct ecl_model *m, int32_t cut, int threads, const float *input, int runs,
                  FILE *out) {
    if (threads < 2) threads = 2;
    if (threads > SP_MAX_T) threads = SP_MAX_T;
    struct sp *s = calloc(1, sizeof *s);
    char err[200];
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.parallel_for = sp_parallel_for;
    o.pf_user = s;
    o.n_threads = threads;
    size_t need = 0;
    void *arena = NULL;
    struct ecl_interp *it = NULL;
    float *output = NULL;
    if (!s || ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err) != ECL_OK ||
        !(arena = malloc(need)) || ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err) ||
        !(output = malloc(ecl_interp_output_count(it) * sizeof *output))) {
        fprintf(stderr, "split-profile: cannot build the interpreter\n");
        free(s), free(arena);
        return -1;
    }
    s->threads = threads;
    s->first = 1;
    int rc = 0;
    for (int i = 0; i <= runs; i++) {
        s->n_regions = 0;
        s->last_end = now_ns();
        if (ecl_interp_run(it, input, output) != ECL_OK) {
            rc = -1;
            break;
        }
        s->tail = now_ns() - s->last_end;
        if (i > 0) sp_keep_min(s); /* run 0: warm-up */
    }
    if (rc == 0) sp_report(s, threads, runs, out);
    free(output), free(arena), free(s);
    return rc;
}
