/* tools/common/fbwrite.h - a small FlatBuffers writer (back to front, as FlatBuffers' own
 * builders work): children are written before their parents, so every reference points
 * forward in the finished file, as the format's unsigned offsets require. Objects are named by
 * their distance from the end of the buffer ("ref"), which does not change as the buffer grows.
 *
 *     struct fbw w; fbw_init(&w);
 *     uint32_t name = fbw_string(&w, "x");
 *     fbw_table_start(&w);
 *     fbw_add_off(&w, 3, name);          // field 3: a string
 *     fbw_add_u8(&w, 1, 9);              // field 1: a byte
 *     uint32_t root = fbw_table_end(&w);
 *     size_t len; const uint8_t *p = fbw_finish(&w, root, "TFL3", &len);  // valid until free
 *     ... write p ...; fbw_free(&w);
 * Out of memory is sticky: fbw_finish returns NULL.
 */
#ifndef EDGECL_TOOLS_FBWRITE_H
#define EDGECL_TOOLS_FBWRITE_H

#include <stddef.h>
#include <stdint.h>

#define FBW_MAX_FIELDS 32

struct fbw {
    uint8_t *buf;
    size_t cap, size; /* the data is buf[cap - size .. cap) */
    size_t minalign;
    int oom;
    size_t field_ref[FBW_MAX_FIELDS]; /* open table: each field's ref, 0 = absent */
    uint32_t n_fields;
    size_t table_start;
};

void fbw_init(struct fbw *w);
void fbw_free(struct fbw *w);
/* Vectors of n elements of elsize bytes (little-endian values), their first element aligned
 * to align (a power of two >= elsize). */
uint32_t fbw_vec(struct fbw *w, const void *elems, size_t n, size_t elsize, size_t align);
uint32_t fbw_vec_i32(struct fbw *w, const int32_t *v, size_t n);
uint32_t fbw_vec_refs(struct fbw *w, const uint32_t *refs, size_t n); /* vector of tables */
uint32_t fbw_string(struct fbw *w, const char *s);
void fbw_table_start(struct fbw *w);
void fbw_add_u8(struct fbw *w, uint32_t field, uint8_t v);
void fbw_add_u32(struct fbw *w, uint32_t field, uint32_t v); /* also int32 and float bits */
void fbw_add_f32(struct fbw *w, uint32_t field, float v);
void fbw_add_u64(struct fbw *w, uint32_t field, uint64_t v);
void fbw_add_off(struct fbw *w, uint32_t field, uint32_t ref); /* table, vector or string */
uint32_t fbw_table_end(struct fbw *w);
const uint8_t *fbw_finish(struct fbw *w, uint32_t root, const char ident[4], size_t *len);

#endif
