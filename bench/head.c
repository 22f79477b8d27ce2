/* bench_head - training speed of the learning library on synthetic latents.
 *
 * Head training step (forward, backward, optimiser update: ecl_head_train_batch, batch 32) for
 * the paper's head 20480 -> 128 -> 50 (the flattened 4x4x1280 MobileNetV2 output) and a pooled
 * 1280 -> 128 -> 50 one, SGD and Adam, with the optimised products the library picks for this
 * CPU ("opt", head_gemm.h) and with the plain-C reference ("ref") in the same run:
 * samples/s, GFLOP/s (2 x the multiply-adds of the forward product, the weight gradients and
 * the hidden layer's input gradient; the update's few flops per weight are not counted) and %
 * of one core's FMA peak measured here (16-wide AVX-512 FMA chains when the CPU has AVX-512,
 * else 8-wide AVX2). Then the first layer's products alone ("parts": forward, gradient
 * stored, gradient fused with the SGD / Adam step), the replay learner's observe() of 32 new
 * samples (epochs 1, batch 32, 32 replayed, memory of 1500 latents), and SLDA and NCM on
 * 1280-d latents, 50 classes: observe of one sample followed by the first predict (SLDA's
 * classifier refresh), and the steady-state predict.
 *
 * Times are process CPU time per step (so other processes on a loaded machine do not count as
 * ours, though they still share caches and memory bandwidth), min and median over --runs runs.
 * Usage: bench_head [--quick] [--runs N]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgecl/head.h"
#include "edgecl/learner.h"
#include "train/head_gemm.h"
#include "train/head_impl.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint64_t lcg = 12345;
static float frand(void) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(lcg >> 40) / 16777216.0f;
}

/* ReLU-like latents: ~half zeros, like a MobileNet feature map. */
static void fill(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float u = frand();
        x[i] = u < 0.5f ? 0.0f : (u - 0.5f) * 6.0f;
    }
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define MAX_RUNS 31
struct stats {
    double min, med;
};
static struct stats summarize(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    struct stats s = {v[0], n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])};
    return s;
}

/* ------------------------------------------------------------------ FMA peak */
#if defined(__x86_64__)
#define PEAK_BODY(VT, SET1, FMADD, ADD, STORE, W)                                                  \
    VT x = SET1(0.999999f), y = SET1(1e-7f);                                                       \
    VT a[12];                                                                                      \
    for (int i = 0; i < 12; i++)                                                                   \
        a[i] = SET1((float)i);                                                                     \
    const long iters = 2000000;                                                                    \
    double best = 0;                                                                               \
    for (int rep = 0; rep < 7; rep++) {                                                            \
        double t0 = cpu_s();                                                                       \
        for (long k = 0; k < iters; k++) {                                                         \
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = FMADD(a[i], x, y);        \
        }                                                                                          \
        double f = 12.0 * (W)*2 * (double)iters / (cpu_s() - t0);                                  \
        if (f > best) best = f;                                                                    \
    }                                                                                              \
    VT acc = a[0];                                                                                 \
    for (int i = 1; i < 12; i++)                                                                   \
        acc = ADD(acc, a[i]);                                                                      \
    float sink[W];                                                                                 \
    STORE(sink, acc);                                                                              \
    if (sink[0] == 12345.0f) fputc(' ', stderr);                                                   \
    return best;
__attribute__((target("avx2,fma"))) static double peak256(void) {
    PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}
__attribute__((target("avx512f,fma"))) static double peak512(void) {
    PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}
#endif

/* One core's FMA peak in FLOP/s (0 if unknown) and its name. */
static double fma_peak(const char **what) {
    *what = "unknown";
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        *what = "AVX-512";
        return peak512();
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *what = "AVX2";
        return peak256();
    }
#endif
    return 0;
}

/* ------------------------------------------------------------------ memory stream */
/* GB/s of the Adam step's memory pattern without its arithmetic: three arrays of `count`
 * floats (w, m, v) each read and written once (a[j] = a[j] * 0.5 + b[j], etc.), best of runs. */
