/* bench/xnn_peer.h - XNNPACK as a peer runtime for edgecl's benchmarks (bench-only; needs
 * Debian's libxnnpack-dev, 0.0~git20220216).
 *
 * Builds the network of a .tflite file through XNNPACK's subgraph API, as TFLite's default CPU
 * delegate does: the model is read with edgecl's own model reader (tensors, quantisation,
 * weights in place in the file's buffer, operator options), every operator becomes an XNNPACK
 * node (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MEAN over H,W and a whole-map
 * AVERAGE_POOL_2D as global average pooling, AVERAGE_POOL_2D, PAD, RESHAPE/SQUEEZE, SOFTMAX,
 * QUANTIZE/DEQUANTIZE as conversions), float32, uint8 (qu8), int8 (qs8) and per-channel int8
 * (qc8) tensors. Where XNNPACK cannot take an operator (this version has no quantized SOFTMAX,
 * for instance) the graph ends before it, at that operator's input: info.last_tensor, with the
 * reason in info.stop. A leading QUANTIZE of the model input (uint8 pixels to int8) is done on
 * the host before the graph, as its own loop (timed with it).
 *
 *     struct xnn_peer *x; char err[200];
 *     if (xnn_peer_create(&model, 2, &x, err, sizeof err)) { puts(err); return; }   // 2 threads
 *     struct xnn_peer_info in; xnn_peer_get_info(x, &in);
 *     xnn_peer_run(x, pixels, n_bytes);                      // model input 0, declared type
 *     size_t n; const void *out = xnn_peer_output(x, &n);    // info.last_tensor, its type
 *     xnn_peer_destroy(x);
 */
#ifndef EDGECL_BENCH_XNN_PEER_H
#define EDGECL_BENCH_XNN_PEER_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/model.h"

struct xnn_peer_info {
    int32_t input_tensor; /* the model's input 0 */
    int32_t first_tensor; /* where XNNPACK's graph starts (input, or a leading QUANTIZE's out) */
    int32_t last_tensor;  /* where it ends: the model's output or the input of stop_op */
    int32_t n_ops;        /* model operators inside the XNNPACK graph */
    int32_t stop_op;      /* the operator that ended it early, -1 if none */
    int host_quantize;    /* 1: the leading QUANTIZE runs on the host */
    int threads;
    char stop[200]; /* why XNNPACK stopped at stop_op ("" if it did not) */
};

struct xnn_peer;

/* threads: 1 = the caller's thread only, >1 = a pthreadpool of that many threads. */
enum ecl_status xnn_peer_create(const struct ecl_model *m, int threads, struct xnn_peer **out,
                                char *err, size_t errlen);
void xnn_peer_get_info(const struct xnn_peer *x, struct xnn_peer_info *info);
/* input: model input 0 in its declared type (bytes must match). */
enum ecl_status xnn_peer_run(struct xnn_peer *x, const void *input, size_t bytes);
/* The last run's info.last_tensor, raw, in its declared type. */
const void *xnn_peer_output(const struct xnn_peer *x, size_t *bytes);
void xnn_peer_destroy(struct xnn_peer *x);

#endif
