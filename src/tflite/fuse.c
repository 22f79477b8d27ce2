/* src/tflite/fuse.c - an inverted-residual block's expand 1x1 CONV_2D -> DEPTHWISE_CONV_2D ->
 * project 1x1 CONV_2D, run band by band.
 *
 * On a large map the expanded tensor does not fit in a core's cache (MobileNetV2's first block:
 * 112x112x96, 4.8 MB in float), so the three layers as written stream it to memory and back
 * twice. Fused, each thread takes a contiguous range of the depthwise's output rows and walks it
 * in bands of a few rows: the expand conv computes the input rows the band needs into a small
 * buffer (the rows the previous band already computed are moved to its start, not recomputed),
 * the depthwise writes the band into a second buffer, and the project conv writes the band's
 * rows of the block's output. Both buffers stay in the core's cache; the two inner tensors get no
 * arena memory at all. The kernels are the table's own, called on row ranges (a 1x1 conv on rows
 * [r0, r1) is the conv of that many rows; the depthwise reads its band with the padding shifted),
 * so every output element is computed as in the unfused run: the same bytes (tests/test_fuse.c).
 *
 * Fused when: the three are consecutive in the run order, all float (optimised kernels) or all
 * int8 (prepare marks them: ecl_prep_fusable), each inner tensor is read only by the next op and
 * is not a requested output, batch 1, and the expanded tensor is large (ECL_FUSE_MIN_*).
 * Scratch: per thread, the expand buffer (2 * band + 4 rows: stride <= 2, filter <= 5 rows) and
 * the depthwise band; band rows such that the expand buffer is about ECL_FUSE_BUF_BYTES. */
#include <string.h>
#include "tflite/build.h"
#include "tflite/ops/ops.h"

/* the smallest expanded tensor fused: float 128 KB (MobileNetV2 224: the blocks down to 7x7),
 * int8 2 MB (at 224x224 its largest, 1.2 MB, ran no faster fused: int8 rows are 4x smaller and
 * stay in the caches; larger inputs, e.g. DeepLab's 513x513, are fused) */
#define ECL_FUSE_MIN_F32 (128u * 1024u)
#define ECL_FUSE_MIN_I8 (2048u * 1024u)
#define ECL_FUSE_BUF_BYTES (384u * 1024u)

struct ecl_fuse {
    struct ecl_node a_node; /* the expand op's node as prepared (its slot now runs this) */
    const struct ecl_node *a, *b, *c; /* expand, depthwise, project */
    int32_t band;                     /* depthwise output rows per band */
    size_t e_bytes, slot;             /* expand buffer; bytes per thread */
    int32_t slots;
    int i8;
};

static size_t align64(size_t n) {
    return (n + 63) & ~(size_t)63;
}

/* A 1x1 conv of node n on rows rows of width w: in -> out. */
static void pointwise(const struct ecl_exec *x, const struct ecl_kctx *kc, const struct ecl_node *n,
                      int i8, const void *in, int32_t rows, void *out) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *w = ecl_in(x, n, 1), *bias = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    struct ecl_shape4 is = {1, rows, d->is.w, d->is.c}, os = {1, rows, d->os.w, d->os.c};
    if (i8)
        x->k->conv2d_i8(kc, &d->p, in, is, w->data, d->ws, bias ? bias->data : NULL, out, os);
    else
        x->k->conv2d_f32(kc, &d->p, in, is, w->data, d->ws, bias ? bias->data : NULL, out, os);
}

/* The depthwise of node n for output rows [o0, o1), its input rows [lo, hi) at in. */
static void depthwise(const struct ecl_exec *x, const struct ecl_kctx *kc, const struct ecl_node *n,
                      int i8, const void *in, int32_t lo, int32_t hi, int32_t o0, int32_t o1,
                      void *out) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *w = ecl_in(x, n, 1), *bias = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    struct ecl_conv_params p = d->p;
    p.pad_top = d->p.pad_top + lo - o0 * d->p.stride_h; /* >= 0: lo >= o0 * s - pad_top */
    struct ecl_shape4 is = {1, hi - lo, d->is.w, d->is.c}, os = {1, o1 - o0, d->os.w, d->os.c};
    if (i8)
        x->k->dwconv_i8(kc, &p, in, is, w->data, d->ws, bias ? bias->data : NULL, out, os);
    else
        x->k->dwconv_f32(kc, &p, in, is, w->data, d->ws, bias ? bias->data : NULL, out, os);
}