static double stream_gbs(size_t count, int runs) {
    float *a = malloc(count * sizeof(float)), *b = malloc(count * sizeof(float)),
          *c = malloc(count * sizeof(float));
    if (!a || !b || !c) return 0;
    for (size_t j = 0; j < count; j++)
        a[j] = b[j] = c[j] = 1.0f;
    double best = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_s();
        for (size_t j = 0; j < count; j++) {
            const float x = a[j], y = b[j], z = c[j];
            a[j] = 0.5f * x + z;
            b[j] = 0.5f * y + x;
            c[j] = 0.5f * z + y;
        }
        const double gbs = 6.0 * sizeof(float) * count / (cpu_s() - t0) * 1e-9;
        if (gbs > best) best = gbs;
    }
    if (a[count / 2] == 12345.0f) fputc(' ', stderr);
    free(a);
    free(b);
    free(c);
    return best;
}

/* ------------------------------------------------------------------ head step */
static int bench_head(uint32_t dim, uint32_t hidden, uint32_t classes, enum ecl_optimizer opt,
                      int runs, double budget, double peak) {
    const uint32_t bs = 32;
    struct ecl_head_params p = ecl_head_default_params(dim, classes);
    p.n_hidden = hidden ? 1 : 0;
    p.hidden[0] = hidden;
    p.max_batch = 64;
    p.optimizer = opt;
    size_t need;
    if (ecl_head_mem_size(&p, &need) != ECL_OK) return 1;
    void *mem = malloc(need);
    float *x = malloc(sizeof(float) * dim * bs);
    int32_t y[32];
    struct ecl_head *h;
    if (!mem || !x || ecl_head_init(&p, mem, need, &h) != ECL_OK) return 1;
    ecl_head_set_n_classes(h, classes);
    fill(x, (size_t)dim * bs);
    for (uint32_t i = 0; i < bs; i++)
        y[i] = (int32_t)(i % classes);
    const double macs =
        hidden ? (2.0 * dim * hidden + 3.0 * hidden * classes) * bs : 2.0 * dim * classes * bs;
    char shape[64];
    if (hidden)
        snprintf(shape, sizeof shape, "%u->%u->%u", dim, hidden, classes);
    else
        snprintf(shape, sizeof shape, "%u->%u", dim, classes);
    for (int pass = 0; pass < 2; pass++) {
        const char *name = pass == 0 ? h->gemm->name : "ref";
        if (pass == 1) {
            if (!strcmp(h->gemm->name, "ref")) break;
            ecl_head_use_reference_(h);
        }
        double t[MAX_RUNS];
        float loss;
        ecl_head_train_batch(h, x, y, bs, &loss); /* warm-up */
        for (int r = 0; r < runs; r++) {
            int steps = 0;
            double t0 = cpu_s(), dt;
            do {
                ecl_head_train_batch(h, x, y, bs, &loss);
                steps++;
                dt = cpu_s() - t0;
            } while (dt < budget || steps < 3);
            t[r] = dt / steps;
        }
        struct stats s = summarize(t, runs);
        printf("head %-14s %-4s %-6s batch %u: %7.0f samples/s (%.3f ms/step; median %.3f), "
               "%6.1f GFLOP/s = %4.1f %% of peak\n",
               shape, opt == ECL_OPT_ADAM ? "adam" : "sgd", name, bs, bs / s.min, 1e3 * s.min,
               1e3 * s.med, 2 * macs / s.min * 1e-9, peak > 0 ? 100 * 2 * macs / s.min / peak : 0);
    }
    free(mem);
    free(x);
    return 0;
}

/* The first layer's products alone, through the table the library picks (head_gemm.h), on
 * separate W, m, v arrays of dim x hidden: the forward product, the weight gradient stored,
 * and the weight gradient fused with the SGD and with the Adam step. min (median) ms per call
 * over `runs` runs of `budget` s: where a head step's time goes. */
