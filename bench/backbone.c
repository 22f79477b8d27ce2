/* bench/backbone.c - backbone latency: edgecl reference vs optimised kernels vs ONNX Runtime.
 *
 *   bench_backbone [--model models/mobilenet_v2.tflite] [--cut TENSOR] [--runs 30]
 *                  [--ref-runs 3] [--onnx models/mobilenet_v2.onnx] [--no-ort] [--layers]
 *                  [--layers-int8]
 *
 * Reports, for one 224x224 image (batch 1, float32): median ms of N runs (after warm-up) with
 * the reference kernels on 1 thread, the optimised kernels on 1 and 2 threads; the model's
 * MACs (counted from the ops the cut depends on: conv = out_elems*kh*kw*cin, depthwise =
 * out_elems*kh*kw, fully-connected = out*in) and the GFLOP/s achieved (2 FLOP per MAC); the
 * machine's peak, measured with short FMA loops (12 independent 8-wide AVX2 FMA chains, and
 * 16-wide AVX-512 ones when the CPU/OS has AVX-512F, so the FMA units, not latency, are the
 * limit; "% of peak" is of the wider one) times the number of cores; arena bytes; then it
 * runs bench/ort_bench.mjs (ONNX Runtime 1.30, CPU EP, 1 and 2 intra-op threads) on the same
 * input and prints ORT's latency, the ratio edgecl/ORT and how far ORT's output is from ours
 * (bench/ort_peer.c; an int8 model's peer is its QDQ export, models/mobilenet_v2_int8.onnx).
 *
 * Threads: the library's pool (ecl_pool_create, edgecl/port.h), as the tools use it.
 * --split-profile T: how evenly one inference splits between T threads, from CPU times of one
 * thread (independent of the machine's load, see split_profile.h).
 * --thread-profile [--exclusive]: 2 real threads vs 1 per parallel region (thread_profile.h).
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "edgecl/model.h"
#include "edgecl/port.h"
#include "exclusive.h"
#include "split_profile.h"
#include "thread_profile.h"
#include "kernels/kernels.h" /* --layers: the kernels alone, outside the interpreter */
#include "ort_peer.h"
#if defined(__x86_64__)
#include "kernels/opt/opt.h" /* ecl_opt_have_avx512() */
#endif

#ifndef ECL_SOURCE_DIR
#define ECL_SOURCE_DIR "."
#endif

/* ------------------------------------------------------------------ MAC count */
static double count_macs(const struct ecl_model *m, int32_t cut) {
    uint32_t nt = ecl_model_n_tensors(m), no = ecl_model_n_ops(m);
    if (cut < 0) cut = ecl_model_output(m);
    unsigned char *need = calloc(nt ? nt : 1, 1), *opneed = calloc(no ? no : 1, 1);
    if (!need || !opneed) {
        free(need), free(opneed);
        return 0;
    }
    if (cut >= 0 && (uint32_t)cut < nt) need[cut] = 1;
    double macs = 0;
    for (int32_t i = (int32_t)no - 1; i >= 0; i--) {
        struct ecl_op_info oi;
        if (ecl_model_op_info(m, i, &oi) != ECL_OK) continue;
        int hit = 0;
        for (int k = 0; k < oi.n_outputs && k < 4; k++)
            if (oi.outputs[k] >= 0 && (uint32_t)oi.outputs[k] < nt && need[oi.outputs[k]]) hit = 1;
        if (!hit) continue;
        opneed[i] = 1;
        for (int k = 0; k < oi.n_inputs && k < ECL_MAX_OP_INPUTS; k++)
            if (oi.inputs[k] >= 0 && (uint32_t)oi.inputs[k] < nt) need[oi.inputs[k]] = 1;
        struct ecl_tensor_info ti, wi, oo;
        if (oi.n_inputs < 2 || ecl_model_tensor_info(m, oi.inputs[0], &ti) != ECL_OK ||
            ecl_model_tensor_info(m, oi.inputs[1], &wi) != ECL_OK ||
            ecl_model_tensor_info(m, oi.outputs[0], &oo) != ECL_OK)
            continue;
        double out_elems = 1;
        for (int d = 0; d < oo.ndims; d++)
            out_elems *= oo.dims[d];
        if (!strcmp(oi.name, "CONV_2D") && wi.ndims == 4)
            macs += out_elems * wi.dims[1] * wi.dims[2] * wi.dims[3];
        else if (!strcmp(oi.name, "DEPTHWISE_CONV_2D") && wi.ndims == 4)
            macs += out_elems * wi.dims[1] * wi.dims[2];
        else if (!strcmp(oi.name, "FULLY_CONNECTED") && wi.ndims == 2)
            macs += out_elems * wi.dims[1];
    }
    free(need), free(opneed);
    return macs;
}

