/* Planning: which operators the requested outputs depend on, whether the graph can run in file
 * order, and where every activation lives in the arena.
 *
 * Lifetimes: an activation lives from the op that writes it (graph inputs: from the start) to
 * the last op that reads it; requested outputs live to the end. Tensors are placed greedily,
 * largest first, at the lowest offset that does not overlap a tensor alive at the same time.
 *
 * Two threads (opts.n_threads == 2 with a parallel_for): the pool gives thread 0 the first half
 * of every operator's rows and thread 1 the second half (port_pool.c), so thread 0 writes the
 * first half of each output's bytes. With the greedy placement a later tensor reuses memory at
 * an unrelated offset, and about half of its lines were last written by the other core: every
 * such write first moves the line between the cores, which on this machine cost as much as
 * reading it from memory (2 threads ran 1.2-1.4x faster than 1, and 1.7-1.8x with no reuse at
 * all). So for two threads the tensors go into slots (the lowest slot whose tensor is dead, in
 * the order they are produced), each slot as large as its largest tensor, and every tensor is
 * centred in its slot: the memory below a slot's centre is then always written by thread 0 and
 * the memory above it by thread 1. The arena grows (MobileNetV2 float: see
 * docs/performance.md); results are the same bytes. */
#include <string.h>
#include "tflite/build.h"

static int is_graph_input(const struct ecl_model *m, int32_t t) {
    for (int32_t k = 0; k < ecl_model_n_inputs(m); k++)
        if (ecl_model_input_at(m, k) == t) return 1;
    return 0;
}

enum ecl_status ecl_plan_need(struct ecl_build *b) {
    const struct ecl_model *m = b->m;
    struct ecl_plan *pl = b->pl;
    struct fb_buf fb = {m->buf, m->len};
    struct tfl_op op;
    for (uint32_t i = 0; i < m->n_tensors; i++)
        pl->prod[i] = -1;
    for (int32_t k = 0; k < b->n_outputs; k++) {
        pl->is_out[b->outputs[k]] = 1;
        pl->need_t[b->outputs[k]] = 1;
    }
    /* forward: constant ops (candidates; confirmed below if something needs them) */
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!ecl_tfl_read_op(m, (int32_t)i, &op)) return ECL_EFORMAT;
        if (!ecl_pass_const_op(b, &op)) continue;
        pl->cfold[i] = 2;
        for (uint32_t q = 0; q < op.outputs.len; q++)
            pl->flag[fb_vec_i32(&fb, &op.outputs, q)] |= TF_FOLDED;
    }
    /* backward: ops are stored in execution order */
    for (int32_t i = (int32_t)m->n_ops - 1; i >= 0; i--) {
        ecl_tfl_read_op(m, i, &op);
        int needed = 0;
        for (uint32_t q = 0; q < op.outputs.len; q++)
            if (pl->need_t[fb_vec_i32(&fb, &op.outputs, q)]) needed = 1;
        if (!needed) {
            if (pl->cfold[i] == 2) pl->cfold[i] = 0;
            continue;
        }
        if (pl->cfold[i] == 2)
            pl->cfold[i] = 1;
        else
            pl->need_op[i] = 1;
        /* the op writes all its outputs (SPLIT, UNPACK, ...): each needs memory */
        for (uint32_t q = 0; q < op.outputs.len; q++) {
            int32_t t = fb_vec_i32(&fb, &op.outputs, q);
            if (t >= 0) pl->need_t[t] = 1;
        }
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            int32_t t = fb_vec_i32(&fb, &op.inputs, q);
            if (t >= 0) pl->need_t[t] = 1;
        }
    }
    return ECL_OK;
}

static enum ecl_status op_msg(struct msg *e, int32_t i, const char *what) {
    ecl_msg_str(e, "operator ");
    ecl_msg_int(e, i);
    ecl_msg_str(e, what);
    return ECL_ECORRUPT;
}

