/* Learner state image: save and restore everything a learner has learned.
 *
 * Layout (all integers little-endian, floats as their IEEE-754 bit patterns in a u32):
 *     0   char[4] "ECLS"
 *     4   u32     version (1)
 *     8   u64     total length of the image in bytes, CRC included
 *     16  u32     number of sections
 *     20  sections, each: u32 tag, u64 payload length, payload
 *     end u32     CRC-32 (IEEE) of every byte before it
 * Sections, in this order:
 *     PARM  learner parameters (every field, explicitly)
 *     LRNR  n_classes u32, n_seen u64, n_observe u64, rng u64, max_classes x char[32] names
 *     HEAD  (naive, replay) n_classes u32, step u64, lr f32, n_arrays u32, then per array a
 *           u64 count and the values: per layer W, b, [m_W, m_b], [v_W, v_b]
 *     RPLY  (replay) size u32, next u32, rng u64, n_added u64, per class seen u64 + count u32,
 *           size x label i32, then F32: size*dim f32 | U8: size*dim u8, size scale, size offset
 *     STAT  (slda, ncm) n_total u64, per class count u64, max_classes*dim mean f32,
 *           (slda) lower triangle of the covariance, d(d+1)/2 f32, row by row
 *
 * Why: bytes are written one by one rather than by copying structs, so the image does not
 * depend on the compiler's padding or the host's endianness; every section carries its length,
 * so a reader can tell a short or inconsistent image from a valid one; and reading is two
 * passes over the same parser - the first only validates (lengths against the parameters,
 * label and counter ranges, finiteness), the second applies - so a bad image never leaves a
 * half-restored learner.
 */
#include <math.h>
#include <string.h>

#include "edgecl/crc32.h"
#include "learn/learner_impl.h"

#define STATE_VERSION ECL_STATE_VERSION
#define HDR_BYTES 20u
#define TAG(a, b, c, d)                                                                            \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_PARM TAG('P', 'A', 'R', 'M')
#define TAG_LRNR TAG('L', 'R', 'N', 'R')
#define TAG_HEAD TAG('H', 'E', 'A', 'D')
#define TAG_RPLY TAG('R', 'P', 'L', 'Y')
#define TAG_STAT TAG('S', 'T', 'A', 'T')

/* ------------------------------------------------------------------ writer */

struct wr {
    uint8_t *buf; /* NULL: only count */
    size_t cap, off;
    size_t nonfinite; /* values the reader would refuse as non-finite (learned arrays, head lr) */
};

static void w_bytes(struct wr *w, const void *src, size_t n) {
    if (w->buf && w->off + n <= w->cap) memcpy(w->buf + w->off, src, n);
    w->off += n;
}

static void w_u32(struct wr *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    w_bytes(w, b, 4);
}

static void w_u64(struct wr *w, uint64_t v) {
    w_u32(w, (uint32_t)v);
    w_u32(w, (uint32_t)(v >> 32));
}

static void w_f32(struct wr *w, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    w_u32(w, u);
}

static void w_f32s(struct wr *w, const float *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(f[i])) w->nonfinite++;
        w_f32(w, f[i]);
    }
}

/* Opens a section; returns the offset of its length field, patched by sec_end. */
static size_t sec_begin(struct wr *w, uint32_t tag) {
    w_u32(w, tag);
    size_t at = w->off;
    w_u64(w, 0);
    return at;
}

static void sec_end(struct wr *w, size_t at) {
    uint64_t len = w->off - (at + 8);
    if (w->buf && at + 8 <= w->cap)
        for (int i = 0; i < 8; i++)
            w->buf[at + i] = (uint8_t)(len >> (8 * i));
}

