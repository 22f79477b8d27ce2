/* bench/ort_peer.c - ONNX Runtime beside edgecl in bench_backbone (see ort_peer.h). */
#define _GNU_SOURCE
#include "ort_peer.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef ECL_SOURCE_DIR
#define ECL_SOURCE_DIR "."
#endif

/* A quantised output further than this from edgecl's is a wrong export (scale, zero point,
 * layout), not rounding: ORT requantises with float multipliers, edgecl (as TFLite) with
 * fixed-point ones, so a few LSBs of drift through 50+ layers are expected. */
#define ORT_PEER_MAX_LSB 16

static size_t argmax(const float *v, size_t n) {
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

/* Writes the input as NCHW floats to in_path; 0 on success. */
static int write_nchw(const struct ort_peer_args *a, const char *in_path, int fd) {
    size_t n = (size_t)a->h * a->w * a->c;
    float *nchw = malloc(n * sizeof(float));
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f || !nchw) {
        fprintf(stderr, "bench_backbone: cannot write %s for ORT\n", in_path);
        free(nchw);
        if (f) fclose(f);
        return -1;
    }
    for (int c = 0; c < a->c; c++)
        for (int y = 0; y < a->h; y++)
            for (int x = 0; x < a->w; x++)
                nchw[((size_t)c * a->h + y) * a->w + x] =
                    a->input[((size_t)y * a->w + x) * a->c + c];
    size_t put = fwrite(nchw, sizeof(float), n, f);
    free(nchw);
    return (fclose(f) == 0 && put == n) ? 0 : -1;
}

/* ORT's output (in out_path) vs edgecl's; 0 when they agree. */
static int compare(const struct ort_peer_args *a, const char *out_path) {
    float *o = malloc(a->n_out * sizeof(float));
    FILE *g = o ? fopen(out_path, "rb") : NULL;
    size_t got = g ? fread(o, sizeof(float), a->n_out, g) : 0;
    if (g) fclose(g);
    if (got != a->n_out || a->ecl_median_ms[1] <= 0) {
        printf("ORT output: %zu floats, expected %zu (is the .onnx the same cut?)\n", got,
               a->n_out);
        free(o);
        return 1;
    }
    double d = 0, mv = 0;
    for (size_t i = 0; i < a->n_out; i++) {
        double e = fabs((double)o[i] - a->ecl_out[i]);
        if (e > d) d = e;
        if (fabs(a->ecl_out[i]) > mv) mv = fabs(a->ecl_out[i]);
    }
    int bad;
    if (a->out_scale > 0) {
        long lsb = lround(d / a->out_scale);
        size_t t_ort = argmax(o, a->n_out), t_ecl = argmax(a->ecl_out, a->n_out);
        bad = lsb > ORT_PEER_MAX_LSB;
        printf("ORT vs edgecl output: max |diff| %.3g = %ld LSB of the quantised output (scale "
               "%.3g); top-1 %zu vs %zu (%s)%s\n",
               d, lsb, a->out_scale, t_ort, t_ecl, t_ort == t_ecl ? "same" : "differs",
               bad ? "  MISMATCH" : "  OK");
    } else {
        bad = d > 1e-3 * (1 + mv);
        printf("ORT vs edgecl output: max |diff| %.3g (max |value| %.3g)%s\n", d, mv,
               bad ? "  MISMATCH" : "  OK");
    }
    free(o);
    return bad;
}

static void print_rows(const struct ort_peer_args *a, const double ms[3], const double mn[3],
                       const double cpu[3]) {
    printf("\n%-26s %10s %10s %10s %10s %12s\n",
           a->out_scale > 0 ? "onnxruntime 1.30 int8 QDQ" : "onnxruntime 1.30 (CPU)", "median ms",
           "min ms", "cpu ms", a->out_scale > 0 ? "GOP/s" : "GFLOP/s", "edgecl/ORT");
    for (int t = 1; t <= 2; t++) {
        double gf = 2 * a->macs / (ms[t] * 1e-3) * 1e-9;
        double ecl = a->ecl_median_ms[t];
        printf("ORT, %d thread%s %13s %10.2f %10.2f %10.2f %10.1f %11.2fx\n", t, t > 1 ? "s" : " ",
               "", ms[t], mn[t], cpu[t], gf, ecl > 0 ? ecl / ms[t] : 0);
    }
    if (a->ecl_median_ms[1] > 0 && mn[1] > 0)
        printf("edgecl/ORT %s, 1 thread: %.2fx by median, %.2fx by min, %.2fx by CPU time\n",
               a->label, a->ecl_median_ms[1] / ms[1], a->ecl_min_ms1 / mn[1],
               cpu[1] > 0 ? a->ecl_cpu_ms1 / cpu[1] : 0);
    if (a->ecl_median_ms[2] > 0 && ms[2] > 0)
        printf("edgecl/ORT %s, 2 threads: %.2fx by median\n", a->label,
               a->ecl_median_ms[2] / ms[2]);
}

int ort_peer_run(const struct ort_peer_args *a) {
    char in_path[] = "/tmp/ecl_bench_in_XXXXXX", out_path[] = "/tmp/ecl_bench_out_XXXXXX";
    int fi = mkstemp(in_path), fo = mkstemp(out_path);
    if (fo >= 0) close(fo);
    if (fi < 0 || fo < 0 || write_nchw(a, in_path, fi) != 0) {
        fprintf(stderr, "bench_backbone: cannot create temp files for ORT\n");
        if (fi >= 0) unlink(in_path);
        if (fo >= 0) unlink(out_path);
        return 1;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "node '%s/bench/ort_bench.mjs' --model '%s' --threads 1,2 --runs %d --warmup %d "
             "--input '%s' --dump-output '%s'",
             ECL_SOURCE_DIR, a->onnx_path, a->runs, a->warmup > 0 ? a->warmup : 1, in_path,
             out_path);
    FILE *p = popen(cmd, "r");
    double ms[3] = {0}, mn[3] = {0}, cpu[3] = {0};
    char line[256];
    while (p && fgets(line, sizeof line, p)) {
        int t;
        double med, lo = 0, c = 0;
        if (sscanf(line, "ort threads=%d median_ms=%lf min_ms=%lf cpu_ms=%lf", &t, &med, &lo, &c) >=
                2 &&
            t >= 1 && t <= 2)
            ms[t] = med, mn[t] = lo, cpu[t] = c;
    }
    int prc = p ? pclose(p) : -1, rc;
    if (prc != 0 || ms[1] <= 0) {
        printf("ORT     failed (%s; needs node, scripts/fetch-npm.sh onnxruntime-node "
               "onnxruntime-common, and %s)\n",
               p ? "ort_bench.mjs exited with an error" : "cannot start node", a->onnx_path);
        rc = 1;
    } else {
        print_rows(a, ms, mn, cpu);
        rc = compare(a, out_path);
    }
    unlink(in_path);
    unlink(out_path);
    return rc;
}
