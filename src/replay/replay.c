/* Replay memory.
 *
 * Why this way:
 * - Storage, labels, per-class counters and a scratch index array are all carved out of the
 *   caller's block; admission and sampling never allocate, whatever the batch size: subsets of
 *   a new batch are drawn with selection sampling (Knuth's Algorithm S), which needs O(1) memory,
 *   and slots with a partial Fisher-Yates shuffle of the capacity-sized index array.
 * - uint8 storage quantises each vector with its own min/max (offset = min, scale =
 *   (max-min)/255), so the reconstruction error is at most scale/2 per element; latents of
 *   ReLU networks have very different ranges per image, so a global scale would waste bits.
 * - The balanced policy is class-balanced reservoir sampling (Chrysakis & Moens 2020): a sample
 *   of a class that is not among the largest evicts a random sample of the largest class;
 *   otherwise it enters by reservoir sampling within its own class. Shares thus converge to
 *   capacity / classes and rare classes are never crowded out.
 * - All randomness comes from one splitmix64 stream seeded by p.seed: reproducible.
 */
#include "replay/replay_impl.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

#define ALIGN 64u
#define LIMIT (1u << 26)

struct ecl_replay_params ecl_replay_default_params(uint32_t dim, uint32_t capacity) {
    struct ecl_replay_params p;
    memset(&p, 0, sizeof p);
    p.dim = dim;
    p.capacity = capacity;
    p.max_classes = 256;
    p.policy = ECL_REPLAY_RANDOM;
    p.storage = ECL_REPLAY_F32;
    p.replace_fraction = 0.2f;
    p.seed = 1;
    return p;
}