static void write_params(struct wr *w, const struct ecl_learner_params *p) {
    w_u32(w, (uint32_t)p->kind);
    w_u32(w, p->dim);
    w_u32(w, p->max_classes);
    const struct ecl_head_params *h = &p->head;
    w_u32(w, h->dim);
    w_u32(w, h->max_classes);
    w_u32(w, h->n_hidden);
    for (int i = 0; i < ECL_HEAD_MAX_HIDDEN; i++)
        w_u32(w, h->hidden[i]);
    w_u32(w, h->max_batch);
    w_u32(w, (uint32_t)h->optimizer);
    w_f32(w, h->lr);
    w_f32(w, h->momentum);
    w_f32(w, h->beta1);
    w_f32(w, h->beta2);
    w_f32(w, h->eps);
    w_f32(w, h->l2);
    w_u32(w, (uint32_t)h->l2_bias);
    w_u32(w, h->seed);
    w_u32(w, p->epochs);
    w_u32(w, p->batch_size);
    w_u32(w, p->replay_per_batch);
    w_f32(w, p->lr_after_first);
    const struct ecl_replay_params *r = &p->replay;
    w_u32(w, r->dim);
    w_u32(w, r->capacity);
    w_u32(w, r->max_classes);
    w_u32(w, (uint32_t)r->policy);
    w_u32(w, (uint32_t)r->storage);
    w_f32(w, r->replace_fraction);
    w_u32(w, r->seed);
    w_f32(w, p->slda_shrinkage);
    w_u32(w, p->seed);
}

static void write_all(const struct ecl_learner *l, struct wr *w) {
    const struct ecl_learner_params *p = &l->p;
    const uint32_t d = p->dim, c = p->max_classes;
    int kind_head = p->kind == ECL_LEARNER_NAIVE || p->kind == ECL_LEARNER_REPLAY;
    uint32_t n_sec =
        2 + (kind_head ? 1 : 0) + (p->kind == ECL_LEARNER_REPLAY ? 1 : 0) + (kind_head ? 0 : 1);
    w_bytes(w, "ECLS", 4);
    w_u32(w, STATE_VERSION);
    w_u64(w, 0); /* total, patched below */
    w_u32(w, n_sec);

    size_t at = sec_begin(w, TAG_PARM);
    write_params(w, p);
    sec_end(w, at);

    at = sec_begin(w, TAG_LRNR);
    w_u32(w, l->n_classes);
    w_u64(w, l->n_seen);
    w_u64(w, l->n_observe);
    w_u64(w, l->rng);
    w_bytes(w, l->names, (size_t)c * ECL_CLASS_NAME_MAX);
    sec_end(w, at);

    if (kind_head) {
        const struct ecl_head *h = l->head;
        at = sec_begin(w, TAG_HEAD);
        w_u32(w, h->n_classes);
        w_u64(w, h->step);
        if (!isfinite(h->lr)) w->nonfinite++;
        w_f32(w, h->lr);
        uint32_t per = 2u * (1u + (h->mw[0] ? 1u : 0u) + (h->vw[0] ? 1u : 0u));
        w_u32(w, per * h->n_layers);
        for (uint32_t k = 0; k < h->n_layers; k++) {
            size_t nw = (size_t)h->in[k] * h->out[k], nb = h->out[k];
            const float *arr[6] = {h->w[k], h->b[k], h->mw[k], h->mb[k], h->vw[k], h->vb[k]};
            for (int a = 0; a < 6; a++) {
                if (!arr[a]) continue;
                size_t n = (a & 1) ? nb : nw;
                w_u64(w, n);
                w_f32s(w, arr[a], n);
            }
        }
        sec_end(w, at);
    }
    if (p->kind == ECL_LEARNER_REPLAY) {
        const struct ecl_replay *r = l->replay;
        at = sec_begin(w, TAG_RPLY);
        w_u32(w, r->size);
        w_u32(w, r->next);
        w_u64(w, r->rng);
        w_u64(w, r->n_added);
        for (uint32_t k = 0; k < c; k++) {
            w_u64(w, r->seen[k]);
            w_u32(w, r->count[k]);
        }
        for (uint32_t i = 0; i < r->size; i++)
            w_u32(w, (uint32_t)r->label[i]);
        if (r->p.storage == ECL_REPLAY_F32) {
            w_f32s(w, r->xf, (size_t)r->size * d);
        } else {
            w_bytes(w, r->xq, (size_t)r->size * d);
            w_f32s(w, r->scale, r->size);
            w_f32s(w, r->offset, r->size);
        }
        sec_end(w, at);
    }
    if (!kind_head) {
        at = sec_begin(w, TAG_STAT);
        w_u64(w, p->kind == ECL_LEARNER_SLDA ? l->n_total : 0);
        for (uint32_t k = 0; k < c; k++)
            w_u64(w, l->cnt[k]);
        w_f32s(w, l->mean, (size_t)c * d);
        if (p->kind == ECL_LEARNER_SLDA)
            for (uint32_t r = 0; r < d; r++)
                w_f32s(w, l->cov + (size_t)r * d, r + 1);
        sec_end(w, at);
    }
    /* total length, then CRC */
    uint64_t total = w->off + 4;
    if (w->buf && w->cap >= 16)
        for (int i = 0; i < 8; i++)
            w->buf[8 + i] = (uint8_t)(total >> (8 * i));
    uint32_t crc = w->buf && w->off <= w->cap ? ecl_crc32(0, w->buf, w->off) : 0;
    w_u32(w, crc);
}