static int bench_parts(uint32_t dim, uint32_t hidden, int runs, double budget, double peak) {
    const uint32_t bs = 32;
    const struct ecl_head_gemm *t = ecl_head_gemm_best();
    const size_t nw = (size_t)dim * hidden;
    float *w = malloc(nw * sizeof(float)), *m = calloc(nw, sizeof(float)),
          *v = calloc(nw, sizeof(float)), *g = malloc(nw * sizeof(float)),
          *x = malloc((size_t)dim * bs * sizeof(float)), *d = malloc(hidden * bs * sizeof(float)),
          *z = malloc(hidden * bs * sizeof(float));
    if (!w || !m || !v || !g || !x || !d || !z) return 1;
    fill(x, (size_t)dim * bs);
    for (size_t j = 0; j < nw; j++)
        w[j] = frand() - 0.5f;
    for (size_t j = 0; j < (size_t)hidden * bs; j++)
        d[j] = (frand() - 0.5f) * 1e-2f;
    static const char *names[4] = {"forward X.W", "gradient X^T.D stored", "gradient + SGD step",
                                   "gradient + Adam step"};
    printf("parts  %ux%u, batch %u, table %s (ms per call, min (median); GFLOP/s of the "
           "product):\n",
           dim, hidden, bs, t->name);
    for (int part = 0; part < 4; part++) {
        double tt[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            int calls = 0;
            double t0 = cpu_s(), dt;
            do {
                struct ecl_head_upd u;
                memset(&u, 0, sizeof u);
                u.kind = part == 3 ? ECL_UPD_ADAM : ECL_UPD_SGD;
                u.lr_t = 1e-3f;
                u.eps_t = 1e-7f;
                u.b1 = 0.9f;
                u.b2 = 0.999f;
                u.c1 = 0.1f;
                u.c2 = 0.001f;
                u.w = w;
                u.m = m;
                u.v = v;
                u.ld = hidden;
                if (part == 0)
                    t->fwd(z, hidden, x, dim, w, hidden, bs, hidden, dim);
                else if (part == 1)
                    t->wgrad(g, hidden, x, dim, d, hidden, bs, hidden, dim, NULL);
                else
                    t->wgrad(NULL, hidden, x, dim, d, hidden, bs, hidden, dim, &u);
                calls++;
                dt = cpu_s() - t0;
            } while (dt < budget || calls < 3);
            tt[r] = dt / calls;
        }
        struct stats s = summarize(tt, runs);
        const double flops = 2.0 * nw * bs;
        printf("  %-24s %.3f (%.3f) ms  %6.1f GFLOP/s = %4.1f %% of peak\n", names[part],
               1e3 * s.min, 1e3 * s.med, flops / s.min * 1e-9,
               peak > 0 ? 100 * flops / s.min / peak : 0);
    }
    free(w);
    free(m);
    free(v);
    free(g);
    free(x);
    free(d);
    free(z);
    return 0;
}

/* replay learner observe() of 32 new samples after the memory is full. */
static int bench_replay(uint32_t dim, uint32_t hidden, uint32_t classes, int runs, double budget) {
    struct ecl_learner_params lp = ecl_learner_default_params(ECL_LEARNER_REPLAY, dim, classes);
    lp.head.n_hidden = 1;
    lp.head.hidden[0] = hidden;
    lp.head.max_batch = 64;
    lp.epochs = 1;
    lp.batch_size = 32;
    lp.replay_per_batch = 32;
    lp.replay.capacity = 1500;
    size_t need;
    if (ecl_learner_mem_size(&lp, &need) != ECL_OK) return 1;
    void *mem = malloc(need);
    float *x = malloc(sizeof(float) * dim * 32);
    int32_t y[32];
    struct ecl_learner *l;
    if (!mem || !x || ecl_learner_init(&lp, mem, need, &l) != ECL_OK) return 1;
    for (int i = 0; i < 32; i++)
        y[i] = i % (int)classes;
    for (int warm = 0; warm * 32 < 1500; warm++) { /* fill the memory so observe replays */
        fill(x, (size_t)dim * 32);
        ecl_learner_observe(l, x, y, 32);
    }
    double t[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        int obs = 0;
        double t0 = cpu_s(), dt;
        do {
            ecl_learner_observe(l, x, y, 32);
            obs++;
            dt = cpu_s() - t0;
        } while (dt < budget || obs < 3);
        t[r] = dt / obs;
    }
    struct stats s = summarize(t, runs);
    printf("replay %u->%u->%u observe(32 new + 32 replayed = one Adam step of 64, memory 1500 "
           "latents = %.1f MB): %.2f ms (median %.2f)\n",
           dim, hidden, classes, ecl_learner_replay_bytes(l) / 1048576.0, 1e3 * s.min, 1e3 * s.med);
    free(mem);
    free(x);
    return 0;
}

/* SLDA / NCM: observe one sample, then the first predict (SLDA refreshes its classifier);
 * then the steady-state predict. */
