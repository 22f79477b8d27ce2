/* bench/models.c - edgecl against XNNPACK (TFLite's default CPU delegate) on whole models.
 *
 *   bench_models [--model FILE]... [--image FILE.bmp] [--runs N] [--iters K] [--warmup N]
 *                [--check]
 *
 * For each model (default: edgecl's float models/mobilenet_v2.tflite and the uint8 and int8
 * MobileNetV2 1.0/224 of ../shared/models/, skipped when absent) it builds the same network
 * through XNNPACK's subgraph API (bench/xnn_peer.c) and
 *   - checks it: one image (../shared/images/cat.bmp resized as the CLI does; noise if absent)
 *     through edgecl and XNNPACK, 1 thread: top-1 must be the same; it prints the largest
 *     difference (LSB for integer outputs) and how many values differ;
 *   - times it (unless --check): edgecl and XNNPACK with 1 and with 2 threads, N paired runs
 *     (each the median of K invocations; the two runtimes alternate which goes first), and
 *     prints the medians and the min / median / max of the ratio edgecl / XNNPACK over the N
 *     pairs ("by mins": the median over the pairs of the ratio of the two fastest
 *     invocations, less sensitive to a loaded machine; "by CPU", 1 thread: of the median CPU
 *     time of the calling thread, which does all the work, insensitive to preemption), with
 *     /proc/loadavg at start and end.
 * Exit status: 0 when every model checked agrees, 1 when one does not or fails, 77 when no
 * model was found (a CTest SKIP).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bmp.h"
#include "exclusive.h"
#include "edgecl/model.h"
#include "edgecl/port.h"
#include "fe.h"
#include "xnn_peer.h"

#ifndef ECL_SOURCE_DIR
#define ECL_SOURCE_DIR "."
#endif
#define SHARED ECL_SOURCE_DIR "/../shared"
#define MAX_MODELS 8
#define MAX_RUNS 1000
#define CHECK_LSB 16       /* integer outputs: largest difference allowed, in LSB */
#define CHECK_F32_REL 1e-4 /* float outputs: relative to 1 + the largest |value| */

struct opts {
    const char *models[MAX_MODELS];
    int n_models;
    const char *image;
    int runs, iters, warmup, check_only, exclusive;
};

static int exclusive_run; /* --exclusive: SCHED_FIFO (XNNPACK's threads inherit it), edgecl's
                           * pool without its load rule */

/* One runtime ready to invoke: edgecl (interpreter + pool) or XNNPACK. */
struct runner {
    struct ecl_interp *it;
    void *arena;
    struct ecl_pool *pool; /* the library's pool (edgecl/port.h), as the tools use it */
    int threads;
    struct xnn_peer *x;
    const void *input;
    size_t in_bytes;
};