enum ecl_status ecl_learner_state_size(const struct ecl_learner *l, size_t *bytes) {
    if (!l || !bytes) return ECL_EINVAL;
    struct wr w = {NULL, 0, 0, 0};
    write_all(l, &w);
    *bytes = w.off;
    return ECL_OK;
}

/* The same walk as the writer, so the check covers exactly what would be written. */
enum ecl_status ecl_learner_check_finite(const struct ecl_learner *l) {
    if (!l) return ECL_EINVAL;
    struct wr w = {NULL, 0, 0, 0};
    write_all(l, &w);
    return w.nonfinite ? ECL_ERANGE : ECL_OK;
}

enum ecl_status ecl_learner_state_write(const struct ecl_learner *l, void *buf, size_t cap,
                                        size_t *written) {
    if (!l || !buf) return ECL_EINVAL;
    if (written) *written = 0;
    size_t need;
    ecl_learner_state_size(l, &need);
    if (cap < need) return ECL_ENOMEM;
    struct wr w = {(uint8_t *)buf, cap, 0, 0};
    write_all(l, &w);
    /* An image with NaN/Inf would be refused by every reader: never hand one out. */
    if (w.nonfinite) return ECL_ERANGE;
    if (written) *written = w.off;
    return ECL_OK;
}

/* ------------------------------------------------------------------ reader */

struct rd {
    const uint8_t *buf;
    size_t len, off;
    enum ecl_status err; /* first error */
};

static void r_fail(struct rd *r, enum ecl_status st) {
    if (r->err == ECL_OK) r->err = st;
}

static int r_have(struct rd *r, size_t n) {
    if (r->err != ECL_OK) return 0;
    if (n > r->len - r->off) {
        r_fail(r, ECL_EFORMAT); /* inside a CRC-checked image: a length field is lying */
        return 0;
    }
    return 1;
}

