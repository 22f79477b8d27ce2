/* Learner front end: parameters, memory layout, dispatch to the four kinds, class names.
 *
 * One caller-supplied block holds everything: the learner struct, class names, and depending on
 * the kind the head (with its optimiser state and activations), a mini-batch buffer, the replay
 * memory, or the SLDA/NCM statistics. Sub-objects get their own aligned sub-blocks sized by their
 * own *_mem_size(), so each stays responsible for its layout.
 *
 * Parameters are normalised once (head/replay dims and class counts follow the learner's, the
 * head's max_batch grows to hold batch_size + replay_per_batch), so that callers can change
 * only the top-level fields.
 */
#include "learn/learner_impl.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

#define ALIGN 64u
#define MAX_CLASSES_LIMIT (1u << 16)
#define DIM_LIMIT (1u << 24)

static size_t align_up(size_t x) {
    return (x + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
}

static int uses_head(enum ecl_learner_kind k) {
    return k == ECL_LEARNER_NAIVE || k == ECL_LEARNER_REPLAY;
}

const char *ecl_learner_kind_name(enum ecl_learner_kind k) {
    switch (k) {
    case ECL_LEARNER_NAIVE:
        return "naive";
    case ECL_LEARNER_REPLAY:
        return "replay";
    case ECL_LEARNER_SLDA:
        return "slda";
    case ECL_LEARNER_NCM:
        return "ncm";
    }
    return "unknown";
}

enum ecl_status ecl_learner_kind_parse(const char *name, enum ecl_learner_kind *k) {
    static const enum ecl_learner_kind all[] = {ECL_LEARNER_NAIVE, ECL_LEARNER_REPLAY,
                                                ECL_LEARNER_SLDA, ECL_LEARNER_NCM};
    if (!name || !k) return ECL_EINVAL;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, ecl_learner_kind_name(all[i])) == 0) {
            *k = all[i];
            return ECL_OK;
        }
    }
    return ECL_ENOTFOUND;
}

struct ecl_learner_params ecl_learner_default_params(enum ecl_learner_kind kind, uint32_t dim,
                                                     uint32_t max_classes) {
    struct ecl_learner_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.dim = dim;
    p.max_classes = max_classes;
    p.epochs = 4;
    p.batch_size = 32;
    p.replay_per_batch = kind == ECL_LEARNER_REPLAY ? 32 : 0;
    p.lr_after_first = 0.0f;
    p.head = ecl_head_default_params(dim, max_classes);
    p.head.max_batch = p.batch_size + p.replay_per_batch;
    p.replay = ecl_replay_default_params(dim, 1500);
    p.replay.max_classes = max_classes;
    p.slda_shrinkage = 1e-4f;
    p.seed = 1;
    return p;
}

struct ecl_learner_params ecl_learner_paper_params(uint32_t dim, uint32_t max_classes) {
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, dim, max_classes);
    p.head.n_hidden = 1;
    p.head.hidden[0] = 128;
    p.head.optimizer = ECL_OPT_SGD;
    p.head.momentum = 0.0f;
    p.head.l2 = 0.0f;
    p.head.lr = 1e-3f;
    p.lr_after_first = 5e-5f;
    p.replay.policy = ECL_REPLAY_RANDOM;
    p.replay.storage = ECL_REPLAY_F32;
    p.replay.capacity = 1500;
    p.replay.replace_fraction = 0.2f;
    return p;
}

struct ecl_learner_params ecl_learner_normalise_(const struct ecl_learner_params *p) {
    struct ecl_learner_params q = *p;
    q.head.dim = q.dim;
    q.head.max_classes = q.max_classes;
    uint64_t mb = (uint64_t)q.batch_size + (q.kind == ECL_LEARNER_REPLAY ? q.replay_per_batch : 0);
    if (mb > q.head.max_batch && mb <= UINT32_MAX) q.head.max_batch = (uint32_t)mb;
    q.replay.dim = q.dim;
    q.replay.max_classes = q.max_classes;
    return q;
}

