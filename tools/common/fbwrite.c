/* tools/common/fbwrite.c - FlatBuffers writer (see fbwrite.h). The layout rules it follows:
 * scalars are aligned to their size and vectors' first elements to their element alignment
 * (both measured from the end of the buffer, which fbw_finish makes a multiple of the largest
 * alignment used, so they hold from the start too); a table starts with an int32 soffset to
 * its vtable, which is written just below it (soffset positive); uoffsets are relative to the
 * position they are stored at. */
#include "fbwrite.h"

#include <stdlib.h>
#include <string.h>

void fbw_init(struct fbw *w) {
    memset(w, 0, sizeof *w);
    w->minalign = 1;
}

void fbw_free(struct fbw *w) {
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static int grow(struct fbw *w, size_t need) {
    if (w->oom) return 0;
    if (w->cap - w->size >= need) return 1;
    size_t nc = w->cap ? w->cap : 1024;
    while (nc - w->size < need) {
        if (nc > ((size_t)1 << 40)) {
            w->oom = 1;
            return 0;
        }
        nc *= 2;
    }
    uint8_t *nb = malloc(nc);
    if (!nb) {
        w->oom = 1;
        return 0;
    }
    if (w->size) memcpy(nb + nc - w->size, w->buf + w->cap - w->size, w->size);
    free(w->buf);
    w->buf = nb;
    w->cap = nc;
    return 1;
}

static void push(struct fbw *w, const void *p, size_t n) {
    if (!grow(w, n)) return;
    w->size += n;
    if (p)
        memcpy(w->buf + w->cap - w->size, p, n);
    else
        memset(w->buf + w->cap - w->size, 0, n);
}

/* Pad so that after pushing `extra` more bytes the size is a multiple of align. */
static void prep(struct fbw *w, size_t align, size_t extra) {
    if (align > w->minalign) w->minalign = align;
    size_t pad = (align - ((w->size + extra) & (align - 1))) & (align - 1);
    if (pad) push(w, NULL, pad);
}

static void push_u32(struct fbw *w, uint32_t v) {
    push(w, &v, 4);
}

uint32_t fbw_vec(struct fbw *w, const void *elems, size_t n, size_t elsize, size_t align) {
    size_t bytes = n * elsize;
    prep(w, 4, bytes);
    prep(w, align < 4 ? 4 : align, bytes);
    push(w, elems, bytes);
    push_u32(w, (uint32_t)n);
    return (uint32_t)w->size;
}

uint32_t fbw_vec_i32(struct fbw *w, const int32_t *v, size_t n) {
    return fbw_vec(w, v, n, 4, 4);
}

uint32_t fbw_vec_refs(struct fbw *w, const uint32_t *refs, size_t n) {
    prep(w, 4, n * 4);
    for (size_t i = n; i-- > 0;) /* last element first: each uoffset relative to its slot */
        push_u32(w, (uint32_t)(w->size + 4 - refs[i]));
    push_u32(w, (uint32_t)n);
    return (uint32_t)w->size;
}

uint32_t fbw_string(struct fbw *w, const char *s) {
    size_t n = strlen(s);
    prep(w, 4, n + 1);
    push(w, NULL, 1);
    push(w, s, n);
    push_u32(w, (uint32_t)n);
    return (uint32_t)w->size;
}

void fbw_table_start(struct fbw *w) {
    memset(w->field_ref, 0, sizeof w->field_ref);
    w->n_fields = 0;
    w->table_start = w->size;
}

static void field(struct fbw *w, uint32_t idx, const void *v, size_t n) {
    if (idx >= FBW_MAX_FIELDS) {
        w->oom = 1;
        return;
    }
    prep(w, n, n);
    push(w, v, n);
    w->field_ref[idx] = w->size;
    if (idx + 1 > w->n_fields) w->n_fields = idx + 1;
}

void fbw_add_u8(struct fbw *w, uint32_t idx, uint8_t v) {
    field(w, idx, &v, 1);
}
void fbw_add_u32(struct fbw *w, uint32_t idx, uint32_t v) {
    field(w, idx, &v, 4);
}
void fbw_add_f32(struct fbw *w, uint32_t idx, float v) {
    field(w, idx, &v, 4);
}
void fbw_add_u64(struct fbw *w, uint32_t idx, uint64_t v) {
    field(w, idx, &v, 8);
}

void fbw_add_off(struct fbw *w, uint32_t idx, uint32_t ref) {
    prep(w, 4, 4);
    uint32_t off = (uint32_t)(w->size + 4 - ref);
    field(w, idx, &off, 4);
}

uint32_t fbw_table_end(struct fbw *w) {
    prep(w, 4, 4);
    push_u32(w, 0); /* soffset, patched below */
    const size_t table = w->size;
    uint16_t vt[2 + FBW_MAX_FIELDS];
    vt[0] = (uint16_t)(4 + 2 * w->n_fields);
    vt[1] = (uint16_t)(table - w->table_start);
    for (uint32_t i = 0; i < w->n_fields; i++)
        vt[2 + i] = w->field_ref[i] ? (uint16_t)(table - w->field_ref[i]) : 0;
    push(w, vt, vt[0]); /* size is a multiple of 4 here and vt[0] is even: 2-aligned */
    const size_t vtab = w->size;
    if (!w->oom) {
        int32_t so = (int32_t)(vtab - table); /* vtable = table - soffset, below the table */
        memcpy(w->buf + w->cap - table, &so, 4);
    }
    return (uint32_t)table;
}

const uint8_t *fbw_finish(struct fbw *w, uint32_t root, const char ident[4], size_t *len) {
    prep(w, w->minalign > 4 ? w->minalign : 4, 8);
    push(w, ident, 4);
    push_u32(w, (uint32_t)(w->size + 4 - root));
    if (w->oom) return NULL;
    *len = w->size;
    return w->buf + w->cap - w->size;
}
