/* statefile.c - the demo's state container (statefile.h, docs/demo.md). */
#define _POSIX_C_SOURCE 200809L
#include "statefile.h"
#include <stdio.h>
#include <string.h>
#include "edgecl/crc32.h"

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int statefile_is_container(const void *buf, size_t len) {
    return len >= 4 && !memcmp(buf, STATEFILE_MAGIC, 4);
}

static size_t sample_rec(uint32_t dim, uint32_t side) {
    return 12 + 4 * (size_t)dim + (size_t)side * side * 3;
}

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return code;                                                                               \
    } while (0)

static enum ecl_status parse_learners(const uint8_t *b, size_t *off, size_t end,
                                      struct statefile *sf, char *err, size_t errlen) {
    for (uint32_t i = 0; i < sf->n_learners; i++) {
        if (end - *off < 12) FAIL(ECL_ETRUNCATED, "demo state is truncated");
        uint32_t kind = get32(b + *off);
        uint64_t ll = get64(b + *off + 4);
        *off += 12;
        if (kind > ECL_LEARNER_NCM || ll > end - *off)
            FAIL(ECL_ECORRUPT, "demo state: bad learner record %u", i);
        sf->learners[i].kind = kind;
        sf->learners[i].img = b + *off;
        sf->learners[i].len = (size_t)ll;
        *off += (size_t)ll;
    }
    return ECL_OK;
}