struct layout {
    size_t names, bx, by, head, replay, cnt, mean, cov, chol, sw, sb, tmp, total;
    size_t head_bytes, replay_bytes;
};

static enum ecl_status plan(const struct ecl_learner_params *q, struct layout *L) {
    if (q->kind != ECL_LEARNER_NAIVE && q->kind != ECL_LEARNER_REPLAY &&
        q->kind != ECL_LEARNER_SLDA && q->kind != ECL_LEARNER_NCM)
        return ECL_EINVAL;
    if (q->dim == 0 || q->max_classes == 0) return ECL_EINVAL;
    if (q->dim > DIM_LIMIT || q->max_classes > MAX_CLASSES_LIMIT) return ECL_ERANGE;
    memset(L, 0, sizeof *L);
    size_t off = align_up(sizeof(struct ecl_learner));
    size_t d = q->dim, c = q->max_classes;
#define TAKE(field, bytes)                                                                         \
    do {                                                                                           \
        L->field = off;                                                                            \
        off += align_up(bytes);                                                                    \
    } while (0)
    TAKE(names, c * ECL_CLASS_NAME_MAX);
    if (uses_head(q->kind)) {
        if (q->epochs == 0 || q->batch_size == 0) return ECL_EINVAL;
        if (q->head.max_batch <
            q->batch_size + (q->kind == ECL_LEARNER_REPLAY ? (uint64_t)q->replay_per_batch : 0))
            return ECL_ERANGE;
        if (isnan(q->lr_after_first) || q->lr_after_first == INFINITY) return ECL_EINVAL;
        enum ecl_status st = ecl_head_mem_size(&q->head, &L->head_bytes);
        if (st != ECL_OK) return st;
        size_t mb = q->head.max_batch;
        if (mb > SIZE_MAX / sizeof(float) / d) return ECL_ERANGE;
        TAKE(bx, mb * d * sizeof(float));
        TAKE(by, mb * sizeof(int32_t));
        TAKE(head, L->head_bytes);
        if (q->kind == ECL_LEARNER_REPLAY) {
            st = ecl_replay_mem_size(&q->replay, &L->replay_bytes);
            if (st != ECL_OK) return st;
            TAKE(replay, L->replay_bytes);
        }
    } else {
        if (c * d > SIZE_MAX / sizeof(float) / 4) return ECL_ERANGE;
        TAKE(cnt, c * sizeof(uint64_t));
        TAKE(mean, c * d * sizeof(float));
        if (q->kind == ECL_LEARNER_SLDA) {
            if (!(q->slda_shrinkage >= 0.0f && q->slda_shrinkage <= 1.0f)) return ECL_EINVAL;
            if (q->dim > ECL_SLDA_MAX_DIM) return ECL_ERANGE;
            TAKE(cov, d * d * sizeof(float));
            TAKE(chol, d * d * sizeof(double));
            TAKE(sw, c * d * sizeof(float));
            TAKE(sb, c * sizeof(float));
            TAKE(tmp, 4 * d * sizeof(double)); /* SLDA solves 4 classes at once */
        }
    }
#undef TAKE
    L->total = off + ALIGN;
    return ECL_OK;
}

enum ecl_status ecl_learner_mem_size(const struct ecl_learner_params *p, size_t *bytes) {
    if (!p || !bytes) return ECL_EINVAL;
    struct ecl_learner_params q = ecl_learner_normalise_(p);
    struct layout L;
    enum ecl_status st = plan(&q, &L);
    if (st != ECL_OK) return st;
    *bytes = L.total;
    return ECL_OK;
}