enum ecl_status ecl_plan_check(struct ecl_build *b, int32_t *n_run) {
    const struct ecl_model *m = b->m;
    struct ecl_plan *pl = b->pl;
    struct msg *e = b->e;
    struct fb_buf fb = {m->buf, m->len};
    struct tfl_tensor tt;
    struct tfl_op op;
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &tt)) {
            ecl_msg_str(e, "malformed tensor");
            return ECL_EFORMAT;
        }
        if (tt.info.is_const || (pl->flag[i] & TF_FOLDED) || is_graph_input(m, (int32_t)i))
            pl->avail[i] = 1;
    }
    int32_t r = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!pl->need_op[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        if (!ecl_op_lookup(op.builtin)) {
            if (op.builtin == ECL_OP_CUSTOM)
                ecl_msg_str(e, "unsupported custom op ");
            else if (ecl_builtin_known(op.builtin))
                ecl_msg_str(e, "unsupported op ");
            ecl_msg_op_name(e, op.builtin, op.custom);
            ecl_msg_str(e, " at operator ");
            ecl_msg_int(e, i);
            return ECL_EUNSUPPORTED;
        }
        if (op.inputs.len > ECL_OP_MAX_IO || op.outputs.len > ECL_OP_MAX_IO || op.outputs.len < 1) {
            op_msg(e, (int32_t)i, " has an unsupported number of inputs/outputs");
            return ECL_EUNSUPPORTED;
        }
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            int32_t t = ecl_graph_op_input(b, (int32_t)i, &op, q);
            if (t >= 0 && !pl->avail[t]) {
                op_msg(e, (int32_t)i, " reads ");
                ecl_graph_tensor_msg(e, m, t);
                ecl_msg_str(e, " before it is computed (cycle or missing producer)");
                return ECL_ECORRUPT;
            }
        }
        for (uint32_t q = 0; q < op.outputs.len; q++) {
            int32_t t = fb_vec_i32(&fb, &op.outputs, q);
            if (pl->avail[t]) {
                op_msg(e, (int32_t)i, " writes ");
                ecl_graph_tensor_msg(e, m, t);
                ecl_msg_str(e, ", which is a constant, an input or already written");
                return ECL_ECORRUPT;
            }
            pl->avail[t] = 1;
            pl->prod[t] = (int16_t)r;
        }
        r++;
    }
    for (int32_t k = 0; k < b->n_outputs; k++)
        if (!pl->avail[b->outputs[k]]) {
            ecl_msg_str(e, "no operator computes ");
            ecl_graph_tensor_msg(e, m, b->outputs[k]);
            return ECL_ECORRUPT;
        }
    *n_run = r;
    return ECL_OK;
}

/* Insertion sort of pl->order[0..na), stable: by size descending (by_first 0) or by producer
 * position (by_first 1). */
static void order_sort(struct ecl_plan *pl, uint32_t na, int by_first) {
    for (uint32_t i = 1; i < na; i++) {
        uint16_t t = pl->order[i];
        uint32_t j = i;
        while (j > 0 && (by_first ? pl->first[pl->order[j - 1]] > pl->first[t]
                                  : pl->size[pl->order[j - 1]] < pl->size[t])) {
            pl->order[j] = pl->order[j - 1];
            j--;
        }
        pl->order[j] = t;
    }
}

/* The two-thread placement (top of the file) of the na tensors in pl->order. 1: placed;
 * 0: more than ECL_PLAN_SLOTS tensors alive at once (place greedily instead); -1: too large. */