enum ecl_status statefile_parse(const void *buf, size_t len, struct statefile_class *classes,
                                struct statefile *sf, char *err, size_t errlen) {
    const uint8_t *b = buf;
    memset(sf, 0, sizeof *sf);
    if (len < 28 || !statefile_is_container(buf, len))
        FAIL(ECL_EFORMAT, "not an edgecl demo state file (bad magic)");
    sf->version = get32(b + 4);
    if (sf->version != 1 && sf->version != 2)
        FAIL(ECL_EVERSION, "unsupported demo state version %u", sf->version);
    if (ecl_crc32(0, b, len - 4) != get32(b + len - 4))
        FAIL(ECL_ECORRUPT, "demo state is truncated or corrupted (CRC mismatch)");
    sf->dim = get32(b + 8);
    sf->max_classes = get32(b + 12);
    sf->n_classes = get32(b + 16);
    sf->rounds = get32(b + 20);
    size_t off = 24, end = len - 4;
    if (sf->version >= 2) {
        if (end - off < 4) FAIL(ECL_ETRUNCATED, "demo state is truncated");
        sf->flags = get32(b + off);
        off += 4;
    }
    if (sf->dim == 0 || sf->max_classes > STATEFILE_MAX_CLASSES || sf->n_classes > sf->max_classes)
        FAIL(ECL_ECORRUPT, "demo state: %u classes of at most %u, %u-d", sf->n_classes,
             sf->max_classes, sf->dim);
    if ((end - off) / 36 < sf->n_classes) FAIL(ECL_ETRUNCATED, "demo state is truncated");
    sf->classes = classes;
    for (uint32_t c = 0; c < sf->n_classes; c++, off += 36) {
        memcpy(classes[c].name, b + off, ECL_CLASS_NAME_MAX);
        if (classes[c].name[ECL_CLASS_NAME_MAX - 1])
            FAIL(ECL_ECORRUPT, "demo state: class %u: name not terminated", c);
        for (const unsigned char *p = (const unsigned char *)classes[c].name; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                FAIL(ECL_ECORRUPT, "demo state: class %u: control characters in name", c);
        classes[c].trained = get32(b + off + 32);
    }
    sf->n_learners = 2;
    if (sf->version >= 2) {
        if (end - off < 4) FAIL(ECL_ETRUNCATED, "demo state is truncated");
        sf->n_learners = get32(b + off);
        off += 4;
        if (sf->n_learners < 1 || sf->n_learners > STATEFILE_MAX_LEARNERS)
            FAIL(ECL_ECORRUPT, "demo state: %u learners (1..%d)", sf->n_learners,
                 STATEFILE_MAX_LEARNERS);
    }
    enum ecl_status st = parse_learners(b, &off, end, sf, err, errlen);
    if (st) return st;
    if (sf->version >= 2) {
        if (end - off < 8) FAIL(ECL_ETRUNCATED, "demo state is truncated");
        sf->n_samples = get32(b + off);
        sf->thumb_side = get32(b + off + 4);
        off += 8;
        if (sf->thumb_side > 64) FAIL(ECL_ECORRUPT, "demo state: thumbnails too large");
        size_t rec = sample_rec(sf->dim, sf->thumb_side);
        if (sf->dim > (1u << 20) || (end - off) / rec < sf->n_samples)
            FAIL(ECL_ETRUNCATED, "demo state is truncated (samples)");
        sf->sample_data = b + off;
        for (uint32_t i = 0; i < sf->n_samples; i++) {
            const uint8_t *r = b + off + (size_t)i * rec;
            if (get32(r + 4) >= sf->n_classes || get32(r + 8) == 0 || get32(r + 8) > sf->rounds)
                FAIL(ECL_ECORRUPT, "demo state: sample %u: bad class or round", i);
        }
        off += (size_t)sf->n_samples * rec;
    }
    if (off != end) FAIL(ECL_ECORRUPT, "demo state: %zu unexpected trailing bytes", end - off);
    return ECL_OK;
}

int statefile_find_learner(const struct statefile *sf, enum ecl_learner_kind kind) {
    for (uint32_t i = 0; i < sf->n_learners; i++)
        if (sf->learners[i].kind == (uint32_t)kind) return (int)i;
    return -1;
}

void statefile_sample_get(const struct statefile *sf, uint32_t i, uint32_t *id, uint32_t *cls,
                          uint32_t *round, float *x, uint8_t *thumb) {
    const uint8_t *r = sf->sample_data + (size_t)i * sample_rec(sf->dim, sf->thumb_side);
    *id = get32(r);
    *cls = get32(r + 4);
    *round = get32(r + 8);
    memcpy(x, r + 12, 4 * (size_t)sf->dim); /* little-endian hosts only, as the ECLS images */
    if (thumb)
        memcpy(thumb, r + 12 + 4 * (size_t)sf->dim, (size_t)sf->thumb_side * sf->thumb_side * 3);
}

size_t statefile_size(const struct statefile *sf) {
    size_t n = 24 + 4 + (size_t)sf->n_classes * 36 + 4 + 8 + 4;
    for (uint32_t i = 0; i < sf->n_learners; i++)
        n += 12 + sf->learners[i].len;
    return n + (size_t)sf->n_samples * sample_rec(sf->dim, sf->thumb_side);
}

enum ecl_status statefile_write(const struct statefile *sf, void *buf, size_t cap,
                                size_t *written) {
    size_t need = statefile_size(sf), ts = (size_t)sf->thumb_side * sf->thumb_side * 3;
    if (cap < need) return ECL_ERANGE;
    if (sf->n_learners < 1 || sf->n_learners > STATEFILE_MAX_LEARNERS) return ECL_EINVAL;
    uint8_t *b = buf, *p = b;
    memcpy(p, STATEFILE_MAGIC, 4);
    put32(p + 4, STATEFILE_VERSION);
    put32(p + 8, sf->dim);
    put32(p + 12, sf->max_classes);
    put32(p + 16, sf->n_classes);
    put32(p + 20, sf->rounds);
    put32(p + 24, sf->flags);
    p += 28;
    for (uint32_t c = 0; c < sf->n_classes; c++, p += 36) {
        memset(p, 0, 32);
        memcpy(p, sf->classes[c].name, strnlen(sf->classes[c].name, ECL_CLASS_NAME_MAX - 1));
        put32(p + 32, sf->classes[c].trained);
    }
    put32(p, sf->n_learners);
    p += 4;
    for (uint32_t i = 0; i < sf->n_learners; i++) {
        put32(p, sf->learners[i].kind);
        put64(p + 4, sf->learners[i].len);
        memcpy(p + 12, sf->learners[i].img, sf->learners[i].len);
        p += 12 + sf->learners[i].len;
    }
    put32(p, sf->n_samples);
    put32(p + 4, sf->thumb_side);
    p += 8;
    for (uint32_t i = 0; i < sf->n_samples; i++) {
        struct statefile_sample s;
        sf->sample(sf->sample_ctx, i, &s);
        put32(p, s.id);
        put32(p + 4, s.cls);
        put32(p + 8, s.round);
        memcpy(p + 12, s.x, 4 * (size_t)sf->dim);
        p += 12 + 4 * (size_t)sf->dim;
        if (s.thumb)
            memcpy(p, s.thumb, ts);
        else
            memset(p, 128, ts);
        p += ts;
    }
    put32(p, ecl_crc32(0, b, (size_t)(p - b)));
    *written = need;
    return ECL_OK;
}