enum ecl_status ecl_learner_clear_(struct ecl_learner *l) {
    const struct ecl_learner_params *q = &l->p;
    enum ecl_status st;
    l->n_classes = 0;
    l->n_seen = 0;
    l->n_observe = 0;
    l->rng = ecl_rng_seed(q->seed, 0x4C524E52u /* "LRNR" */);
    memset(l->names, 0, (size_t)q->max_classes * ECL_CLASS_NAME_MAX);
    if (uses_head(q->kind)) {
        st = ecl_head_init(&q->head, l->head_mem, l->head_bytes, &l->head);
        if (st != ECL_OK) return st;
        if (q->kind == ECL_LEARNER_REPLAY) {
            st = ecl_replay_init(&q->replay, l->replay_mem, l->replay_bytes, &l->replay);
            if (st != ECL_OK) return st;
        }
    } else {
        size_t c = q->max_classes, d = q->dim;
        memset(l->cnt, 0, c * sizeof(uint64_t));
        memset(l->mean, 0, c * d * sizeof(float));
        if (q->kind == ECL_LEARNER_SLDA) {
            memset(l->cov, 0, d * d * sizeof(float));
            l->n_total = 0;
        }
        l->cache_valid = 0;
    }
    return ECL_OK;
}

enum ecl_status ecl_learner_init(const struct ecl_learner_params *p, void *mem, size_t bytes,
                                 struct ecl_learner **out) {
    if (!p || !mem || !out) return ECL_EINVAL;
    struct ecl_learner_params q = ecl_learner_normalise_(p);
    struct layout L;
    enum ecl_status st = plan(&q, &L);
    if (st != ECL_OK) return st;
    if (bytes < L.total) return ECL_ENOMEM;
    uintptr_t a = ((uintptr_t)mem + (ALIGN - 1)) & ~(uintptr_t)(ALIGN - 1);
    unsigned char *base = (unsigned char *)a;
    struct ecl_learner *l = (struct ecl_learner *)(void *)base;
    memset(l, 0, sizeof *l);
    l->p = q;
    l->names = (char(*)[ECL_CLASS_NAME_MAX])(void *)(base + L.names);
    if (uses_head(q.kind)) {
        l->bx = (float *)(void *)(base + L.bx);
        l->by = (int32_t *)(void *)(base + L.by);
        l->head_mem = base + L.head;
        l->head_bytes = L.head_bytes;
        if (q.kind == ECL_LEARNER_REPLAY) {
            l->replay_mem = base + L.replay;
            l->replay_bytes = L.replay_bytes;
        }
    } else {
        l->cnt = (uint64_t *)(void *)(base + L.cnt);
        l->mean = (float *)(void *)(base + L.mean);
        if (q.kind == ECL_LEARNER_SLDA) {
            l->cov = (float *)(void *)(base + L.cov);
            l->chol = (double *)(void *)(base + L.chol);
            l->sw = (float *)(void *)(base + L.sw);
            l->sb = (float *)(void *)(base + L.sb);
            l->tmp = (double *)(void *)(base + L.tmp);
        }
    }
    st = ecl_learner_clear_(l);
    if (st != ECL_OK) return st;
    *out = l;
    return ECL_OK;
}

const struct ecl_learner_params *ecl_learner_params(const struct ecl_learner *l) {
    return l ? &l->p : NULL;
}

enum ecl_status ecl_learner_observe(struct ecl_learner *l, const float *x, const int32_t *y,
                                    uint32_t n) {
    return ecl_learner_observe_epochs(l, x, y, n, NULL, NULL);
}