/* ------------------------------------------------------------------ peak FLOP/s */
#if defined(__x86_64__)
/* 12 independent FMA chains of W-wide vectors (enough to cover the FMA latency with two FMA
 * pipes), best of 7 runs of a few ms. */
#define FMA_PEAK_BODY(VT, SET1, FMADD, ADD, STORE, W)                                              \
    VT x = SET1(0.999999f), y = SET1(1e-7f);                                                       \
    VT a0 = SET1(0), a1 = SET1(1), a2 = SET1(2), a3 = SET1(3), a4 = SET1(4), a5 = SET1(5);         \
    VT a6 = SET1(6), a7 = SET1(7), a8 = SET1(8), a9 = SET1(9), a10 = SET1(10), a11 = SET1(11);     \
    const long iters = 2000000;                                                                    \
    double best = 0;                                                                               \
    for (int rep = 0; rep < 7; rep++) {                                                            \
        uint64_t t0 = ecl_port_now_ns();                                                           \
        for (long k = 0; k < iters; k++) {                                                         \
            a0 = FMADD(a0, x, y), a1 = FMADD(a1, x, y), a2 = FMADD(a2, x, y);                      \
            a3 = FMADD(a3, x, y), a4 = FMADD(a4, x, y), a5 = FMADD(a5, x, y);                      \
            a6 = FMADD(a6, x, y), a7 = FMADD(a7, x, y), a8 = FMADD(a8, x, y);                      \
            a9 = FMADD(a9, x, y), a10 = FMADD(a10, x, y), a11 = FMADD(a11, x, y);                  \
        }                                                                                          \
        double s = (double)(ecl_port_now_ns() - t0) * 1e-9;                                        \
        double f = 12.0 * (W)*2 * (double)iters / s;                                               \
        if (f > best) best = f;                                                                    \
    }                                                                                              \
    VT acc = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                    \
    acc = ADD(acc, ADD(ADD(a8, a9), ADD(a10, a11)));                                               \
    float sink[W];                                                                                 \
    STORE(sink, acc);                                                                              \
    if (sink[0] == 12345.0f) fputc(' ', stderr); /* keep the loop */                               \
    return best;

/* AVX2: 8-wide FMAs. */
__attribute__((target("avx2,fma"))) static double fma_peak_1core(void) {
    FMA_PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}
/* AVX-512: 16-wide FMAs (twice the AVX2 figure on a core with a full 512-bit datapath). */
__attribute__((target("avx512f,fma"))) static double fma512_peak_1core(void) {
    FMA_PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}
#endif

#if defined(__x86_64__)
/* The same loop on two threads at once: what a second core adds to pure FMA work (2.0x on two
 * real cores; about 1.0x when the two CPUs share one core's FMA units, as SMT siblings do). */
static void *fma_peak_thread(void *arg) {
    double *r = arg;
    *r = ecl_opt_have_avx512() ? fma512_peak_1core() : fma_peak_1core();
    return NULL;
}

static double fma_peak_2threads(void) {
    double a = 0, b = 0;
    pthread_t th;
    if (pthread_create(&th, NULL, fma_peak_thread, &b) != 0) return 0;
    fma_peak_thread(&a);
    pthread_join(th, NULL);
    return a + b;
}
#endif

static double cpuinfo_mhz(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    double mhz = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu MHz", 7)) {
            char *c = strchr(line, ':');
            if (c) mhz = atof(c + 1);
            break;
        }
    fclose(f);
    return mhz;
}

