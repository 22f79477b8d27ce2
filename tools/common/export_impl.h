/* tools/common/export_impl.h - the exporter's internals shared by export.c (the graph: the
 * backbone's part and the classifier) and export_write.c (the FlatBuffers output). */
#ifndef EDGECL_TOOLS_EXPORT_IMPL_H
#define EDGECL_TOOLS_EXPORT_IMPL_H

#include "edgecl/model.h"
#include "export.h"
#include "fbwrite.h"
#include "tflite/tfl.h"

#define MAX_IO 64

/* A tensor of the exported graph: copied from the model (src >= 0) or new. */
struct xt {
    const char *name;
    int32_t type, ndims, dims[ECL_MAX_DIMS];
    const void *data;
    size_t len;
    const uint8_t *scales, *zps; /* raw float32 / int64 vectors in the model file */
    uint32_t n_scales, n_zps;
    int32_t qdim;
};

/* An operator of the exported graph; options copied from the model or written for new ops. */
struct xop {
    int32_t builtin, version;
    int n_in, n_out;
    int32_t in[MAX_IO], out[4];
    uint8_t opt_type;
    int src_opts; /* 1: copy `opts` from the model */
    struct fb_table opts;
    uint8_t act;   /* FULLY_CONNECTED */
    float beta;    /* SOFTMAX */
    int32_t shape; /* RESHAPE: 1 x shape */
};

struct ex {
    const struct ecl_model *m;
    struct fb_buf b;
    struct xt *t;
    uint32_t nt, ct;
    struct xop *op;
    uint32_t nop, cop;
    float *owned[2 * (ECL_HEAD_MAX_HIDDEN + 1) + 2];
    int n_owned;
    int32_t consts[4]; /* MEAN axes, RESHAPE shape */
    char *err;
    size_t errlen;
};

/* TFLite metadata (export_meta.c). */
#define EXPORT_LABELS_FILE "labels.txt"
struct export_meta {
    int32_t in_w, in_h;
    int has_norm; /* input normalisation (x - mean) / std for float inputs */
    float mean, std;
    const char *in_desc, *desc;
};
/* The ModelMetadata flatbuffer ("M001"), malloc'd; NULL if out of memory. */
uint8_t *export_metadata_(const struct export_meta *mi, size_t *len);
/* model followed by a stored zip holding one file (the metadata's associated file). */
uint8_t *export_zip_append_(const uint8_t *model, size_t len, const char *name, const void *data,
                            size_t n, size_t *out_len);

/* A one-line message into x->err (fmt has one %s); returns st. */
enum ecl_status export_fail_(struct ex *x, enum ecl_status st, const char *fmt, const char *a);
/* The whole model (tensors, operators, buffers, metadata) into w; *root for fbw_finish. */
enum ecl_status export_write_model_(struct ex *x, struct fbw *w, int32_t in_t, int32_t out_t,
                                    const uint8_t *meta, size_t meta_len, const char *desc,
                                    uint32_t *root);

#endif