static int bench_stat(enum ecl_learner_kind kind, uint32_t dim, uint32_t classes, int runs,
                      double budget) {
    struct ecl_learner_params lp = ecl_learner_default_params(kind, dim, classes);
    size_t need;
    if (ecl_learner_mem_size(&lp, &need) != ECL_OK) return 1;
    void *mem = malloc(need);
    const uint32_t per = 20, n = classes * per;
    float *x = malloc(sizeof(float) * dim * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    float *scores = malloc(sizeof(float) * classes);
    struct ecl_learner *l;
    if (!mem || !x || !y || !scores || ecl_learner_init(&lp, mem, need, &l) != ECL_OK) return 1;
    fill(x, (size_t)dim * n);
    for (uint32_t i = 0; i < n; i++)
        y[i] = (int32_t)(i % classes);
    if (ecl_learner_observe(l, x, y, n) != ECL_OK) return 1;
    int32_t top;
    ecl_learner_predict(l, x, scores, &top);
    double t_obs[MAX_RUNS], t_first[MAX_RUNS], t_pred[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        const uint32_t i = (uint32_t)r % n;
        double t0 = cpu_s();
        ecl_learner_observe(l, x + (size_t)i * dim, y + i, 1);
        double t1 = cpu_s();
        ecl_learner_predict(l, x + (size_t)((i + 1) % n) * dim, scores, &top);
        double t2 = cpu_s();
        t_obs[r] = t1 - t0;
        t_first[r] = t2 - t1;
        int np = 0;
        do {
            ecl_learner_predict(l, x + (size_t)(np % n) * dim, scores, &top);
            np++;
        } while (cpu_s() - t2 < budget / 4 || np < 3);
        t_pred[r] = (cpu_s() - t2) / np;
    }
    struct stats so = summarize(t_obs, runs), sf = summarize(t_first, runs),
                 sp = summarize(t_pred, runs);
    printf("%-4s %u-d %u classes: observe(1) %.3f ms (median %.3f), first predict after it "
           "%.2f ms (median %.2f), then %.4f ms/predict\n",
           ecl_learner_kind_name(kind), dim, classes, 1e3 * so.min, 1e3 * so.med, 1e3 * sf.min,
           1e3 * sf.med, 1e3 * sp.min);
    free(mem);
    free(x);
    free(y);
    free(scores);
    return 0;
}

int main(int argc, char **argv) {
    int quick = 0, runs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > MAX_RUNS) {
                fprintf(stderr, "bench_head: --runs must be 1..%d\n", MAX_RUNS);
                return 2;
            }
        } else {
            fprintf(stderr,
                    "usage: bench_head [--quick] [--runs N]\n"
                    "  head training step (SGD, Adam; optimised and reference products)\n"
                    "  for 20480->128->50 and 1280->128->50 at batch 32 with GFLOP/s and %%\n"
                    "  of the measured FMA peak, the first layer's products alone, replay\n"
                    "  observe cost, SLDA/NCM observe + first predict; CPU time, min and\n"
                    "  median of N runs (default 5)\n");
            return !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ? 0 : 2;
        }
    }
    if (quick && runs == 5) runs = 3;
    const double budget = quick ? 0.1 : 0.4;
    fprintf(stderr, "bench_head: running (%d runs of %.1f s CPU per measurement)...\n", runs,
            budget);
    const char *pk;
    const double peak = fma_peak(&pk);
    printf("peak   %s FMA peak of one core %.1f GFLOP/s (best of 7, CPU time)\n", pk, peak * 1e-9);
    static const uint32_t dims[2] = {20480, 1280};
    {
        const size_t count = (size_t)20480 * 128;
        const double gbs = stream_gbs(count, runs);
        /* Adam: W read by the forward product, W, m, v read and written by the fused step */
        const double bytes = 7.0 * sizeof(float) * count;
        printf("memory 3 x %.1f MB read+written (the 20480x128 layer's Adam state): %.1f GB/s; "
               "an Adam step moves >= %.1f MB = %.2f ms at that rate\n",
               count * 4 / 1048576.0, gbs, bytes / 1048576.0, gbs > 0 ? bytes / gbs * 1e-6 : 0);
    }
    for (int s = 0; s < 2; s++)
        for (int o = 0; o < 2; o++)
            if (bench_head(dims[s], 128, 50, o ? ECL_OPT_ADAM : ECL_OPT_SGD, runs, budget, peak))
                goto fail;
    for (int s = 0; s < 2; s++)
        if (bench_parts(dims[s], 128, runs, budget / 2, peak)) goto fail;
    for (int s = 0; s < 2; s++)
        if (bench_replay(dims[s], 128, 50, runs, budget)) goto fail;
    if (bench_stat(ECL_LEARNER_SLDA, 1280, 50, runs, budget) ||
        bench_stat(ECL_LEARNER_NCM, 1280, 50, runs, budget))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "bench_head: setup failed\n");
    return 1;
}