static int plan_centred(struct ecl_plan *pl, uint32_t na, size_t *act_bytes) {
    order_sort(pl, na, 1);
    uint32_t n_slots = 0;
    for (uint32_t i = 0; i < na; i++) { /* pl->off[t] holds the slot until the end */
        uint16_t t = pl->order[i];
        uint32_t s = 0;
        while (s < n_slots && pl->slot_last[s] >= pl->first[t]) /* alive: inclusive ranges */
            s++;
        if (s == ECL_PLAN_SLOTS) return 0;
        if (s == n_slots) pl->slot_max[n_slots++] = 0;
        pl->off[t] = s;
        pl->slot_last[s] = pl->last[t];
        if (pl->size[t] > pl->slot_max[s]) pl->slot_max[s] = pl->size[t];
    }
    uint64_t base = 0;
    for (uint32_t s = 0; s < n_slots; s++) { /* slot_max becomes the slot's base */
        uint64_t size = pl->slot_max[s];
        if (base + size > 0xffffffffu) return -1;
        pl->slot_max[s] = (uint32_t)base;
        base += size;
    }
    /* each tensor centred in its slot: base + (slot size - size) / 2, rounded down to
     * ECL_ALIGN (sizes and bases are multiples of it, so the tensor stays inside) */
    for (uint32_t i = 0; i < na; i++) {
        uint16_t t = pl->order[i];
        uint32_t s = pl->off[t];
        uint64_t end = s + 1 < n_slots ? pl->slot_max[s + 1] : base;
        uint64_t room = end - pl->slot_max[s] - pl->size[t];
        pl->off[t] = (uint32_t)(pl->slot_max[s] + (room / 2 & ~(uint64_t)(ECL_ALIGN - 1)));
    }
    *act_bytes = (size_t)base;
    return 1;
}

/* Largest first, at the lowest offset that does not overlap a tensor alive at the same time.
 * 0, or -1: too large. */
static int plan_greedy(struct ecl_plan *pl, uint32_t na, size_t *act_bytes) {
    order_sort(pl, na, 0);
    size_t top = 0;
    for (uint32_t i = 0; i < na; i++) {
        uint16_t t = pl->order[i];
        uint64_t off = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (uint32_t j = 0; j < i; j++) {
                uint16_t u = pl->order[j];
                if (pl->first[u] > pl->last[t] || pl->first[t] > pl->last[u]) continue;
                if (off < (uint64_t)pl->off[u] + pl->size[u] && pl->off[u] < off + pl->size[t]) {
                    off = (uint64_t)pl->off[u] + pl->size[u];
                    moved = 1;
                }
            }
        }
        if (off + pl->size[t] > 0xffffffffu) return -1;
        pl->off[t] = (uint32_t)off;
        if (off + pl->size[t] > top) top = (size_t)(off + pl->size[t]);
    }
    *act_bytes = top;
    return 0;
}

enum ecl_status ecl_plan_arena(struct ecl_build *b, int32_t n_run, size_t *act_bytes,
                               size_t *act_sum) {
    const struct ecl_model *m = b->m;
    struct ecl_plan *pl = b->pl;
    struct tfl_op op;
    struct ecl_tensor v;
    size_t sum = 0;
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        pl->size[i] = 0;
        if (!pl->need_t[i] || !ecl_graph_view(b, (int32_t)i, &v) || v.is_const) continue;
        pl->size[i] = (uint32_t)(((size_t)v.bytes + ECL_ALIGN - 1) & ~(size_t)(ECL_ALIGN - 1));
        if (!pl->size[i]) pl->size[i] = ECL_ALIGN; /* empty tensors still get an address */
        sum += pl->size[i];
        pl->first[i] = pl->prod[i] >= 0 ? pl->prod[i] : 0;
        pl->last[i] = pl->is_out[i] ? (int16_t)n_run : pl->first[i];
    }
    int32_t r = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!pl->need_op[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            int32_t t = ecl_graph_op_input(b, (int32_t)i, &op, q);
            if (t >= 0 && pl->size[t] && pl->last[t] < r) pl->last[t] = (int16_t)r;
        }
        r++;
    }
    uint32_t na = 0;
    for (uint32_t i = 0; i < m->n_tensors; i++)
        if (pl->size[i]) pl->order[na++] = (uint16_t)i;
    int placed = b->o.parallel_for && b->o.n_threads == 2 ? plan_centred(pl, na, act_bytes) : 0;
    if (placed == 0) placed = plan_greedy(pl, na, act_bytes);
    if (placed < 0) {
        ecl_msg_str(b->e, "activations too large");
        return ECL_ERANGE;
    }
    *act_sum = sum;
    return ECL_OK;
}
