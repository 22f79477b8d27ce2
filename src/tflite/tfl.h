/* src/tflite/tfl.h - TFLite schema v3 constants and internal helpers shared by the model
 * reader (model.c) and the interpreter (interp.c). Field indices follow schema.fbs. */
#ifndef EDGECL_TFLITE_TFL_H
#define EDGECL_TFLITE_TFL_H

#include "edgecl/model.h"
#include "tflite/builtins.h"
#include "tflite/fb.h"

/* Model */
enum {
    MODEL_VERSION = 0,
    MODEL_OPCODES = 1,
    MODEL_SUBGRAPHS = 2,
    MODEL_DESC = 3,
    MODEL_BUFFERS = 4
};
/* OperatorCode */
enum { OPC_DEPRECATED = 0, OPC_CUSTOM = 1, OPC_VERSION = 2, OPC_BUILTIN = 3 };
/* SubGraph */
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
/* Tensor */
enum { TEN_SHAPE = 0, TEN_TYPE = 1, TEN_BUFFER = 2, TEN_NAME = 3, TEN_QUANT = 4 };
/* QuantizationParameters */
enum {
    Q_MIN = 0,
    Q_MAX = 1,
    Q_SCALE = 2,
    Q_ZERO = 3,
    Q_DETAILS_TYPE = 4,
    Q_DETAILS = 5,
    Q_DIM = 6
};
/* Operator */
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPT_TYPE = 3, OP_OPTIONS = 4 };
/* Buffer */
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };

/* ActivationFunctionType */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU_N1_TO_1 = 2, ACT_RELU6 = 3 };
/* Padding */
enum { PAD_SAME = 0, PAD_VALID = 1 };

/* A fully read tensor record. */
struct tfl_tensor {
    struct ecl_tensor_info info;
    const uint8_t *data; /* constant data in the buffer, NULL if none */
    size_t data_len;
    struct fb_vec scales, zps; /* float / int64 vectors (per-channel) */
};

struct tfl_op {
    int32_t builtin;
    const char *custom;
    struct fb_vec inputs, outputs;
    uint8_t opt_type;
    int has_opts;
    struct fb_table opts;
};

/* Error messages without stdio: append pieces to a bounded buffer. */
struct msg {
    char *s;
    size_t cap, len;
};
void ecl_msg_init(struct msg *m, char *buf, size_t cap);
void ecl_msg_str(struct msg *m, const char *s);
void ecl_msg_int(struct msg *m, int64_t v);
/* An operator's name for messages: "CONV_2D"; a custom op's custom_code; "unknown op 201" for a
 * builtin code beyond the table of names (ecl_builtin_name() says only "UNKNOWN"). */
void ecl_msg_op_name(struct msg *m, int32_t builtin, const char *custom);
int ecl_builtin_known(int32_t code); /* 1 if ecl_builtin_name() has a name for it */

int ecl_tfl_read_tensor(const struct ecl_model *m, int32_t i, struct tfl_tensor *t);
int ecl_tfl_read_op(const struct ecl_model *m, int32_t i, struct tfl_op *op);
size_t ecl_tfl_dtype_size(int32_t type); /* 0 if unsupported */

/* Element types (TFLite TensorType numbering): the table in dtype.c. */
struct ecl_dtype_traits {
    const char *name;   /* "float32", "uint8", ... */
    uint8_t size;       /* bytes per element */
    int32_t qmin, qmax; /* integer range (quantised types), 0/0 otherwise */
};
/* NULL for a type edgecl cannot hold (string, complex, resource, ...). */
const struct ecl_dtype_traits *ecl_dtype_traits(int32_t type);

#endif
