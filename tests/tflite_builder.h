/* tests/tflite_builder.h - a small FlatBuffers writer that produces .tflite files (schema v3)
 * for tests and fuzz seeds. It writes front to back and patches offsets afterwards (every
 * reference points forward, as the format requires for unsigned offsets).
 *
 *     struct tb b; tb_init(&b);
 *     int32_t d[4] = {1, 4, 4, 3};
 *     int in = tb_tensor(&b, "input", TB_F32, 4, d, NULL, 0);
 *     int w = tb_tensor(&b, "w", TB_F32, 4, wd, wdata, sizeof wdata);
 *     ...
 *     struct tb_opt o[] = {{0, 1, PAD}, {1, 4, 1}, {2, 4, 1}, {3, 1, ACT}};
 *     tb_op(&b, 3, 3, (int[]){in, w, bias}, out, 1, o, 4);   // CONV_2D, Conv2DOptions
 *     tb_io(&b, in, out);
 *     size_t len; uint8_t *file = tb_finish(&b, &len);   // malloc'd; free() it
 *     tb_free(&b);
 */
#ifndef EDGECL_TESTS_TFLITE_BUILDER_H
#define EDGECL_TESTS_TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

enum {
    TB_F32 = 0,
    TB_F16 = 1,
    TB_I32 = 2,
    TB_U8 = 3,
    TB_I64 = 4,
    TB_BOOL = 6,
    TB_I16 = 7,
    TB_I8 = 9
};

#define TB_MAX 256

/* One scalar field of an options table: field index, size in bytes (1, 4), value. For a float
 * field put its bits in v via tb_f32bits(). [int] vector fields: tb_opt_vec(). */
struct tb_opt {
    int idx, size;
    int32_t v;
};
int32_t tb_f32bits(float f);

struct tb_tensor {
    char name[64];
    int type, ndims;
    int32_t dims[6];
    int buffer; /* 0 = none */
    int n_scales;
    float scales[1024];
    int64_t zps[1024];
    int qdim;
};

struct tb_op {
    int builtin, n_in, out, opt_type, n_opt, version;
    int in[64];
    int n_out, outs[64]; /* n_out 0: the single output `out` */
    struct tb_opt opt[8];
    int n_vec, vec_idx[4], vec_len[4];
    const int32_t *vec[4];
};

struct tb {
    struct tb_tensor *t;
    int nt;
    struct tb_op op[TB_MAX];
    int nop;
    const void *buf[TB_MAX];
    size_t buf_len[TB_MAX];
    int nbuf;
    int input, output;
    int n_inputs, inputs[64], n_outputs, outputs[64]; /* tb_io_multi; 0: input/output */
    int use_deprecated_only; /* write opcodes only as deprecated_builtin_code */
};

void tb_init(struct tb *b);
void tb_free(struct tb *b);
/* data (copied by reference: must live until tb_finish) may be NULL for activations. */
int tb_tensor(struct tb *b, const char *name, int type, int ndims, const int32_t *dims,
              const void *data, size_t len);
/* Quantisation: n scales (1 = per tensor), n zero points, quantized dimension. */
void tb_quant(struct tb *b, int tensor, int n, const float *scales, const int64_t *zps, int qdim);
int tb_op(struct tb *b, int builtin, int n_in, const int *in, int out, int opt_type,
          const struct tb_opt *opt, int n_opt);
void tb_io(struct tb *b, int input, int output);
/* An op with several outputs; its version (0: 1) in b->op[returned index].version. */
int tb_op_multi(struct tb *b, int builtin, int n_in, const int *in, int n_out, const int *out,
                int opt_type, const struct tb_opt *opt, int n_opt);
/* An [int] vector field of op k's options table (e.g. SqueezeOptions.squeeze_dims); the op must
 * have an options type. v must live until tb_finish. */
void tb_opt_vec(struct tb *b, int op, int idx, const int32_t *v, int n);
/* Several subgraph inputs and outputs. */
void tb_io_multi(struct tb *b, int n_in, const int *in, int n_out, const int *out);
uint8_t *tb_finish(struct tb *b, size_t *len);

/* The 9-op float chain shared by test_tflite_ops and the fuzz seeds:
 *   in[1,7,7,4] -> MUL(in, sc per channel) -> ADD(.., in)+RELU -> AVG 2x2 s1 SAME ->
 *   MAX 3x3 s2 VALID -> PAD 1 -> MEAN(h,w) keep_dims -> RESHAPE -> FC(5) -> SOFTMAX.
 * sc[TB_CHAIN_C], fw[TB_CHAIN_K * TB_CHAIN_C], fb[TB_CHAIN_K] are the constants (referenced,
 * not copied: they must live until tb_finish). Leaves b with inputs/outputs set. */
enum { TB_CHAIN_H = 7, TB_CHAIN_W = 7, TB_CHAIN_C = 4, TB_CHAIN_K = 5 };
void tb_build_chain_f32(struct tb *b, const float *sc, const float *fw, const float *fb);

#endif
