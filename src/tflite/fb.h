/* src/tflite/fb.h - a minimal, bounds-checked FlatBuffers reader (internal).
 *
 * FlatBuffers wire format (little-endian): a table at position t starts with an int32
 * soffset; its vtable is at t - soffset: u16 vtable_bytes, u16 table_bytes, then one u16
 * per field (0 = absent, else the field's offset from t). Reference fields (tables, vectors,
 * strings) hold a u32 uoffset relative to the field's own position. A vector is a u32 length
 * followed by its elements; a string is a vector of bytes followed by a NUL.
 *
 * Every function here checks its reads against the buffer and returns 0 on a bad reference,
 * so a hostile file can make parsing fail but never read outside the buffer. Reads go
 * through memcpy, so unaligned positions are fine.
 */
#ifndef EDGECL_TFLITE_FB_H
#define EDGECL_TFLITE_FB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fb_buf {
    const uint8_t *p;
    size_t n;
};

struct fb_table {
    size_t pos;   /* table start */
    size_t vt;    /* vtable start */
    uint32_t nf;  /* fields in the vtable */
    uint32_t len; /* inline table size */
};

struct fb_vec {
    size_t pos;   /* first element */
    uint32_t len; /* element count */
};

static inline int fb_in(const struct fb_buf *b, size_t pos, size_t size) {
    return pos <= b->n && size <= b->n - pos;
}
static inline uint32_t fb_rd_u32(const struct fb_buf *b, size_t pos) {
    uint32_t v;
    memcpy(&v, b->p + pos, 4); /* little-endian hosts only (x86, ARM LE) */
    return v;
}
static inline uint16_t fb_rd_u16(const struct fb_buf *b, size_t pos) {
    uint16_t v;
    memcpy(&v, b->p + pos, 2);
    return v;
}

/* Follow the uoffset stored at pos. */
static inline int fb_deref(const struct fb_buf *b, size_t pos, size_t *target) {
    if (!fb_in(b, pos, 4)) return 0;
    uint32_t off = fb_rd_u32(b, pos);
    if (off > b->n - pos) return 0;
    *target = pos + off;
    return 1;
}

static inline int fb_table_at(const struct fb_buf *b, size_t pos, struct fb_table *t) {
    if (!fb_in(b, pos, 4)) return 0;
    int32_t so;
    memcpy(&so, b->p + pos, 4);
    int64_t vt = (int64_t)pos - (int64_t)so;
    if (vt < 0 || !fb_in(b, (size_t)vt, 4)) return 0;
    uint16_t vlen = fb_rd_u16(b, (size_t)vt), tlen = fb_rd_u16(b, (size_t)vt + 2);
    if (vlen < 4 || (vlen & 1) || !fb_in(b, (size_t)vt, vlen)) return 0;
    if (tlen < 4 || !fb_in(b, pos, tlen)) return 0;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->nf = (uint32_t)(vlen - 4) / 2;
    t->len = tlen;
    return 1;
}

/* Position of field idx of the given inline size: 1 present, 0 absent, -1 malformed. */
static inline int fb_field(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                           size_t size, size_t *pos) {
    if (idx >= t->nf) return 0;
    uint16_t off = fb_rd_u16(b, t->vt + 4 + 2 * (size_t)idx);
    if (off == 0) return 0;
    if (off < 4 || (size_t)off + size > t->len) return -1;
    *pos = t->pos + off;
    return 1;
}

/* Scalars: absent -> def; malformed -> return 0. */
static inline int fb_scalar(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                            size_t size, void *out, const void *def) {
    size_t pos;
    int r = fb_field(b, t, idx, size, &pos);
    if (r < 0) return 0;
    memcpy(out, r ? b->p + pos : (const uint8_t *)def, size);
    return 1;
}
static inline int fb_i32(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                         int32_t def, int32_t *v) {
    return fb_scalar(b, t, idx, 4, v, &def);
}
static inline int fb_u32(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                         uint32_t def, uint32_t *v) {
    return fb_scalar(b, t, idx, 4, v, &def);
}
static inline int fb_u8(const struct fb_buf *b, const struct fb_table *t, uint32_t idx, uint8_t def,
                        uint8_t *v) {
    return fb_scalar(b, t, idx, 1, v, &def);
}
static inline int fb_f32(const struct fb_buf *b, const struct fb_table *t, uint32_t idx, float def,
                         float *v) {
    return fb_scalar(b, t, idx, 4, v, &def);
}
static inline int fb_u64(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                         uint64_t def, uint64_t *v) {
    return fb_scalar(b, t, idx, 8, v, &def);
}

/* Sub-table: 1 present, 0 absent, -1 malformed. */
static inline int fb_subtable(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                              struct fb_table *sub) {
    size_t pos, target;
    int r = fb_field(b, t, idx, 4, &pos);
    if (r <= 0) return r;
    if (!fb_deref(b, pos, &target) || !fb_table_at(b, target, sub)) return -1;
    return 1;
}

/* Vector of elem-byte elements: 1 present, 0 absent (len 0), -1 malformed. */
static inline int fb_vector(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                            size_t elem, struct fb_vec *v) {
    size_t pos, target;
    v->pos = 0;
    v->len = 0;
    int r = fb_field(b, t, idx, 4, &pos);
    if (r <= 0) return r;
    if (!fb_deref(b, pos, &target) || !fb_in(b, target, 4)) return -1;
    uint32_t len = fb_rd_u32(b, target);
    if (elem && (uint64_t)len > (uint64_t)(b->n - target - 4) / elem) return -1;
    v->pos = target + 4;
    v->len = len;
    return 1;
}

/* Element i of a vector of tables. */
static inline int fb_vec_table(const struct fb_buf *b, const struct fb_vec *v, uint32_t i,
                               struct fb_table *t) {
    size_t target;
    if (i >= v->len) return 0;
    return fb_deref(b, v->pos + 4 * (size_t)i, &target) && fb_table_at(b, target, t);
}

/* String: 1 present (NUL-terminated inside the buffer), 0 absent, -1 malformed. */
static inline int fb_string(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                            const char **s, uint32_t *len) {
    struct fb_vec v;
    int r = fb_vector(b, t, idx, 1, &v);
    if (r <= 0) return r;
    if (!fb_in(b, v.pos, (size_t)v.len + 1) || b->p[v.pos + v.len] != 0) return -1;
    if (memchr(b->p + v.pos, 0, v.len)) return -1; /* embedded NUL: name would be cut */
    *s = (const char *)(b->p + v.pos);
    if (len) *len = v.len;
    return 1;
}

static inline int32_t fb_vec_i32(const struct fb_buf *b, const struct fb_vec *v, uint32_t i) {
    int32_t x;
    memcpy(&x, b->p + v->pos + 4 * (size_t)i, 4);
    return x;
}
static inline float fb_vec_f32(const struct fb_buf *b, const struct fb_vec *v, uint32_t i) {
    float x;
    memcpy(&x, b->p + v->pos + 4 * (size_t)i, 4);
    return x;
}
static inline int64_t fb_vec_i64(const struct fb_buf *b, const struct fb_vec *v, uint32_t i) {
    int64_t x;
    memcpy(&x, b->p + v->pos + 8 * (size_t)i, 8);
    return x;
}

#endif