enum ecl_status ecl_learner_observe_epochs(struct ecl_learner *l, const float *x, const int32_t *y,
                                           uint32_t n, ecl_learner_epoch_fn fn, void *ctx) {
    if (!l) return ECL_EINVAL;
    if (n == 0) return ECL_OK;
    if (!x || !y) return ECL_EINVAL;
    /* Validate everything first: a bad sample must not leave a half-updated learner. */
    const uint32_t d = l->p.dim;
    uint32_t top = l->n_classes;
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= l->p.max_classes) return ECL_EINVAL;
        if ((uint32_t)y[i] + 1 > top) top = (uint32_t)y[i] + 1;
        const float *xi = x + (size_t)i * d;
        for (uint32_t j = 0; j < d; j++) {
            if (!isfinite(xi[j])) return ECL_EINVAL;
            if (fabsf(xi[j]) > ECL_LEARNER_MAX_ABS) return ECL_ERANGE;
        }
    }
    l->n_classes = top;
    switch (l->p.kind) {
    case ECL_LEARNER_NAIVE:
    case ECL_LEARNER_REPLAY: {
        enum ecl_status st = ecl_learn_head_observe_(l, x, y, n, fn, ctx);
        if (st != ECL_OK) return st;
        break;
    }
    case ECL_LEARNER_SLDA:
        ecl_learn_slda_observe_(l, x, y, n);
        break;
    case ECL_LEARNER_NCM:
        ecl_learn_ncm_observe_(l, x, y, n);
        break;
    }
    l->n_seen += n;
    l->n_observe++;
    return ECL_OK;
}

enum ecl_status ecl_learner_predict(struct ecl_learner *l, const float *x, float *scores,
                                    int32_t *top) {
    if (!l || !x) return ECL_EINVAL;
    const uint32_t c = l->p.max_classes, d = l->p.dim;
    for (uint32_t j = 0; j < d; j++)
        if (!isfinite(x[j])) return ECL_EINVAL;
    int32_t best = -1;
    if (l->n_classes == 0) {
        /* Nothing learned yet: no class can be scored. */
        if (scores)
            for (uint32_t k = 0; k < c; k++)
                scores[k] = uses_head(l->p.kind) ? 0.0f : -INFINITY;
    } else if (uses_head(l->p.kind)) {
        struct ecl_head *h = l->head;
        const float *probs = ecl_head_forward1_(h, x);
        float bv = -1.0f;
        for (uint32_t k = 0; k < l->n_classes; k++) {
            if (probs[k] > bv) {
                bv = probs[k];
                best = (int32_t)k;
            }
            if (scores) scores[k] = probs[k];
        }
        if (scores)
            for (uint32_t k = l->n_classes; k < c; k++)
                scores[k] = 0.0f;
    } else {
        if (l->p.kind == ECL_LEARNER_SLDA)
            best = ecl_learn_slda_predict_(l, x, scores);
        else
            best = ecl_learn_ncm_predict_(l, x, scores);
    }
    if (top) *top = best;
    return ECL_OK;
}

uint32_t ecl_learner_n_classes(const struct ecl_learner *l) {
    return l ? l->n_classes : 0;
}

uint64_t ecl_learner_n_seen(const struct ecl_learner *l) {
    return l ? l->n_seen : 0;
}

enum ecl_status ecl_learner_set_class_name(struct ecl_learner *l, int32_t cls, const char *name) {
    if (!l || !name || cls < 0 || (uint32_t)cls >= l->p.max_classes) return ECL_EINVAL;
    size_t len = strlen(name);
    if (len >= ECL_CLASS_NAME_MAX) return ECL_ERANGE;
    memset(l->names[cls], 0, ECL_CLASS_NAME_MAX);
    memcpy(l->names[cls], name, len);
    return ECL_OK;
}

const char *ecl_learner_class_name(const struct ecl_learner *l, int32_t cls) {
    if (!l || cls < 0 || (uint32_t)cls >= l->p.max_classes) return "";
    return l->names[cls];
}

size_t ecl_learner_replay_bytes(const struct ecl_learner *l) {
    if (!l || l->p.kind != ECL_LEARNER_REPLAY) return 0;
    return ecl_replay_storage_bytes(&l->p.replay);
}

uint32_t ecl_learner_replay_count(const struct ecl_learner *l) {
    if (!l || l->p.kind != ECL_LEARNER_REPLAY || !l->replay) return 0;
    return ecl_replay_size(l->replay);
}

enum ecl_status ecl_learner_reset(struct ecl_learner *l) {
    if (!l) return ECL_EINVAL;
    return ecl_learner_clear_(l);
}
