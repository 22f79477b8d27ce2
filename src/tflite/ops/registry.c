/* The op registry: one row per builtin operator edgecl runs. Everything else about "is this op
 * supported" (ecl_builtin_supported, the refusal of an unsupported op by name, `edgecl inspect`)
 * is derived from this table.
 *
 * Columns: builtin name; inputs min, max (-1: up to 64); outputs min, max; optional inputs
 * (bit k: input k may be omitted, index -1); accepted types of input 0 (after uint8 lowering:
 * T_I8 covers uint8 models); BuiltinOptions table read (NONE: none); per-op data struct;
 * prepare function (it picks the eval function for the types it finds).
 *
 * Adding an op: write its prepare/eval in its group's file (ops.h lists them) and add its row.
 */
#include "tflite/ops/ops.h"

#define Q T_I8
#define FQ (T_F32 | T_I8)
#define NUM (T_F32 | T_I8 | T_I32 | T_I64)

/* clang-format off */
#define ECL_OP_TABLE(X)                                                                            \
    X(ADD,                     2, 2, 1, 1, 0, NUM, AddOptions,            ecl_binary_data, ecl_prep_binary)  \
    X(SUB,                     2, 2, 1, 1, 0, NUM, SubOptions,            ecl_binary_data, ecl_prep_binary)  \
    X(MUL,                     2, 2, 1, 1, 0, NUM, MulOptions,            ecl_binary_data, ecl_prep_binary)  \
    X(DIV,                     2, 2, 1, 1, 0, NUM, DivOptions,            ecl_binary_data, ecl_prep_binary)  \
    X(SQUARED_DIFFERENCE,      2, 2, 1, 1, 0, NUM, SquaredDifferenceOptions, ecl_binary_data, ecl_prep_binary) \
    X(MAXIMUM,                 2, 2, 1, 1, 0, NUM, MaximumMinimumOptions, ecl_binary_data, ecl_prep_binary)  \
    X(MINIMUM,                 2, 2, 1, 1, 0, NUM, MaximumMinimumOptions, ecl_binary_data, ecl_prep_binary)  \
    X(POW,                     2, 2, 1, 1, 0, T_F32 | T_I32, PowOptions,  ecl_binary_data, ecl_prep_binary)  \
    X(FLOOR_DIV,               2, 2, 1, 1, 0, T_F32 | T_I32, FloorDivOptions, ecl_binary_data, ecl_prep_binary) \
    X(FLOOR_MOD,               2, 2, 1, 1, 0, T_F32 | T_I32 | T_I64, FloorModOptions, ecl_binary_data, ecl_prep_binary) \
    X(CONV_2D,                 2, 3, 1, 1, 4, FQ,  Conv2DOptions,         ecl_conv_data,   ecl_prep_conv)    \
    X(DEPTHWISE_CONV_2D,       2, 3, 1, 1, 4, FQ,  DepthwiseConv2DOptions, ecl_conv_data,  ecl_prep_conv)    \
    X(FULLY_CONNECTED,         2, 3, 1, 1, 4, FQ,  FullyConnectedOptions, ecl_fc_data,     ecl_prep_fc)      \
    X(AVERAGE_POOL_2D,         1, 1, 1, 1, 0, FQ,  Pool2DOptions,         ecl_pool_data,   ecl_prep_pool)    \
    X(MAX_POOL_2D,             1, 1, 1, 1, 0, FQ,  Pool2DOptions,         ecl_pool_data,   ecl_prep_pool)    \
    X(RELU,                    1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(RELU6,                   1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(RELU_N1_TO_1,            1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(LEAKY_RELU,              1, 1, 1, 1, 0, FQ,  LeakyReluOptions,      ecl_unary_data,  ecl_prep_unary)   \
    X(LOGISTIC,                1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(TANH,                    1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(HARD_SWISH,              1, 1, 1, 1, 0, FQ,  HardSwishOptions,      ecl_unary_data,  ecl_prep_unary)   \
    X(ELU,                     1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(EXP,                     1, 1, 1, 1, 0, FQ,  ExpOptions,            ecl_unary_data,  ecl_prep_unary)   \
    X(LOG,                     1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(SQRT,                    1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(RSQRT,                   1, 1, 1, 1, 0, FQ,  NONE,                  ecl_unary_data,  ecl_prep_unary)   \
    X(NEG,                     1, 1, 1, 1, 0, FQ,  NegOptions,            ecl_unary_data,  ecl_prep_unary)   \
    X(ABS,                     1, 1, 1, 1, 0, FQ,  AbsOptions,            ecl_unary_data,  ecl_prep_unary)   \
    X(SQUARE,                  1, 1, 1, 1, 0, T_F32, SquareOptions,       ecl_unary_data,  ecl_prep_unary)   \
    X(FLOOR,                   1, 1, 1, 1, 0, T_F32, NONE,                ecl_unary_data,  ecl_prep_unary)   \
    X(CEIL,                    1, 1, 1, 1, 0, T_F32, NONE,                ecl_unary_data,  ecl_prep_unary)   \
    X(ROUND,                   1, 1, 1, 1, 0, T_F32, NONE,                ecl_unary_data,  ecl_prep_unary)   \
    X(SIN,                     1, 1, 1, 1, 0, T_F32, NONE,                ecl_unary_data,  ecl_prep_unary)   \
    X(COS,                     1, 1, 1, 1, 0, T_F32, CosOptions,          ecl_unary_data,  ecl_prep_unary)   \
    X(MEAN,                    2, 2, 1, 1, 0, NUM, ReducerOptions,        ecl_reduce_data, ecl_prep_reduce)  \
    X(SUM,                     2, 2, 1, 1, 0, NUM, ReducerOptions,        ecl_reduce_data, ecl_prep_reduce)  \
    X(REDUCE_MAX,              2, 2, 1, 1, 0, NUM, ReducerOptions,        ecl_reduce_data, ecl_prep_reduce)  \
    X(REDUCE_MIN,              2, 2, 1, 1, 0, NUM, ReducerOptions,        ecl_reduce_data, ecl_prep_reduce)  \
    X(REDUCE_PROD,             2, 2, 1, 1, 0, NUM, ReducerOptions,        ecl_reduce_data, ecl_prep_reduce)  \
    X(ARG_MAX,                 2, 2, 1, 1, 0, NUM, ArgMaxOptions,         ecl_arg_data,    ecl_prep_arg)     \
    X(ARG_MIN,                 2, 2, 1, 1, 0, NUM, ArgMinOptions,         ecl_arg_data,    ecl_prep_arg)     \
    X(SOFTMAX,                 1, 1, 1, 1, 0, FQ,  SoftmaxOptions,        ecl_softmax_data, ecl_prep_softmax) \
    X(RESHAPE,                 1, 2, 1, 1, 2, T_ANY, ReshapeOptions,      ecl_no_data,     ecl_prep_reshape) \
    X(SQUEEZE,                 1, 1, 1, 1, 0, T_ANY, SqueezeOptions,      ecl_no_data,     ecl_prep_reshape) \
    X(EXPAND_DIMS,             2, 2, 1, 1, 0, T_ANY, ExpandDimsOptions,   ecl_no_data,     ecl_prep_reshape) \
    X(PAD,                     2, 2, 1, 1, 0, T_ANY, PadOptions,          ecl_move_data,   ecl_prep_pad)     \
    X(PADV2,                   2, 3, 1, 1, 4, T_ANY, PadV2Options,        ecl_move_data,   ecl_prep_pad)     \
    X(CONCATENATION,           1,-1, 1, 1, 0, T_ANY, ConcatenationOptions, ecl_concat_data, ecl_prep_concat) \
    X(MIRROR_PAD,              2, 2, 1, 1, 0, T_ANY, MirrorPadOptions,    ecl_mirror_data, ecl_prep_mirror_pad) \
    X(TRANSPOSE,               2, 2, 1, 1, 0, T_ANY, TransposeOptions,    ecl_walk_data,   ecl_prep_transpose) \
    X(SLICE,                   3, 3, 1, 1, 0, T_ANY, SliceOptions,        ecl_walk_data,   ecl_prep_slice)   \
    X(STRIDED_SLICE,           4, 4, 1, 1, 0, T_ANY, StridedSliceOptions, ecl_walk_data,   ecl_prep_strided_slice) \
    X(SPLIT,                   2, 2, 1,-1, 0, T_I32 | T_I64, SplitOptions, ecl_split_data, ecl_prep_split)   \
    X(SPLIT_V,                 3, 3, 1,-1, 0, T_ANY, SplitVOptions,       ecl_split_data,  ecl_prep_split_v) \
    X(UNPACK,                  1, 1, 1,-1, 0, T_ANY, UnpackOptions,       ecl_split_data,  ecl_prep_unpack)  \
    X(PACK,                    1,-1, 1, 1, 0, T_ANY, PackOptions,         ecl_split_data,  ecl_prep_pack)    \
    X(GATHER,                  2, 2, 1, 1, 0, T_ANY, GatherOptions,       ecl_gather_data, ecl_prep_gather)  \
    X(QUANTIZE,                1, 1, 1, 1, 0, FQ,  QuantizeOptions,       ecl_quant_data,  ecl_prep_quantize) \
    X(DEQUANTIZE,              1, 1, 1, 1, 0, T_I8 | T_F16 | T_I16, DequantizeOptions, ecl_quant_data, ecl_prep_dequantize) \
    X(RESIZE_BILINEAR,         2, 2, 1, 1, 0, FQ,  ResizeBilinearOptions, ecl_resize_data, ecl_prep_resize)  \
    X(RESIZE_NEAREST_NEIGHBOR, 2, 2, 1, 1, 0, FQ | T_I16, ResizeNearestNeighborOptions, ecl_resize_data, ecl_prep_resize) \
    X(CAST,                    1, 1, 1, 1, 0, NUM | T_I16 | T_BOOL, CastOptions, ecl_cast_data, ecl_prep_cast) \
    X(SHAPE,                   1, 1, 1, 1, 0, T_ANY, ShapeOptions,        ecl_no_data,     ecl_prep_shape)   \
    X(FILL,                    2, 2, 1, 1, 0, T_I32 | T_I64, FillOptions, ecl_no_data,     ecl_prep_fill) \
    X(PRELU,                   2, 2, 1, 1, 0, FQ,  NONE,                  ecl_binary_data, ecl_prep_prelu)   \
    X(LOG_SOFTMAX,             1, 1, 1, 1, 0, FQ,  LogSoftmaxOptions,     ecl_softmax_data, ecl_prep_log_softmax) \
    X(L2_NORMALIZATION,        1, 1, 1, 1, 0, FQ,  L2NormOptions,         ecl_softmax_data, ecl_prep_l2norm) \
    X(BATCH_MATMUL,            2, 2, 1, 1, 0, FQ,  BatchMatMulOptions,    ecl_bmm_data,    ecl_prep_batch_matmul)
/* clang-format on */

#define ECL_X_DECL(name, a, b, c, d, e, f, g, data, prep) enum ecl_status prep(struct ecl_prep *p);
ECL_OP_TABLE(ECL_X_DECL)
#undef ECL_X_DECL

#define ECL_X_ROW(name, min_in, max_in, min_out, max_out, opt, types, bo, data, prep)              \
    [ECL_OP_##name] = {                                                                            \
        #name, min_in, max_in, min_out, max_out, opt, types, ECL_BO_##bo, sizeof(struct data),     \
        prep},
static const struct ecl_op_reg REGISTRY[ECL_OP_COUNT] = {ECL_OP_TABLE(ECL_X_ROW)};
#undef ECL_X_ROW

const struct ecl_op_reg *ecl_op_lookup(int32_t builtin) {
    if (builtin < 0 || builtin >= ECL_OP_COUNT || !REGISTRY[builtin].prepare) return NULL;
    return &REGISTRY[builtin];
}