/* Output rows [o_begin, o_end) of the block with scratch slot `slot`. */
static void fuse_rows(const struct ecl_exec *x, const struct ecl_fuse *f, int slot, int32_t o_begin,
                      int32_t o_end) {
    const struct ecl_conv_data *db = f->b->data;
    const size_t es = f->i8 ? 1 : 4;
    const int32_t H = db->is.h, s = db->p.stride_h, pt = db->p.pad_top, kh = db->ws.h;
    const size_t re = (size_t)db->is.w * db->is.c * es; /* one expanded row */
    const struct ecl_conv_data *da = f->a->data, *dc = f->c->data;
    const size_t rx = (size_t)da->is.w * da->is.c * es, ry = (size_t)dc->os.w * dc->os.c * es;
    const uint8_t *xin = ecl_in(x, f->a, 0)->data;
    uint8_t *y = ecl_out(x, f->c, 0)->data;
    uint8_t *e = (uint8_t *)x->kc->scratch + (size_t)slot * f->slot, *dbuf = e + f->e_bytes;
    struct ecl_kctx one;
    memset(&one, 0, sizeof one);
    one.n_threads = 1;
    int32_t e_lo = 0, e_hi = 0; /* expanded rows held in e */
    for (int32_t o0 = o_begin; o0 < o_end; o0 += f->band) {
        int32_t o1 = o0 + f->band < o_end ? o0 + f->band : o_end;
        int32_t lo = o0 * s - pt, hi = (o1 - 1) * s - pt + kh;
        lo = lo < 0 ? 0 : lo;
        hi = hi > H ? H : hi;
        int32_t from = lo;
        if (e_hi > lo && e_lo <= lo) { /* the rows the previous band computed */
            memmove(e, e + (size_t)(lo - e_lo) * re, (size_t)(e_hi - lo) * re);
            from = e_hi;
        }
        if (hi > from)
            pointwise(x, &one, f->a, f->i8, xin + (size_t)from * rx, hi - from,
                      e + (size_t)(from - lo) * re);
        e_lo = lo, e_hi = hi;
        depthwise(x, &one, f->b, f->i8, e, lo, hi, o0, o1, dbuf);
        pointwise(x, &one, f->c, f->i8, dbuf, o1 - o0, y + (size_t)o0 * ry);
    }
}

struct fuse_job {
    const struct ecl_exec *x;
    const struct ecl_fuse *f;
    int items;
    int32_t rows;
};

static void fuse_task(void *ctx, int begin, int end) {
    const struct fuse_job *j = ctx;
    for (int it = begin; it < end; it++)
        fuse_rows(j->x, j->f, it, (int32_t)((int64_t)j->rows * it / j->items),
                  (int32_t)((int64_t)j->rows * (it + 1) / j->items));
}

static enum ecl_status fuse_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_fuse *f = n->data;
    const struct ecl_conv_data *db = f->b->data;
    int t = x->kc->parallel_for && x->kc->n_threads > 1 ? x->kc->n_threads : 1;
    struct fuse_job j = {x, f, t < f->slots ? t : f->slots, db->os.h};
    if (j.items > j.rows) j.items = j.rows;
    ecl_kctx_run(x->kc, j.items, fuse_task, &j);
    return ECL_OK;
}

static enum ecl_status fuse_nop(const struct ecl_exec *x, const struct ecl_node *n) {
    (void)x, (void)n;
    return ECL_OK;
}

/* Output 0 of file op i and its 4-D view; 0 if not a plain 4-D activation. */
static int op_out(struct ecl_build *b, int32_t i, int32_t *t, struct ecl_tensor *v) {
    struct tfl_op op;
    if (!ecl_tfl_read_op(b->m, i, &op) || op.outputs.len != 1) return 0;
    struct fb_buf fb = {b->m->buf, b->m->len};
    *t = fb_vec_i32(&fb, &op.outputs, 0);
    return *t >= 0 && ecl_graph_view(b, *t, v) && v->ndims == 4 && !v->is_const;
}