static size_t align_up(size_t x) {
    return (x + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
}

static enum ecl_status check_params(const struct ecl_replay_params *p) {
    if (!p || p->dim == 0 || p->capacity == 0 || p->max_classes == 0) return ECL_EINVAL;
    if (p->dim > LIMIT || p->capacity > LIMIT || p->max_classes > LIMIT) return ECL_ERANGE;
    if (p->policy != ECL_REPLAY_RANDOM && p->policy != ECL_REPLAY_FIFO &&
        p->policy != ECL_REPLAY_BALANCED)
        return ECL_EINVAL;
    if (p->storage != ECL_REPLAY_F32 && p->storage != ECL_REPLAY_U8) return ECL_EINVAL;
    if (!(p->replace_fraction >= 0.0f && p->replace_fraction <= 1.0f)) return ECL_EINVAL;
    return ECL_OK;
}

size_t ecl_replay_storage_bytes(const struct ecl_replay_params *p) {
    if (check_params(p) != ECL_OK) return 0;
    size_t per = p->storage == ECL_REPLAY_U8 ? (size_t)p->dim + 2 * sizeof(float)
                                             : (size_t)p->dim * sizeof(float);
    if (per > SIZE_MAX / p->capacity) return 0;
    return per * p->capacity;
}

/* Sizes (base == NULL) or carves (base != NULL) the block. 0 on overflow. */
static size_t layout(const struct ecl_replay_params *p, struct ecl_replay *r, unsigned char *base) {
    size_t off = align_up(sizeof(struct ecl_replay));
    size_t cap = p->capacity, cls = p->max_classes;
    size_t data = ecl_replay_storage_bytes(p);
    if (data == 0 || data > SIZE_MAX / 2) return 0;
#define CARVE(dst, type, n)                                                                        \
    do {                                                                                           \
        if (base) (dst) = (type *)(void *)(base + off);                                            \
        off += align_up((size_t)(n) * sizeof(type));                                               \
    } while (0)
    CARVE(r->label, int32_t, cap);
    if (p->storage == ECL_REPLAY_U8) {
        CARVE(r->xq, uint8_t, cap * p->dim);
        CARVE(r->scale, float, cap);
        CARVE(r->offset, float, cap);
    } else {
        CARVE(r->xf, float, cap * p->dim);
    }
    CARVE(r->seen, uint64_t, cls);
    CARVE(r->count, uint32_t, cls);
    CARVE(r->idx, uint32_t, cap);
#undef CARVE
    return off + ALIGN;
}

enum ecl_status ecl_replay_mem_size(const struct ecl_replay_params *p, size_t *bytes) {
    enum ecl_status st = check_params(p);
    if (st != ECL_OK) return st;
    if (!bytes) return ECL_EINVAL;
    struct ecl_replay tmp;
    size_t need = layout(p, &tmp, NULL);
    if (need == 0) return ECL_ERANGE;
    *bytes = need;
    return ECL_OK;
}

enum ecl_status ecl_replay_init(const struct ecl_replay_params *p, void *mem, size_t bytes,
                                struct ecl_replay **out) {
    enum ecl_status st = check_params(p);
    if (st != ECL_OK) return st;
    if (!mem || !out) return ECL_EINVAL;
    struct ecl_replay tmp;
    size_t need = layout(p, &tmp, NULL);
    if (need == 0) return ECL_ERANGE;
    if (bytes < need) return ECL_ENOMEM;
    uintptr_t a = ((uintptr_t)mem + (ALIGN - 1)) & ~(uintptr_t)(ALIGN - 1);
    unsigned char *base = (unsigned char *)a;
    memset(base, 0, need - ALIGN);
    struct ecl_replay *r = (struct ecl_replay *)(void *)base;
    r->p = *p;
    layout(p, r, base);
    r->rng = ecl_rng_seed(p->seed, 0x5245504Cu /* "REPL" */);
    *out = r;
    return ECL_OK;
}

uint32_t ecl_replay_size(const struct ecl_replay *r) {
    return r ? r->size : 0;
}

void ecl_replay_put_(struct ecl_replay *r, uint32_t s, const float *x, int32_t y) {
    const uint32_t dim = r->p.dim;
    r->label[s] = y;
    if (r->p.storage == ECL_REPLAY_F32) {
        memcpy(r->xf + (size_t)s * dim, x, dim * sizeof(float));
        return;
    }
    float mn = x[0], mx = x[0];
    for (uint32_t j = 1; j < dim; j++) {
        mn = x[j] < mn ? x[j] : mn;
        mx = x[j] > mx ? x[j] : mx;
    }
    float scale = (mx - mn) / 255.0f;
    uint8_t *q = r->xq + (size_t)s * dim;
    /* A range of subnormals gives a scale whose inverse overflows to Inf, and 0 * Inf = NaN
     * would reach the uint8 conversion (UB; found by fuzz_learn): such a vector is stored as
     * constant, its spread (< 1e-36) is far below anything a float latent can resolve. */
    if (!(scale > 0.0f) || !isfinite(scale) || !isfinite(1.0f / scale)) {
        scale = 0.0f;
        memset(q, 0, dim);
    } else {
        float inv = 1.0f / scale;
        for (uint32_t j = 0; j < dim; j++) {
            float v = (x[j] - mn) * inv + 0.5f;
            v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
            q[j] = (uint8_t)v;
        }
    }
    r->scale[s] = scale;
    r->offset[s] = mn;
}

static void get_slot(const struct ecl_replay *r, uint32_t s, float *x) {
    const uint32_t dim = r->p.dim;
    if (r->p.storage == ECL_REPLAY_F32) {
        memcpy(x, r->xf + (size_t)s * dim, dim * sizeof(float));
        return;
    }
    const uint8_t *q = r->xq + (size_t)s * dim;
    const float sc = r->scale[s], of = r->offset[s];
    for (uint32_t j = 0; j < dim; j++)
        x[j] = of + sc * (float)q[j];
}

enum ecl_status ecl_replay_get(const struct ecl_replay *r, uint32_t i, float *x, int32_t *y) {
    if (!r || i >= r->size) return ECL_EINVAL;
    if (x) get_slot(r, i, x);
    if (y) *y = r->label[i];
    return ECL_OK;
}

/* Store sample at slot s, keeping the per-class counters right. */
static void put_counted(struct ecl_replay *r, uint32_t s, const float *x, int32_t y) {
    if (s < r->size) r->count[r->label[s]]--;
    ecl_replay_put_(r, s, x, y);
    r->count[y]++;
}

/* Shuffles the first m entries of idx[0..n) into a uniform random m-subset of 0..n-1. */
static void partial_shuffle(struct ecl_replay *r, uint32_t n, uint32_t m) {
    for (uint32_t i = 0; i < n; i++)
        r->idx[i] = i;
    for (uint32_t i = 0; i < m && i < n; i++) {
        uint32_t j = i + ecl_rng_below(&r->rng, n - i);
        uint32_t t = r->idx[i];
        r->idx[i] = r->idx[j];
        r->idx[j] = t;
    }
}

/* Random slot holding class c (count[c] > 0). */
static uint32_t random_slot_of(struct ecl_replay *r, int32_t c) {
    uint32_t j = ecl_rng_below(&r->rng, r->count[c]);
    for (uint32_t s = 0; s < r->size; s++)
        if (r->label[s] == c && j-- == 0) return s;
    return 0; /* unreachable while counters are consistent */
}

static void add_balanced(struct ecl_replay *r, const float *x, int32_t c) {
    const uint32_t cap = r->p.capacity;
    r->seen[c]++;
    if (r->size < cap) {
        put_counted(r, r->size, x, c);
        r->size++;
        return;
    }
    /* Largest class (lowest index on ties: deterministic). */
    uint32_t big = 0;
    for (uint32_t k = 1; k < r->p.max_classes; k++)
        if (r->count[k] > r->count[big]) big = k;
    if (r->count[c] < r->count[big]) {
        put_counted(r, random_slot_of(r, (int32_t)big), x, c);
    } else {
        /* Reservoir within class c: keep with probability count[c] / seen[c]. */
        uint64_t u = ecl_rng_next(&r->rng) % r->seen[c];
        if (u < r->count[c]) put_counted(r, random_slot_of(r, c), x, c);
    }
}

enum ecl_status ecl_replay_add_batch(struct ecl_replay *r, const float *x, const int32_t *y,
                                     uint32_t n) {
    if (!r || (n > 0 && (!x || !y))) return ECL_EINVAL;
    const uint32_t dim = r->p.dim, cap = r->p.capacity;
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= r->p.max_classes) return ECL_EINVAL;
        const float *xi = x + (size_t)i * dim;
        for (uint32_t j = 0; j < dim; j++)
            if (!isfinite(xi[j])) return ECL_EINVAL;
    }
    r->n_added += n;
    if (r->p.policy != ECL_REPLAY_BALANCED) /* balanced counts as it goes (reservoir odds) */
        for (uint32_t i = 0; i < n; i++)
            r->seen[y[i]]++;
    switch (r->p.policy) {
    case ECL_REPLAY_FIFO:
        for (uint32_t i = 0; i < n; i++) {
            put_counted(r, r->next, x + (size_t)i * dim, y[i]);
            if (r->size < cap) r->size++;
            r->next = r->next + 1 == cap ? 0 : r->next + 1;
        }
        break;
    case ECL_REPLAY_BALANCED:
        for (uint32_t i = 0; i < n; i++)
            add_balanced(r, x + (size_t)i * dim, y[i]);
        break;
    case ECL_REPLAY_RANDOM:
    default:
        if (r->size < cap) {
            /* Not full: append (a random subset if the batch does not fit). */
            uint32_t m = cap - r->size < n ? cap - r->size : n;
            uint32_t left = m;
            for (uint32_t i = 0; i < n && left > 0; i++) {
                if (ecl_rng_below(&r->rng, n - i) < left) {
                    put_counted(r, r->size, x + (size_t)i * dim, y[i]);
                    r->size++;
                    left--;
                }
            }
        } else {
            /* Full: replace round(f * cap) random slots (at most n) with random new samples.
             * Slots come from a shuffle, samples in batch order: the pairing is random. */
            double want = floor((double)r->p.replace_fraction * cap + 0.5);
            uint32_t m = want > (double)n ? n : (uint32_t)want;
            if (m > cap) m = cap;
            partial_shuffle(r, cap, m);
            uint32_t left = m, k = 0;
            for (uint32_t i = 0; i < n && left > 0; i++) {
                if (ecl_rng_below(&r->rng, n - i) < left) {
                    put_counted(r, r->idx[k++], x + (size_t)i * dim, y[i]);
                    left--;
                }
            }
        }
        break;
    }
    return ECL_OK;
}

enum ecl_status ecl_replay_sample(struct ecl_replay *r, uint32_t k, float *x, int32_t *y,
                                  uint32_t *got) {
    if (!r || (k > 0 && (!x || !y))) return ECL_EINVAL;
    uint32_t m = k < r->size ? k : r->size;
    partial_shuffle(r, r->size, m);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t s = r->idx[i];
        get_slot(r, s, x + (size_t)i * r->p.dim);
        y[i] = r->label[s];
    }
    if (got) *got = m;
    return ECL_OK;
}