static void print_load(const char *when) {
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    printf("load    %s: %s (/proc/loadavg; %ld cores online)\n", when, buf,
           sysconf(_SC_NPROCESSORS_ONLN));
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ------------------------------------------------------------------ runners */
static int edgecl_open(struct runner *r, const struct ecl_model *m, int32_t cut, int threads,
                       const void *input, size_t bytes) {
    char err[200];
    memset(r, 0, sizeof *r);
    r->threads = threads;
    r->input = input, r->in_bytes = bytes;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    if (threads > 1) {
        if (ecl_pool_create(threads, &r->pool) != ECL_OK) {
            fprintf(stderr, "bench_models: edgecl: cannot start %d threads\n", threads);
            return -1;
        }
        if (exclusive_run) ecl_pool_set_adaptive(r->pool, 0);
        o.parallel_for = ecl_pool_parallel_for;
        o.pf_user = r->pool;
        o.n_threads = ecl_pool_threads(r->pool);
    }
    size_t need = 0;
    if (ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err) != ECL_OK ||
        !(r->arena = malloc(need)) ||
        ecl_interp_init(m, cut, &o, r->arena, need, &r->it, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench_models: edgecl: %s\n", r->arena ? err : "out of memory");
        free(r->arena);
        ecl_pool_destroy(r->pool);
        r->arena = NULL, r->pool = NULL;
        return -1;
    }
    return 0;
}

static int xnn_open(struct runner *r, const struct ecl_model *m, int threads, const void *input,
                    size_t bytes) {
    char err[240];
    memset(r, 0, sizeof *r);
    r->threads = threads;
    r->input = input, r->in_bytes = bytes;
    if (xnn_peer_create(m, threads, &r->x, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench_models: XNNPACK: %s\n", err);
        return -1;
    }
    return 0;
}

static int runner_invoke(struct runner *r) {
    if (r->x) return xnn_peer_run(r->x, r->input, r->in_bytes) == ECL_OK ? 0 : -1;
    if (ecl_interp_set_input(r->it, 0, r->input, r->in_bytes) != ECL_OK) return -1;
    return ecl_interp_invoke(r->it) == ECL_OK ? 0 : -1;
}

static void runner_close(struct runner *r) {
    if (r->x) xnn_peer_destroy(r->x);
    free(r->arena);
    ecl_pool_destroy(r->pool);
    memset(r, 0, sizeof *r);
}

static double thread_cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

struct timing {
    double med, min; /* wall-clock ms per invocation */
    double cpu;      /* median CPU ms of the calling thread (all the work with 1 thread) */
};

/* k invocations after `warmup` untimed ones; -1 on failure. */
static int runner_time(struct runner *r, int k, int warmup, struct timing *t) {
    double ms[MAX_RUNS], cpu[MAX_RUNS];
    for (int i = 0; i < warmup; i++)
        if (runner_invoke(r)) return -1;
    for (int i = 0; i < k; i++) {
        double c0 = thread_cpu_ms();
        uint64_t t0 = ecl_port_now_ns();
        if (runner_invoke(r)) return -1;
        ms[i] = (double)(ecl_port_now_ns() - t0) * 1e-6;
        cpu[i] = thread_cpu_ms() - c0;
    }
    t->med = median(ms, k);
    t->min = ms[0];
    t->cpu = median(cpu, k);
    return 0;
}

/* ------------------------------------------------------------------ input and check */
/* The model's input for the image as the CLI feeds it (fe_prepare_rgb8); a fixed noise image
 * when there is no image file. *input is malloc'd. */
static int make_input(const char *model_path, const char *image, void **input, size_t *bytes) {
    char err[200];
    struct fe_opts fo = fe_default_opts();
    fo.pool = 0;
    struct fe *fe;
    if (fe_open(model_path, &fo, &fe, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench_models: %s\n", err);
        return -1;
    }
    uint8_t *rgb = NULL;
    int w = 224, h = 224;
    void *buf = NULL;
    size_t len = 0;
    if (image && ecl_port_read_file(image, &buf, &len) == ECL_OK &&
        bmp_decode(buf, len, 4096, &rgb, &w, &h, err, sizeof err) == ECL_OK) {
        printf("input   %s (%dx%d), resized as `edgecl` does: %s\n", image, w, h,
               fe_preprocess_desc(fe));
    } else {
        w = h = 224;
        rgb = malloc((size_t)w * h * 3);
        uint32_t s = 12345;
        for (size_t i = 0; rgb && i < (size_t)w * h * 3; i++)
            s = s * 1103515245u + 12345u, rgb[i] = (uint8_t)(s >> 24);
        printf("input   noise image 224x224 (%s not readable): %s\n", image ? image : "no image",
               fe_preprocess_desc(fe));
    }
    free(buf);
    const void *data;
    int rc = -1;
    if (rgb && fe_prepare_rgb8(fe, rgb, w, h, &data, bytes) == ECL_OK &&
        (*input = malloc(*bytes))) {
        memcpy(*input, data, *bytes);
        rc = 0;
    }
    free(rgb);
    fe_close(fe);
    return rc;
}

static double elem(const void *p, int32_t type, size_t i) {
    if (type == ECL_DT_FLOAT32) return ((const float *)p)[i];
    if (type == ECL_DT_UINT8) return ((const uint8_t *)p)[i];
    if (type == ECL_DT_INT8) return ((const int8_t *)p)[i];
    return 0;
}

static size_t argmax(const void *p, int32_t type, size_t n) {
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (elem(p, type, i) > elem(p, type, b)) b = i;
    return b;
}

/* "286 Egyptian cat" from ../shared/images/imagenet_labels.txt when the output has 1001. */
static void label(size_t idx, size_t n, char *out, size_t cap) {
    snprintf(out, cap, "%zu", idx);
    FILE *f = n == 1001 ? fopen(SHARED "/images/imagenet_labels.txt", "r") : NULL;
    char line[120];
    for (size_t i = 0; f && fgets(line, sizeof line, f); i++)
        if (i == idx) {
            line[strcspn(line, ",\n")] = 0;
            snprintf(out, cap, "%zu '%s'", idx, line);
            break;
        }
    if (f) fclose(f);
}

/* Runs edgecl and XNNPACK once (1 thread) and compares: 0 agree, 1 differ, -1 failed. */
static int check(struct runner *e, struct runner *x, const struct ecl_tensor_info *ot) {
    size_t xb, n = 1, es = ot->type == ECL_DT_FLOAT32 ? 4 : 1;
    for (int d = 0; d < ot->ndims; d++)
        n *= (size_t)ot->dims[d];
    void *eo = malloc(n * es);
    if (!eo || runner_invoke(e) || runner_invoke(x) ||
        ecl_interp_get_output(e->it, 0, eo, n * es) != ECL_OK) {
        fprintf(stderr, "bench_models: check: a run failed\n");
        free(eo);
        return -1;
    }
    const void *xo = xnn_peer_output(x->x, &xb);
    double maxd = 0, maxv = 0;
    size_t ndiff = 0;
    for (size_t i = 0; i < n && xb == n * es; i++) {
        double a = elem(eo, ot->type, i), b = elem(xo, ot->type, i);
        if (fabs(a - b) > maxd) maxd = fabs(a - b);
        if (fabs(a) > maxv) maxv = fabs(a);
        ndiff += a != b;
    }
    size_t te = argmax(eo, ot->type, n), tx = argmax(xo, ot->type, n);
    char le[160], lx[160];
    label(te, n, le, sizeof le);
    label(tx, n, lx, sizeof lx);
    int same = te == tx && xb == n * es;
    /* Bounds: rounding differences only (XNNPACK requantises in fp32, TFLite's reference
     * kernels in fixed point; float sums in another order), not a different network. */
    int close = ot->type == ECL_DT_FLOAT32 ? maxd <= CHECK_F32_REL * (1 + maxv) : maxd <= CHECK_LSB;
    printf("check   top-1 edgecl %s, XNNPACK %s: %s\n", le, lx, same ? "same" : "DIFFERENT");
    if (ot->type == ECL_DT_FLOAT32)
        printf("check   max |edgecl - XNNPACK| %.3g (max |edgecl| %.3g), %zu of %zu values "
               "differ: %s (bound %g x (1 + max))\n",
               maxd, maxv, ndiff, n, close ? "ok" : "TOO FAR", CHECK_F32_REL);
    else
        printf("check   max |edgecl - XNNPACK| %.0f LSB, %zu of %zu values differ: %s (bound %d "
               "LSB)\n",
               maxd, ndiff, n, close ? "ok" : "TOO FAR", CHECK_LSB);
    free(eo);
    return same && close ? 0 : 1;
}

/* ------------------------------------------------------------------ timing */
/* N paired runs of edgecl and XNNPACK with `threads` threads; prints one row. */
static int time_pairs(const struct ecl_model *m, int32_t cut, int threads, const void *input,
                      size_t bytes, const struct opts *o) {
    struct runner e, x;
    if (edgecl_open(&e, m, cut, threads, input, bytes)) return -1;
    if (xnn_open(&x, m, threads, input, bytes)) return runner_close(&e), -1;
    double te[MAX_RUNS], tx[MAX_RUNS], ratio[MAX_RUNS], rmin[MAX_RUNS], rcpu[MAX_RUNS];
    double ce[MAX_RUNS], cx[MAX_RUNS];
    int rc = 0;
    for (int r = 0; r < o->runs && !rc; r++) {
        struct runner *first = r % 2 ? &x : &e, *second = r % 2 ? &e : &x;
        struct timing a, b;
        if (runner_time(first, o->iters, o->warmup, &a) ||
            runner_time(second, o->iters, o->warmup, &b)) {
            fprintf(stderr, "bench_models: a timed run failed\n");
            rc = -1;
            break;
        }
        const struct timing *ed = r % 2 ? &b : &a, *xn = r % 2 ? &a : &b;
        te[r] = ed->med, tx[r] = xn->med;
        ratio[r] = te[r] / tx[r];
        rmin[r] = ed->min / xn->min;
        rcpu[r] = ed->cpu / xn->cpu;
        ce[r] = ed->cpu, cx[r] = xn->cpu;
        fprintf(stderr, "\r%d thread%s pair %d/%d: edgecl %.2f ms, XNNPACK %.2f ms   ", threads,
                threads > 1 ? "s" : "", r + 1, o->runs, te[r], tx[r]);
    }
    fprintf(stderr, "\n");
    if (!rc) {
        double me = median(te, o->runs), mx = median(tx, o->runs);
        double rmed = median(ratio, o->runs); /* sorts ratio: [0] min, [n-1] max */
        char cpu[32] = "-"; /* with 2 threads the caller's CPU time is not the work */
        if (threads == 1) snprintf(cpu, sizeof cpu, "%.2fx", median(rcpu, o->runs));
        printf("%-8d %10.2f %11.2f %10.2fx %7.2fx %7.2fx %9.2fx %9s   (%d pairs x %d)\n", threads,
               me, mx, rmed, ratio[0], ratio[o->runs - 1], median(rmin, o->runs), cpu, o->runs,
               o->iters);
        if (threads == 1)
            printf("%-8s %10.2f %11.2f   CPU ms of the calling thread (medians)\n", "",
                   median(ce, o->runs), median(cx, o->runs));
    }
    runner_close(&e);
    runner_close(&x);
    return rc;
}

/* ------------------------------------------------------------------ one model */
/* "float32", "uint8 (per-tensor)", "int8 (per-channel weights)": from the first CONV_2D. */
static const char *describe(const struct ecl_model *m) {
    for (uint32_t i = 0; i < ecl_model_n_ops(m); i++) {
        struct ecl_op_info oi;
        struct ecl_tensor_info w;
        if (ecl_model_op_info(m, (int32_t)i, &oi) != ECL_OK || strcmp(oi.name, "CONV_2D") ||
            oi.n_inputs < 2 || ecl_model_tensor_info(m, oi.inputs[1], &w) != ECL_OK)
            continue;
        if (w.type == ECL_DT_FLOAT32) return "float32";
        if (w.type == ECL_DT_UINT8) return "uint8, per-tensor weights";
        if (w.type == ECL_DT_INT8) return w.n_scales > 1 ? "int8, per-channel weights" : "int8";
        return "other";
    }
    return "no CONV_2D";
}

static void print_graph(const struct ecl_model *m, const struct xnn_peer_info *in) {
    struct ecl_tensor_info a, b;
    ecl_model_tensor_info(m, in->first_tensor, &a);
    ecl_model_tensor_info(m, in->last_tensor, &b);
    printf("xnnpack graph of %d operators, tensor %d '%.60s' -> %d '%.60s'\n", (int)in->n_ops,
           (int)in->first_tensor, a.name, (int)in->last_tensor, b.name);
    if (in->host_quantize)
        printf("xnnpack leading QUANTIZE (uint8 -> int8) done on the host before the graph (no "
               "uint8 -> int8 convert in this XNNPACK), timed with it\n");
    if (in->stop_op >= 0)
        printf("xnnpack ends before operator %d, %s: both runtimes are compared and timed up to "
               "its input\n",
               (int)in->stop_op, in->stop);
}

/* 0 ok, 1 disagreement or failure, 77 model absent. */
static int bench_model(const char *path, const struct opts *o) {
    void *buf = NULL, *input = NULL;
    size_t len = 0, bytes = 0;
    struct ecl_model m;
    char err[200];
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) {
        printf("\nmodel   %s: SKIPPED (not found)\n", path);
        return 77;
    }
    if (ecl_model_parse(buf, len, &m, err, sizeof err) != ECL_OK) {
        printf("\nmodel   %s: %s\n", path, err);
        free(buf);
        return 1;
    }
    printf("\nmodel   %s (%s)\n", path, describe(&m));
    struct runner e = {0}, x = {0};
    struct xnn_peer_info in;
    int rc = 1;
    if (make_input(path, o->image, &input, &bytes) || xnn_open(&x, &m, 1, input, bytes)) goto out;
    xnn_peer_get_info(x.x, &in);
    print_graph(&m, &in);
    int32_t cut = in.last_tensor == ecl_model_output(&m) ? -1 : in.last_tensor;
    struct ecl_tensor_info ot;
    ecl_model_tensor_info(&m, in.last_tensor, &ot);
    if (edgecl_open(&e, &m, cut, 1, input, bytes)) goto out;
    struct ecl_interp_stats es;
    ecl_interp_get_stats(e.it, &es);
    printf("edgecl  kernels %s, %d operators run\n", es.kernels ? es.kernels : "?",
           (int)es.n_ops_run);
    rc = check(&e, &x, &ot) ? 1 : 0;
    runner_close(&e);
    runner_close(&x);
    if (rc || o->check_only) goto out;
    printf("%-8s %10s %11s %11s %8s %8s %10s %9s\n", "threads", "edgecl ms", "XNNPACK ms",
           "ratio med", "min", "max", "by mins", "by CPU");
    for (int t = 1; t <= 2 && !rc; t++)
        rc = time_pairs(&m, cut, t, input, bytes, o) ? 1 : 0;
out:
    runner_close(&e);
    runner_close(&x);
    free(input);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ main */
static void usage(FILE *f) {
    fprintf(f,
            "usage: bench_models [--model FILE.tflite]... [--image FILE.bmp] [--runs N] "
            "[--iters K]\n"
            "                    [--warmup N] [--check] [--exclusive]\n"
            "  edgecl vs XNNPACK (the same network built through XNNPACK's subgraph API, as\n"
            "  TFLite's CPU delegate does) on whole models: a check (same input, top-1 and the\n"
            "  largest difference), then 1 and 2 threads, N paired runs of K invocations each,\n"
            "  ratio edgecl/XNNPACK (min / median / max over the pairs), machine load.\n"
            "  defaults: the float models/mobilenet_v2.tflite and ../shared/models/\n"
            "            mobilenet_v2_1.0_224_quant.tflite (uint8), tf2_mobilenet_v2_1.0_224_ptq\n"
            "            .tflite (int8), absent ones skipped; --image ../shared/images/cat.bmp;\n"
            "            --runs 7 --iters 10 --warmup 2\n"
            "  --check   only the check (no timing); exit 1 if a model disagrees, 77 if none\n"
            "            was found\n"
            "  --exclusive  SCHED_FIFO for both runtimes' threads and edgecl's pool without its\n"
            "            load rule: two idle cores even while other processes run (needs root)\n");
}

static int parse_int(const char *s, int lo, int hi, int *v) {
    char *end;
    long x = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || x < lo || x > hi) return -1;
    *v = (int)x;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--check")) {
            o->check_only = 1;
            continue;
        } else if (!strcmp(a, "--exclusive")) {
            o->exclusive = 1;
            continue;
        } else if (!v) {
            fprintf(stderr, "bench_models: unknown or incomplete argument '%s'\n", a);
            return -1;
        } else if (!strcmp(a, "--model")) {
            if (o->n_models == MAX_MODELS) {
                fprintf(stderr, "bench_models: at most %d --model\n", MAX_MODELS);
                return -1;
            }
            o->models[o->n_models++] = v;
        } else if (!strcmp(a, "--image")) {
            o->image = v;
        } else if (!strcmp(a, "--runs")) {
            bad = parse_int(v, 1, MAX_RUNS, &o->runs);
        } else if (!strcmp(a, "--iters")) {
            bad = parse_int(v, 1, MAX_RUNS, &o->iters);
        } else if (!strcmp(a, "--warmup")) {
            bad = parse_int(v, 0, MAX_RUNS, &o->warmup);
        } else {
            fprintf(stderr, "bench_models: unknown argument '%s'\n", a);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "bench_models: %s needs an integer in range, got '%s'\n", a, v);
            return -1;
        }
        i++;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct opts o = {.image = SHARED "/images/cat.bmp", .runs = 7, .iters = 10, .warmup = 2};
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    if (o.exclusive) {
        exclusive_run = 1;
        printf("exclusive: SCHED_FIFO %s, edgecl's pool without its load rule\n",
               bench_go_exclusive());
    }
    if (!o.n_models) {
        o.models[o.n_models++] = ECL_SOURCE_DIR "/models/mobilenet_v2.tflite";
        o.models[o.n_models++] = SHARED "/models/mobilenet_v2_1.0_224_quant.tflite";
        o.models[o.n_models++] = SHARED "/models/tf2_mobilenet_v2_1.0_224_ptq.tflite";
    }
    printf("edgecl vs XNNPACK (Debian libxnnpack 0.0~git20220216), batch 1: %s\n",
           o.check_only ? "check only" : "check, then wall-clock ms per invocation");
    print_load("start");
    int rc = 0, found = 0;
    for (int i = 0; i < o.n_models; i++) {
        int r = bench_model(o.models[i], &o);
        if (r != 77) found++;
        if (r == 1) rc = 1;
    }
    print_load("end");
    if (!found) {
        printf("SKIP: none of the models was found\n");
        return 77;
    }
    return rc;
}
