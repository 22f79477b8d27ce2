/* bench/ort_peer.h - ONNX Runtime as bench_backbone's peer: runs bench/ort_bench.mjs on the same
 * input, prints ORT's latency beside edgecl's (ratio edgecl/ORT per thread count) and how far
 * ORT's output is from edgecl's (for an int8/uint8 output: in output LSBs, and top-1).
 *
 *   struct ort_peer_args a = {.onnx_path = "models/mobilenet_v2_int8.onnx", .label = "int8",
 *                             .runs = 30, .warmup = 3, .input = in, .h = 224, .w = 224, .c = 3,
 *                             .ecl_out = out, .n_out = 5, .out_scale = 1 / 256.0f, ...};
 *   int rc = ort_peer_run(&a);   // 0: ORT ran and its output agrees with edgecl's
 */
#ifndef ECL_BENCH_ORT_PEER_H
#define ECL_BENCH_ORT_PEER_H
#include <stddef.h>

struct ort_peer_args {
    const char *onnx_path; /* the same network as ONNX (onnx_export.mjs / onnx_int8_export.mjs) */
    const char *label;     /* "float32" or "int8": printed in the table header */
    int runs, warmup;
    const float *input; /* NHWC floats, h*w*c */
    int h, w, c;
    const float *ecl_out; /* edgecl's output on that input (optimised kernels), n_out floats */
    size_t n_out;
    double ecl_median_ms[3], ecl_min_ms1, ecl_cpu_ms1; /* [1], [2]: 1 and 2 threads; 0 = failed */
    double macs;     /* per image, for the GFLOP/s (GOP/s) column */
    float out_scale; /* > 0: the output is quantised with this scale: diff in LSBs */
};

int ort_peer_run(const struct ort_peer_args *a);

#endif