static int op_in0(struct ecl_build *b, int32_t i) {
    struct tfl_op op;
    if (!ecl_tfl_read_op(b->m, i, &op)) return -1;
    return ecl_graph_op_input(b, i, &op, 0);
}

/* The fused block's scratch and record if ops ia, ib, ic (file indices) form one; 1 if so. */
static int try_fuse(struct ecl_build *b, int32_t ia, int32_t ib, int32_t ic,
                    struct ecl_fuse **rec) {
    struct ecl_plan *pl = b->pl;
    int i8 = pl->ckind[ia] == ECL_FUSE_PW_I8;
    if (pl->ckind[ia] != (i8 ? ECL_FUSE_PW_I8 : ECL_FUSE_PW_F32) ||
        pl->ckind[ib] != (i8 ? ECL_FUSE_DW_I8 : ECL_FUSE_DW_F32) || pl->ckind[ic] != pl->ckind[ia])
        return 0;
    int32_t te, td;
    struct ecl_tensor ve, vd;
    if (!op_out(b, ia, &te, &ve) || !op_out(b, ib, &td, &vd) || op_in0(b, ib) != te ||
        op_in0(b, ic) != td || pl->nread[te] != 1 || pl->nread[td] != 1 || pl->is_out[te] ||
        pl->is_out[td] || ve.dims[0] != 1 || ve.bytes < (i8 ? ECL_FUSE_MIN_I8 : ECL_FUSE_MIN_F32))
        return 0;
    size_t re = (size_t)ve.dims[2] * ve.dims[3] * (i8 ? 1 : 4);
    size_t fit = ECL_FUSE_BUF_BYTES / (re ? re : 1);
    int32_t band = fit > 6 ? (int32_t)((fit - 4) / 2) : 1;
    struct ecl_fuse *f = ecl_bump_alloc(&b->bump, sizeof *f);
    int slots = b->o.parallel_for && b->o.n_threads > 1 ? b->o.n_threads : 1;
    size_t e_bytes = align64((size_t)(2 * band + 4) * re);
    size_t slot = e_bytes + align64((size_t)band * vd.dims[2] * vd.dims[3] * (i8 ? 1 : 4));
    if ((size_t)slots * slot > b->scratch) b->scratch = (size_t)slots * slot;
    pl->need_t[te] = pl->need_t[td] = 0; /* no arena memory */
    if (f) {
        memset(f, 0, sizeof *f);
        f->band = band, f->e_bytes = e_bytes, f->slot = slot, f->slots = slots, f->i8 = i8;
    }
    *rec = f;
    return 1;
}

int32_t ecl_pass_fuse(struct ecl_build *b, struct ecl_node *N, int32_t n_run) {
    struct ecl_plan *pl = b->pl;
    struct tfl_op op;
    int32_t r = 0, fused = 0;
    for (uint32_t i = 0; i < b->m->n_ops; i++) { /* run order -> file op; readers */
        if (!pl->need_op[i] || !ecl_tfl_read_op(b->m, (int32_t)i, &op)) continue;
        pl->order[r++] = (uint16_t)i;
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            int32_t t = ecl_graph_op_input(b, (int32_t)i, &op, q);
            if (t >= 0 && pl->nread[t] < 255) pl->nread[t]++;
        }
    }
    for (int32_t k = 0; k + 2 < r && k + 2 < n_run; k++) {
        struct ecl_fuse *f = NULL;
        if (!try_fuse(b, pl->order[k], pl->order[k + 1], pl->order[k + 2], &f)) continue;
        /* the block's output is written at the expand's place in the run */
        struct ecl_tensor vy;
        int32_t ty;
        if (op_out(b, pl->order[k + 2], &ty, &vy)) pl->prod[ty] = (int16_t)k;
        if (N && f) {
            f->a_node = N[k];
            f->a = &f->a_node, f->b = &N[k + 1], f->c = &N[k + 2];
            N[k].eval = fuse_eval, N[k].data = f;
            N[k + 1].eval = N[k + 2].eval = fuse_nop;
        }
        fused++;
        k += 2;
    }
    return fused;
}