/* ------------------------------------------------------------------ helpers */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct run_result {
    double median_ms, min_ms;
    double cpu_ms; /* median process CPU time per run: robust to preemption on a busy box */
    size_t arena;
    const char *kernels;
};

static int exclusive_run; /* --exclusive: SCHED_FIFO, the pools' load rule off */

static int run_mode(const struct ecl_model *m, int32_t cut, int force_ref, int threads, int runs,
                    int warmup, const float *input, float *output, struct run_result *res,
                    const char *label) {
    char err[200];
    struct ecl_pool *pool = NULL;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.force_ref = force_ref;
    if (threads > 1) {
        if (ecl_pool_create(threads, &pool) != ECL_OK) return -1;
        if (ecl_pool_threads(pool) < threads) fprintf(stderr, "warning: fewer threads started\n");
        if (exclusive_run) ecl_pool_set_adaptive(pool, 0);
        o.parallel_for = ecl_pool_parallel_for;
        o.pf_user = pool;
        o.n_threads = ecl_pool_threads(pool);
    }
    size_t need = 0;
    enum ecl_status st = ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err);
    if (st != ECL_OK) {
        fprintf(stderr, "bench_backbone: mem_size: %s (%s)\n", err, ecl_status_str(st));
        ecl_pool_destroy(pool);
        return -1;
    }
    void *arena = malloc(need);
    struct ecl_interp *it = NULL;
    if (!arena || (st = ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err)) != ECL_OK) {
        fprintf(stderr, "bench_backbone: init: %s\n", arena ? err : "out of memory");
        free(arena);
        ecl_pool_destroy(pool);
        return -1;
    }
    double *ms = calloc((size_t)runs * 2, sizeof *ms);
    for (int i = 0; i < warmup + runs && ms; i++) {
        struct timespec c0, c1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        uint64_t t0 = ecl_port_now_ns();
        st = ecl_interp_run(it, input, output);
        double dt = (double)(ecl_port_now_ns() - t0) * 1e-6;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        if (i >= warmup)
            ms[runs + i - warmup] =
                (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-6;
        if (st != ECL_OK) {
            fprintf(stderr, "bench_backbone: run: %s\n", ecl_status_str(st));
            break;
        }
        if (i >= warmup) ms[i - warmup] = dt;
        fprintf(stderr, "\r%-28s run %d/%d: %8.2f ms", label, i + 1, warmup + runs, dt);
    }
    fprintf(stderr, "\n");
    struct ecl_interp_stats s;
    ecl_interp_get_stats(it, &s);
    res->arena = s.arena_used ? s.arena_used : need;
    res->kernels = s.kernels ? s.kernels : "?";
    if (st == ECL_OK && ms) {
        res->median_ms = median(ms, runs);
        res->min_ms = ms[0];
        res->cpu_ms = median(ms + runs, runs);
    }
    free(ms);
    free(arena);
    ecl_pool_destroy(pool);
    return st == ECL_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ --layers */
/* Each MobileNetV2 1.0/224 conv layer shape, timed alone (min of 15 calls, 1 thread, random
 * data) with the reference-free optimised table: shows which layers are far from peak. */
static int layers_q; /* --layers-int8: time the int8 kernels instead of the float ones */

static double time_conv(const struct ecl_kernels *k, int h, int ci, int co, int kk, int s, int dw,
                        double *macs) {
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = s;
    p.dil_h = p.dil_w = 1;
    p.act_min = 0.0f;
    p.act_max = 6.0f;
    p.depth_multiplier = 1;
    int ih = kk == 1 ? h * s : (s == 1 ? h : 2 * h + 1);
    if (kk == 3 && s == 1) p.pad_top = p.pad_left = 1;
    struct ecl_shape4 is = {1, ih, ih, ci}, ws = {dw ? 1 : co, kk, kk, dw ? co : ci};
    struct ecl_shape4 os = {1, h, h, co};
    size_t esz = layers_q ? 1 : sizeof(float);
    void *in = malloc(ecl_shape4_count(is) * esz), *w = malloc(ecl_shape4_count(ws) * esz);
    void *b = calloc((size_t)co, 4), *o = malloc(ecl_shape4_count(os) * esz);
    int32_t *mult = malloc((size_t)co * 4), *shift = malloc((size_t)co * 4);
    if (!in || !w || !b || !o || !mult || !shift) {
        free(in), free(w), free(b), free(o), free(mult), free(shift);
        return 0;
    }
    for (size_t i = 0; i < ecl_shape4_count(is); i++)
        if (layers_q)
            ((int8_t *)in)[i] = (int8_t)(i % 251);
        else
            ((float *)in)[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < ecl_shape4_count(ws); i++)
        if (layers_q)
            ((int8_t *)w)[i] = (int8_t)(i % 253);
        else
            ((float *)w)[i] = (float)(i % 5) * 0.01f - 0.02f;
    /* int8: RELU6-like range, per-channel multipliers as in a quantised MobileNetV2 */
    for (int c = 0; c < co; c++)
        ecl_quantize_multiplier(0.0004 * (1 + c % 7), &mult[c], &shift[c]);
    p.in_zp = -3, p.out_zp = -128, p.act_min_q = -128, p.act_max_q = 127;
    p.out_mult = mult, p.out_shift = shift;
    /* as the int8 model runs them (src/tflite/ops/conv.c): CONV_2D with single rounding and its
     * weights packed once at plan time, DEPTHWISE_CONV_2D with double rounding */
    p.rounding = layers_q && !dw ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE;
    struct ecl_kctx kc = {0};
    /* the weights packed once, as the interpreter does when the table offers it (then no
     * scratch); else the scratch the kernel asks for, as the interpreter provides it */
    size_t pbytes =
        dw ? 0
        : layers_q
            ? (k->conv2d_i8_prepack_bytes ? k->conv2d_i8_prepack_bytes(&p, is, ws, os) : 0)
            : (k->conv2d_f32_prepack_bytes ? k->conv2d_f32_prepack_bytes(&p, is, ws, os) : 0);
    void *packed = pbytes ? aligned_alloc(64, (pbytes + 63) & ~(size_t)63) : NULL;
    if (packed) {
        if (layers_q)
            k->conv2d_i8_prepack(&p, is, w, ws, b, os, packed);
        else
            k->conv2d_f32_prepack(&p, is, w, ws, b, os, packed);
        p.w_packed = packed;
    }
    ecl_conv_scratch_fn sf = layers_q ? k->conv2d_i8_scratch : k->conv2d_f32_scratch;
    size_t need = !dw && !packed && sf ? sf(&p, is, ws, os, 1) : 0;
    void *scratch = need ? aligned_alloc(64, (need + 63) & ~(size_t)63) : NULL;
    kc.scratch = scratch;
    kc.scratch_bytes = scratch ? need : 0;
    double best = 1e30;
    for (int r = 0; r < 15; r++) {
        uint64_t t0 = ecl_port_now_ns();
        if (layers_q)
            (dw ? k->dwconv_i8 : k->conv2d_i8)(&kc, &p, in, is, w, ws, b, o, os);
        else
            (dw ? k->dwconv_f32 : k->conv2d_f32)(&kc, &p, in, is, w, ws, b, o, os);
        double t = (double)(ecl_port_now_ns() - t0) * 1e-9;
        if (t < best) best = t;
    }
    free(in), free(w), free(b), free(o), free(scratch), free(mult), free(shift), free(packed);
    *macs = (double)h * h * co * (dw ? 1 : ci) * kk * kk;
    return best;
}

static void layers_report(double peak1) {
    struct ecl_kernels k = ecl_kernels_best();
    double tot = 0, tm = 0, t1 = 0, tdw = 0, m;
    printf("kernels %s, %s, one thread, each layer alone (min of 15):\n", k.name,
           layers_q ? "int8" : "float32");
    printf("%-34s %9s %9s %8s\n", "layer", "ms", "GFLOP/s", "% peak");
#define ROW(name, t)                                                                               \
    printf("%-34s %9.3f %9.1f %7.0f%%\n", name, (t)*1e3, 2 * m / (t)*1e-9,                         \
           peak1 > 0 ? 100 * 2 * m / (t) / peak1 : 0)
    double t = time_conv(&k, 112, 3, 32, 3, 2, 0, &m);
    ROW("Conv1 3x3/2 224x224x3->32", t);
    tot += t, tm += m;
    t = time_conv(&k, 112, 32, 32, 3, 1, 1, &m);
    ROW("expanded_conv dw 3x3 112x112x32", t);
    tot += t, tm += m, tdw += t;
    t = time_conv(&k, 112, 32, 16, 1, 1, 0, &m);
    ROW("expanded_conv project 32->16", t);
    tot += t, tm += m, t1 += t;
    static const int cfg[6][4] = {{24, 2, 2}, {32, 3, 2},  {64, 4, 2},
                                  {96, 3, 1}, {160, 3, 2}, {320, 1, 1}};
    int H = 112, cin = 16, blk = 1;
    char name[64];
    for (int g = 0; g < 6; g++)
        for (int i = 0; i < cfg[g][1]; i++, blk++) {
            int s = i == 0 ? cfg[g][2] : 1, e = cin * 6, co = cfg[g][0], Ho = H / s;
            t = time_conv(&k, H, cin, e, 1, 1, 0, &m);
            snprintf(name, sizeof name, "block_%d expand %dx%d %d->%d", blk, H, H, cin, e);
            ROW(name, t);
            tot += t, tm += m, t1 += t;
            t = time_conv(&k, Ho, e, e, 3, s, 1, &m);
            snprintf(name, sizeof name, "block_%d dw 3x3/%d ->%dx%dx%d", blk, s, Ho, Ho, e);
            ROW(name, t);
            tot += t, tm += m, tdw += t;
            t = time_conv(&k, Ho, e, co, 1, 1, 0, &m);
            snprintf(name, sizeof name, "block_%d project %d->%d", blk, e, co);
            ROW(name, t);
            tot += t, tm += m, t1 += t;
            H = Ho, cin = co;
        }
    t = time_conv(&k, 7, 320, 1280, 1, 1, 0, &m);
    ROW("Conv_1 7x7 320->1280", t);
    tot += t, tm += m, t1 += t;
#undef ROW
    printf("sum %.3f ms (1x1 %.3f, depthwise %.3f), %.1f MMAC, %.1f GFLOP/s\n", tot * 1e3, t1 * 1e3,
           tdw * 1e3, tm * 1e-6, 2 * tm / tot * 1e-9);
}

static void usage(FILE *f) {
    fprintf(
        f, "usage: bench_backbone [--model FILE.tflite] [--cut TENSOR] [--runs N] [--ref-runs N]\n"
           "                      [--warmup N] [--onnx FILE.onnx] [--no-ort] [--layers] "
           "[--layers-int8]\n"
           "                      [--split-profile T] [--thread-profile [--exclusive]]\n"
           "  Median latency of one image through the backbone: reference kernels (1 thread),\n"
           "  optimised kernels (1 and 2 threads), GFLOP/s vs the measured FMA peak, arena\n"
           "  bytes, and ONNX Runtime (node bench/ort_bench.mjs) on the same input.\n"
           "  defaults: --model models/mobilenet_v2.tflite --runs 30 --ref-runs 3 --warmup 3\n"
           "            --onnx models/mobilenet_v2.onnx (made by tools/convert/onnx_export.mjs;\n"
           "            with --cut, export the same cut: onnx_export.mjs --until LAYER)\n"
           "  --layers: also time each MobileNetV2 conv layer shape alone (optimised kernels)\n"
           "  --layers-int8: the same with the int8 kernels (%% of peak: of the float FMA peak;\n"
           "            convs with single rounding and weights packed once, as the int8 model)\n"
           "  --split-profile T: only how evenly one inference splits between T threads: time\n"
           "            outside parallel regions, imbalance, modelled speedup (CPU times of one\n"
           "            thread: independent of the machine's load)\n"
           "  --thread-profile: only 2 real threads vs 1 on the same split, per parallel\n"
           "            region: where the second core loses (thread_profile.h)\n"
           "  --exclusive: SCHED_FIFO and the pool's load rule off, for every mode (two idle\n"
           "            cores on a busy machine; ONNX Runtime inherits the priority)\n"
           "  int8 model: --model models/mobilenet_v2_int8.tflite (float input, quantised\n"
           "            inside); its ORT peer defaults to models/mobilenet_v2_int8.onnx (the same\n"
           "            int8 graph as QDQ ONNX: tools/convert/onnx_int8_export.mjs), outputs\n"
           "            compared in output LSBs\n");
}

static int parse_pos(const char *s, int *v) {
    char *end;
    long x = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || x < 1 || x > 100000) return -1;
    *v = (int)x;
    return 0;
}