static uint32_t r_u32(struct rd *r) {
    if (!r_have(r, 4)) return 0;
    const uint8_t *b = r->buf + r->off;
    r->off += 4;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t r_u64(struct rd *r) {
    uint64_t lo = r_u32(r);
    uint64_t hi = r_u32(r);
    return lo | hi << 32;
}

static float r_f32(struct rd *r) {
    uint32_t u = r_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Reads n floats into dst (NULL: validate only); non-finite values are corruption. */
static void r_f32s(struct rd *r, float *dst, size_t n) {
    if (n > (SIZE_MAX / 4) || !r_have(r, n * 4)) return;
    for (size_t i = 0; i < n; i++) {
        float f = r_f32(r);
        if (!isfinite(f)) {
            r_fail(r, ECL_ECORRUPT);
            return;
        }
        if (dst) dst[i] = f;
    }
}

static void r_bytes(struct rd *r, void *dst, size_t n) {
    if (!r_have(r, n)) return;
    if (dst) memcpy(dst, r->buf + r->off, n);
    r->off += n;
}

/* Enters the next section, which must have the given tag; returns its end offset. */
static size_t r_sec(struct rd *r, uint32_t tag) {
    uint32_t t = r_u32(r);
    uint64_t n = r_u64(r);
    if (r->err != ECL_OK) return 0;
    if (t != tag || n > r->len - r->off) {
        r_fail(r, ECL_EFORMAT);
        return 0;
    }
    return r->off + (size_t)n;
}

static void r_sec_end(struct rd *r, size_t end) {
    if (r->err == ECL_OK && r->off != end) r_fail(r, ECL_EFORMAT);
}

/* Heap sort of n uint32 (in place, no recursion, no allocation). */
static void sort_u32(uint32_t *a, size_t n) {
    for (size_t k = n; k-- > 0;) { /* build a max-heap, then pop the maximum to the end */
        for (size_t i = k, c; (c = 2 * i + 1) < n; i = c) {
            if (c + 1 < n && a[c + 1] > a[c]) c++;
            if (a[i] >= a[c]) break;
            uint32_t t = a[i];
            a[i] = a[c];
            a[c] = t;
        }
    }
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        for (size_t i = 0, c; (c = 2 * i + 1) < end; i = c) {
            if (c + 1 < end && a[c + 1] > a[c]) c++;
            if (a[i] >= a[c]) break;
            t = a[i];
            a[i] = a[c];
            a[c] = t;
        }
    }
}

/* The stored per-class counters (c records of u64 seen + u32 count, little-endian, at rec)
 * equal the histogram of labels[0..n). Sorts labels. */
static int labels_match_counts(const uint8_t *rec, uint32_t c, uint32_t *labels, size_t n) {
    sort_u32(labels, n);
    size_t i = 0;
    for (uint32_t k = 0; k < c; k++) {
        const uint8_t *b = rec + (size_t)k * 12 + 8;
        uint32_t cnt =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        size_t run = 0;
        while (i < n && labels[i] == k)
            i++, run++;
        if (run != cnt) return 0;
    }
    return i == n;
}

static void read_params(struct rd *r, struct ecl_learner_params *p) {
    memset(p, 0, sizeof *p);
    p->kind = (enum ecl_learner_kind)r_u32(r);
    p->dim = r_u32(r);
    p->max_classes = r_u32(r);
    struct ecl_head_params *h = &p->head;
    h->dim = r_u32(r);
    h->max_classes = r_u32(r);
    h->n_hidden = r_u32(r);
    for (int i = 0; i < ECL_HEAD_MAX_HIDDEN; i++)
        h->hidden[i] = r_u32(r);
    h->max_batch = r_u32(r);
    h->optimizer = (enum ecl_optimizer)r_u32(r);
    h->lr = r_f32(r);
    h->momentum = r_f32(r);
    h->beta1 = r_f32(r);
    h->beta2 = r_f32(r);
    h->eps = r_f32(r);
    h->l2 = r_f32(r);
    h->l2_bias = (int)r_u32(r);
    h->seed = r_u32(r);
    p->epochs = r_u32(r);
    p->batch_size = r_u32(r);
    p->replay_per_batch = r_u32(r);
    p->lr_after_first = r_f32(r);
    struct ecl_replay_params *q = &p->replay;
    q->dim = r_u32(r);
    q->capacity = r_u32(r);
    q->max_classes = r_u32(r);
    q->policy = (enum ecl_replay_policy)r_u32(r);
    q->storage = (enum ecl_replay_storage)r_u32(r);
    q->replace_fraction = r_f32(r);
    q->seed = r_u32(r);
    p->slda_shrinkage = r_f32(r);
    p->seed = r_u32(r);
}

/* Header, length and CRC checks; on success r is positioned after the header and its len
 * excludes the CRC. */
static enum ecl_status check_image(const void *buf, size_t len, struct rd *r, uint32_t *n_sec) {
    const uint8_t *b = (const uint8_t *)buf;
    if (!buf) return ECL_EINVAL;
    size_t m = len < 4 ? len : 4;
    if (memcmp(b, "ECLS", m) != 0) return ECL_EFORMAT;
    if (len < 8) return ECL_ETRUNCATED;
    struct rd h = {b, len, 4, ECL_OK};
    uint32_t version = r_u32(&h);
    if (version != STATE_VERSION) return ECL_EVERSION;
    if (len < HDR_BYTES + 4) return ECL_ETRUNCATED;
    uint64_t total = r_u64(&h);
    if (total < HDR_BYTES + 4) return ECL_EFORMAT;
    if (len < total) return ECL_ETRUNCATED;
    if (len > total) return ECL_EFORMAT; /* trailing bytes: not an image we wrote */
    size_t body = (size_t)total - 4;
    uint32_t want = (uint32_t)b[body] | (uint32_t)b[body + 1] << 8 | (uint32_t)b[body + 2] << 16 |
                    (uint32_t)b[body + 3] << 24;
    if (ecl_crc32(0, b, body) != want) return ECL_ECORRUPT;
    r->buf = b;
    r->len = body;
    r->off = 16;
    r->err = ECL_OK;
    *n_sec = r_u32(r);
    return ECL_OK;
}

static enum ecl_status parse_params(struct rd *r, struct ecl_learner_params *p) {
    size_t end = r_sec(r, TAG_PARM);
    read_params(r, p);
    r_sec_end(r, end);
    if (r->err != ECL_OK) return r->err;
    size_t need;
    /* Parameters that no learner could be built from: the image is inconsistent. */
    if (ecl_learner_mem_size(p, &need) != ECL_OK) return ECL_ECORRUPT;
    struct ecl_learner_params q = ecl_learner_normalise_(p);
    if (memcmp(&q.head, &p->head, sizeof q.head) != 0 ||
        (p->kind == ECL_LEARNER_REPLAY && memcmp(&q.replay, &p->replay, sizeof q.replay) != 0))
        return ECL_ECORRUPT; /* we only ever write normalised parameters */
    return ECL_OK;
}

/* Envelope checks (magic, version, length, CRC, section table) and the parameter section:
 * the common first step of reading an image. */
static enum ecl_status open_image(const void *buf, size_t len, struct rd *r, uint32_t *n_sec,
                                  struct ecl_learner_params *q) {
    enum ecl_status st = check_image(buf, len, r, n_sec);
    if (st != ECL_OK) return st;
    return parse_params(r, q);
}

enum ecl_status ecl_learner_state_params(const void *buf, size_t len,
                                         struct ecl_learner_params *p) {
    if (!buf || !p) return ECL_EINVAL;
    struct rd r;
    uint32_t n_sec;
    struct ecl_learner_params q;
    enum ecl_status st = open_image(buf, len, &r, &n_sec, &q);
    if (st != ECL_OK) return st;
    *p = q;
    return ECL_OK;
}

/* Same memory layout and meaning of stored arrays? */
static int compatible(const struct ecl_learner_params *a, const struct ecl_learner_params *b) {
    if (a->kind != b->kind || a->dim != b->dim || a->max_classes != b->max_classes) return 0;
    if (a->kind == ECL_LEARNER_NAIVE || a->kind == ECL_LEARNER_REPLAY) {
        const struct ecl_head_params *x = &a->head, *y = &b->head;
        if (x->n_hidden != y->n_hidden || x->max_batch != y->max_batch ||
            x->optimizer != y->optimizer || ecl_head_has_m(x) != ecl_head_has_m(y))
            return 0;
        for (uint32_t i = 0; i < x->n_hidden; i++)
            if (x->hidden[i] != y->hidden[i]) return 0;
    }
    if (a->kind == ECL_LEARNER_REPLAY &&
        (a->replay.capacity != b->replay.capacity || a->replay.storage != b->replay.storage))
        return 0;
    return 1;
}

/* Parses every section after PARM; with apply == 0 only validates. */
static void parse_body(struct rd *r, struct ecl_learner *l, int apply) {
    const struct ecl_learner_params *p = &l->p;
    const uint32_t d = p->dim, c = p->max_classes;
    int kind_head = p->kind == ECL_LEARNER_NAIVE || p->kind == ECL_LEARNER_REPLAY;

    size_t end = r_sec(r, TAG_LRNR);
    uint32_t n_classes = r_u32(r);
    uint64_t n_seen = r_u64(r), n_observe = r_u64(r), rng = r_u64(r);
    if (r->err == ECL_OK && n_classes > c) r_fail(r, ECL_ECORRUPT);
    if (r->err == ECL_OK && apply) {
        l->n_classes = n_classes;
        l->n_seen = n_seen;
        l->n_observe = n_observe;
        l->rng = rng;
    }
    if (r_have(r, (size_t)c * ECL_CLASS_NAME_MAX)) {
        /* Each name must be NUL-terminated within its slot. */
        for (uint32_t k = 0; k < c; k++)
            if (memchr(r->buf + r->off + (size_t)k * ECL_CLASS_NAME_MAX, 0, ECL_CLASS_NAME_MAX) ==
                NULL)
                r_fail(r, ECL_ECORRUPT);
        r_bytes(r, apply && r->err == ECL_OK ? (void *)l->names : NULL,
                (size_t)c * ECL_CLASS_NAME_MAX);
    }
    r_sec_end(r, end);

    if (kind_head) {
        struct ecl_head *h = l->head;
        end = r_sec(r, TAG_HEAD);
        uint32_t hn = r_u32(r);
        uint64_t step = r_u64(r);
        float lr = r_f32(r);
        uint32_t n_arr = r_u32(r);
        uint32_t per = 2u * (1u + (h->mw[0] ? 1u : 0u) + (h->vw[0] ? 1u : 0u));
        if (r->err == ECL_OK &&
            (hn != n_classes || !(lr >= 0.0f) || !isfinite(lr) || n_arr != per * h->n_layers))
            r_fail(r, ECL_ECORRUPT);
        if (r->err == ECL_OK && apply) {
            h->n_classes = hn;
            h->step = step;
            h->lr = lr;
            h->p = p->head;
        }
        for (uint32_t k = 0; k < h->n_layers && r->err == ECL_OK; k++) {
            size_t nw = (size_t)h->in[k] * h->out[k], nb = h->out[k];
            float *arr[6] = {h->w[k], h->b[k], h->mw[k], h->mb[k], h->vw[k], h->vb[k]};
            for (int a = 0; a < 6; a++) {
                if (!arr[a]) continue;
                size_t n = (a & 1) ? nb : nw;
                if (r_u64(r) != n) r_fail(r, ECL_EFORMAT);
                r_f32s(r, apply ? arr[a] : NULL, n);
            }
        }
        r_sec_end(r, end);
    }
    if (p->kind == ECL_LEARNER_REPLAY) {
        struct ecl_replay *rp = l->replay;
        end = r_sec(r, TAG_RPLY);
        uint32_t size = r_u32(r), next = r_u32(r);
        uint64_t rrng = r_u64(r), n_added = r_u64(r);
        const uint32_t cap = rp->p.capacity;
        if (r->err == ECL_OK && (size > cap || next >= cap || n_added < size))
            r_fail(r, ECL_ECORRUPT);
        if (r->err == ECL_OK && apply) {
            rp->size = size;
            rp->next = next;
            rp->rng = rrng;
            rp->n_added = n_added;
            rp->p = p->replay;
        }
        /* Labels must be in range and agree with the per-class counters. In the validation
         * pass the labels are copied into the replay's scratch index array (sized capacity;
         * scratch holds nothing between calls), sorted, and the run length of each class is
         * compared with its stored counter, re-read from the buffer: exact for any
         * max_classes, O(classes + size log size), no extra memory. */
        const size_t count_off = r->off;
        uint64_t total_count = 0;
        for (uint32_t k = 0; k < c && r->err == ECL_OK; k++) {
            uint64_t seen = r_u64(r);
            uint32_t cnt = r_u32(r);
            total_count += cnt;
            if (r->err == ECL_OK && (cnt > cap || seen < cnt)) r_fail(r, ECL_ECORRUPT);
            if (r->err == ECL_OK && apply) {
                rp->seen[k] = seen;
                rp->count[k] = cnt;
            }
        }
        if (r->err == ECL_OK && total_count != size) r_fail(r, ECL_ECORRUPT);
        for (uint32_t i = 0; i < size && r->err == ECL_OK; i++) {
            uint32_t y = r_u32(r);
            if (r->err != ECL_OK) break;
            if (y >= n_classes) {
                r_fail(r, ECL_ECORRUPT);
                break;
            }
            if (apply)
                rp->label[i] = (int32_t)y;
            else
                rp->idx[i] = y;
        }
        if (!apply && r->err == ECL_OK &&
            !labels_match_counts(r->buf + count_off, c, rp->idx, size))
            r_fail(r, ECL_ECORRUPT);
        if (rp->p.storage == ECL_REPLAY_F32) {
            r_f32s(r, apply ? rp->xf : NULL, (size_t)size * d);
        } else {
            r_bytes(r, apply ? rp->xq : NULL, (size_t)size * d);
            r_f32s(r, apply ? rp->scale : NULL, size);
            r_f32s(r, apply ? rp->offset : NULL, size);
        }
        r_sec_end(r, end);
    }
    if (!kind_head) {
        end = r_sec(r, TAG_STAT);
        uint64_t n_total = r_u64(r), sum = 0;
        for (uint32_t k = 0; k < c && r->err == ECL_OK; k++) {
            uint64_t cnt = r_u64(r);
            if (r->err == ECL_OK && cnt > 0 && k >= n_classes) r_fail(r, ECL_ECORRUPT);
            sum += cnt;
            if (apply) l->cnt[k] = cnt;
        }
        if (r->err == ECL_OK && p->kind == ECL_LEARNER_SLDA && sum != n_total)
            r_fail(r, ECL_ECORRUPT);
        /* NCM writes 0 here; anything else is not an image we wrote (found by fuzz_state) */
        if (r->err == ECL_OK && p->kind != ECL_LEARNER_SLDA && n_total != 0)
            r_fail(r, ECL_ECORRUPT);
        r_f32s(r, apply ? l->mean : NULL, (size_t)c * d);
        if (p->kind == ECL_LEARNER_SLDA) {
            for (uint32_t row = 0; row < d && r->err == ECL_OK; row++)
                r_f32s(r, apply ? l->cov + (size_t)row * d : NULL, row + 1);
            if (apply) {
                l->n_total = n_total;
                l->cache_valid = 0;
            }
        }
        r_sec_end(r, end);
    }
    if (r->err == ECL_OK && r->off != r->len) r_fail(r, ECL_EFORMAT);
}

/* The reader's validation: envelope, parameters compatible with l, every section (apply=0).
 * On success r is positioned at the body and *q holds the image's parameters. */
static enum ecl_status validate(struct ecl_learner *l, const void *buf, size_t len, struct rd *r,
                                struct ecl_learner_params *q) {
    uint32_t n_sec;
    enum ecl_status st = open_image(buf, len, r, &n_sec, q);
    if (st != ECL_OK) return st;
    if (q->kind != l->p.kind || !compatible(q, &l->p))
        return ECL_EINVAL; /* learner built with other parameters: use state_params first */
    int kind_head = q->kind == ECL_LEARNER_NAIVE || q->kind == ECL_LEARNER_REPLAY;
    uint32_t want_sec =
        2 + (kind_head ? 1 : 0) + (q->kind == ECL_LEARNER_REPLAY ? 1 : 0) + (kind_head ? 0 : 1);
    if (n_sec != want_sec) return ECL_EFORMAT;
    size_t body = r->off;
    parse_body(r, l, 0);
    if (r->err != ECL_OK) return r->err;
    r->off = body;
    return ECL_OK;
}

enum ecl_status ecl_learner_state_check(struct ecl_learner *l, const void *buf, size_t len) {
    if (!l || !buf) return ECL_EINVAL;
    struct rd r;
    struct ecl_learner_params q;
    return validate(l, buf, len, &r, &q);
}

enum ecl_status ecl_learner_state_read(struct ecl_learner *l, const void *buf, size_t len) {
    if (!l || !buf) return ECL_EINVAL;
    struct rd r;
    struct ecl_learner_params q;
    enum ecl_status st = validate(l, buf, len, &r, &q);
    if (st != ECL_OK) return st;
    /* Valid: apply. Nothing below can fail. */
    l->p = q;
    parse_body(&r, l, 1);
    return r.err;
}
