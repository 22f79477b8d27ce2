/* Ops that only change the declared shape: RESHAPE (new shape from the options or the second
 * input; the declared output shape is authoritative and its element count must match),
 * SQUEEZE, EXPAND_DIMS. The data is copied as bytes. */
#include "tflite/ops/ops.h"

static enum ecl_status copy_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    if (out->data != in->data) memmove(out->data, in->data, out->bytes);
    return ECL_OK;
}

enum ecl_status ecl_prep_reshape(struct ecl_prep *p) {
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->type != out->type || in->count != out->count)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size or type differs from input");
    p->eval = copy_eval;
    return ECL_OK;
}