int main(int argc, char **argv) {
    const char *model_path = ECL_SOURCE_DIR "/models/mobilenet_v2.tflite";
    const char *onnx_path = ECL_SOURCE_DIR "/models/mobilenet_v2.onnx";
    const char *cut_name = NULL;
    int runs = 30, ref_runs = 3, warmup = 3, ort = 1, layers = 0, onnx_given = 0, split_threads = 0;
    int thread_prof = 0, exclusive = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-ort")) {
            ort = 0;
        } else if (!strcmp(a, "--layers-int8")) {
            layers = layers_q = 1;
        } else if (!strcmp(a, "--layers")) {
            layers = 1;
        } else if (!strcmp(a, "--model") && has) {
            model_path = argv[++i];
        } else if (!strcmp(a, "--onnx") && has) {
            onnx_path = argv[++i];
            onnx_given = 1;
        } else if (!strcmp(a, "--cut") && has) {
            cut_name = argv[++i];
        } else if (!strcmp(a, "--split-profile") && has) {
            if (parse_pos(argv[++i], &split_threads) || split_threads < 2) goto bad;
        } else if (!strcmp(a, "--thread-profile")) {
            thread_prof = 1;
        } else if (!strcmp(a, "--exclusive")) {
            exclusive = 1;
        } else if (!strcmp(a, "--runs") && has) {
            if (parse_pos(argv[++i], &runs)) goto bad;
        } else if (!strcmp(a, "--ref-runs") && has) {
            if (parse_pos(argv[++i], &ref_runs)) goto bad;
        } else if (!strcmp(a, "--warmup") && has) {
            if (parse_pos(argv[++i], &warmup) && strcmp(argv[i], "0")) goto bad;
            if (!strcmp(argv[i], "0")) warmup = 0;
        } else {
            fprintf(stderr, "bench_backbone: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "bench_backbone: %s needs a positive integer, got '%s'\n", a, argv[i]);
        return 2;
    }

    void *buf = NULL;
    size_t len = 0;
    enum ecl_status st = ecl_port_read_file(model_path, &buf, &len);
    if (st != ECL_OK) {
        fprintf(stderr,
                "bench_backbone: cannot read %s: %s (make it with node "
                "tools/convert/nsfwjs2tflite.mjs --out models/mobilenet_v2.tflite)\n",
                model_path, ecl_status_str(st));
        return 1;
    }
    struct ecl_model m;
    char err[200];
    if ((st = ecl_model_parse(buf, len, &m, err, sizeof err)) != ECL_OK) {
        fprintf(stderr, "bench_backbone: %s: %s\n", model_path, err);
        free(buf);
        return 1;
    }
    int32_t cut = -1;
    if (cut_name && ecl_model_find_tensor(&m, cut_name, &cut) != ECL_OK) {
        fprintf(stderr, "bench_backbone: no tensor named '%s' in %s\n", cut_name, model_path);
        free(buf);
        return 1;
    }

    /* Input dims from a throw-away reference interpreter (cheap: init only). */
    struct ecl_interp_opts o = ecl_interp_default_opts();
    size_t need = 0;
    if ((st = ecl_interp_mem_size(&m, cut, &o, &need, err, sizeof err)) != ECL_OK) {
        fprintf(stderr, "bench_backbone: %s\n", err);
        free(buf);
        return 1;
    }
    void *arena = malloc(need);
    struct ecl_interp *it;
    if (!arena || ecl_interp_init(&m, cut, &o, arena, need, &it, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench_backbone: init: %s\n", arena ? err : "out of memory");
        free(arena);
        free(buf);
        return 1;
    }
    int32_t in_dims[4], out_dims[4];
    ecl_interp_input_dims(it, in_dims);
    ecl_interp_output_dims(it, out_dims);
    /* An int8/uint8 model: ORT's peer is the QDQ export (onnx_int8_export.mjs), and outputs are
     * compared in LSBs of the quantised output. */
    struct ecl_tensor_info iti, oti;
    float out_scale = 0;
    if (ecl_interp_output_info(it, 0, &oti) == ECL_OK && oti.n_scales > 0 &&
        (oti.type == ECL_DT_INT8 || oti.type == ECL_DT_UINT8))
        out_scale = oti.scale;
    if (!onnx_given && ecl_interp_input_info(it, 0, &iti) == ECL_OK &&
        (iti.type == ECL_DT_INT8 || iti.type == ECL_DT_UINT8))
        onnx_path = ECL_SOURCE_DIR "/models/mobilenet_v2_int8.onnx";
    size_t n_in = ecl_interp_input_count(it), n_out = ecl_interp_output_count(it);
    free(arena);

    float *input = malloc(n_in * sizeof(float));
    float *out_ref = malloc(n_out * sizeof(float)), *out_opt = malloc(n_out * sizeof(float));
    if (!input || !out_ref || !out_opt) {
        fprintf(stderr, "bench_backbone: out of memory\n");
        return 1;
    }
    uint32_t s = 12345;
    for (size_t i = 0; i < n_in; i++) {
        s = s * 1103515245u + 12345u;
        input[i] = (float)(s >> 8) / 16777216.0f;
    }

    if (split_threads || thread_prof) {
        int rc = split_threads ? split_profile(&m, cut, split_threads, input, runs, stdout)
                               : thread_profile(&m, cut, input, runs, exclusive, stdout);
        free(input), free(out_ref), free(out_opt), free(buf);
        return rc ? 1 : 0;
    }
    if (exclusive) {
        exclusive_run = 1;
        printf("exclusive SCHED_FIFO %s (ONNX Runtime inherits it), the pool's load rule off\n",
               bench_go_exclusive());
    }
    double macs = count_macs(&m, cut);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("model   %s%s%s\n", model_path, cut_name ? "  cut " : "", cut_name ? cut_name : "");
    printf("input   %dx%dx%dx%d  output %zu floats  MACs %.1f M (%.3f GFLOP per image)\n",
           in_dims[0], in_dims[1], in_dims[2], in_dims[3], n_out, macs * 1e-6, 2 * macs * 1e-9);
#if defined(__x86_64__)
    double peak1 = 0, peak256 = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        peak1 = peak256 = fma_peak_1core();
    printf("peak    AVX2 FMA peak %.1f GFLOP/s per core measured (8-wide loop; = %.2f GHz x 32 "
           "FLOP/cycle); /proc/cpuinfo says %.0f MHz\n",
           peak256 * 1e-9, peak256 / 32e9, cpuinfo_mhz());
    if (ecl_opt_have_avx512()) {
        double p512 = fma512_peak_1core();
        printf("peak    AVX-512 FMA peak %.1f GFLOP/s per core measured (16-wide loop; = %.2f GHz "
               "x 64 FLOP/cycle, %.2fx the AVX2 loop)\n",
               p512 * 1e-9, p512 / 64e9, peak256 > 0 ? p512 / peak256 : 0);
        if (p512 > peak1) peak1 = p512;
    }
    if (cores >= 2) {
        double p2 = fma_peak_2threads();
        printf("peak    the widest loop on 2 threads at once: %.1f GFLOP/s = %.2fx one thread (the "
               "most 2 threads can gain on FMA-bound work, if the machine is idle)\n",
               p2 * 1e-9, peak1 > 0 ? p2 / peak1 : 0);
    }
    printf(
        "peak    %% of peak below: of %.1f GFLOP/s per core (the widest measured), x %ld cores = "
        "%.1f GFLOP/s\n",
        peak1 * 1e-9, cores, peak1 * cores * 1e-9);
#else
    double peak1 = 0;
    printf("peak    (not measured on this architecture); /proc/cpuinfo %.0f MHz\n", cpuinfo_mhz());
#endif

    if (layers) layers_report(peak1);

    struct run_result rr = {0}, r1 = {0}, r2 = {0};
    int ok_ref = run_mode(&m, cut, 1, 1, ref_runs, 1, input, out_ref, &rr, "ref, 1 thread") == 0;
    int ok1 = run_mode(&m, cut, 0, 1, runs, warmup, input, out_opt, &r1, "opt, 1 thread") == 0;
    int ok2 = run_mode(&m, cut, 0, 2, runs, warmup, input, out_opt, &r2, "opt, 2 threads") == 0;

    double maxd = 0, maxv = 0;
    if (ok_ref && ok1)
        for (size_t i = 0; i < n_out; i++) {
            double d = fabs((double)out_ref[i] - out_opt[i]);
            if (d > maxd) maxd = d;
            if (fabs(out_ref[i]) > maxv) maxv = fabs(out_ref[i]);
        }
    printf("\n%-26s %10s %10s %10s %10s %12s\n", "edgecl", "median ms", "min ms", "cpu ms",
           "GFLOP/s", "% of peak");
    struct {
        const char *name;
        int ok, thr;
        struct run_result *r;
    } rows[3] = {{"ref kernels, 1 thread", ok_ref, 1, &rr},
                 {"opt kernels, 1 thread", ok1, 1, &r1},
                 {"opt kernels, 2 threads", ok2, 2, &r2}};
    for (int i = 0; i < 3; i++) {
        if (!rows[i].ok) {
            printf("%-26s failed\n", rows[i].name);
            continue;
        }
        double gf = 2 * macs / (rows[i].r->median_ms * 1e-3) * 1e-9;
        double pk = peak1 * (rows[i].thr < cores ? rows[i].thr : cores) * 1e-9;
        printf("%-26s %10.2f %10.2f %10.2f %10.1f %11.0f%%   (kernels %s)\n", rows[i].name,
               rows[i].r->median_ms, rows[i].r->min_ms, rows[i].r->cpu_ms, gf,
               pk > 0 ? 100 * gf / pk : 0, rows[i].r->kernels);
    }
    if (ok1 && ok2 && r2.median_ms > 0 && r2.min_ms > 0) {
        double la[3] = {0, 0, 0};
        FILE *lf = fopen("/proc/loadavg", "r");
        if (lf) {
            if (fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3) la[0] = -1;
            fclose(lf);
        }
        printf("threads 2 vs 1 thread: %.2fx (medians), %.2fx (minimums); load average %.2f on "
               "%ld cores (a busy machine understates this: see --split-profile 2)\n",
               r1.median_ms / r2.median_ms, r1.min_ms / r2.min_ms, la[0], cores);
    }
    printf("arena   %zu bytes (%.2f MiB)\n", r1.arena, r1.arena / 1048576.0);
    if (ok_ref && ok1) printf("opt vs ref output: max |diff| %.3g (max |ref| %.3g)\n", maxd, maxv);

    int rc = (ok_ref && ok1 && ok2) ? 0 : 1;
    if (ort) {
        struct ort_peer_args pa = {
            .onnx_path = onnx_path,
            .label = out_scale > 0 ? "int8" : "float32",
            .runs = runs,
            .warmup = warmup,
            .input = input,
            .h = in_dims[1],
            .w = in_dims[2],
            .c = in_dims[3],
            .ecl_out = out_opt,
            .n_out = n_out,
            .ecl_median_ms = {0, ok1 ? r1.median_ms : 0, ok2 ? r2.median_ms : 0},
            .ecl_min_ms1 = r1.min_ms,
            .ecl_cpu_ms1 = r1.cpu_ms,
            .macs = macs,
            .out_scale = out_scale};
        if (ort_peer_run(&pa)) rc = 1;
    }
    free(input), free(out_ref), free(out_opt), free(buf);
    return rc;
}
