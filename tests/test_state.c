/* State image tests: round trip for every learner kind (identical predictions, and identical
 * behaviour when training continues), refusal of truncated, bit-flipped, wrong-version,
 * wrong-magic, inconsistent and mismatched images - with the learner left untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/crc32.h"
#include "edgecl/learner.h"
#include "core_util.h"

#define DIM 6
#define CLASSES 5

struct ll {
    struct ecl_learner *l;
    void *mem;
};

static struct ll make(const struct ecl_learner_params *p) {
    struct ll o;
    size_t need;
    assert_int_equal(ecl_learner_mem_size(p, &need), ECL_OK);
    o.mem = malloc(need);
    assert_int_equal(ecl_learner_init(p, o.mem, need, &o.l), ECL_OK);
    return o;
}

static struct ecl_learner_params params(enum ecl_learner_kind k, int u8) {
    struct ecl_learner_params p = ecl_learner_default_params(k, DIM, CLASSES);
    p.head.hidden[0] = 8;
    p.epochs = 2;
    p.batch_size = 8;
    p.replay_per_batch = k == ECL_LEARNER_REPLAY ? 8 : 0;
    p.replay.capacity = 40;
    p.replay.storage = u8 ? ECL_REPLAY_U8 : ECL_REPLAY_F32;
    p.head.momentum = 0.5f; /* SGD case below keeps a momentum buffer */
    return p;
}

static void feed(struct ecl_learner *l, struct tu_clusters *c, int calls) {
    float x[30 * DIM];
    int32_t y[30];
    for (int i = 0; i < calls; i++) {
        tu_draw(c, i % 2 ? 0 : 2, i % 2 ? 3 : 4, 30, x, y);
        assert_int_equal(ecl_learner_observe(l, x, y, 30), ECL_OK);
    }
}

static void *image(struct ecl_learner *l, size_t *len) {
    assert_int_equal(ecl_learner_state_size(l, len), ECL_OK);
    void *b = malloc(*len);
    size_t w;
    assert_int_equal(ecl_learner_state_write(l, b, *len, &w), ECL_OK);
    assert_int_equal(w, *len);
    return b;
}

static void same_predictions(struct ecl_learner *a, struct ecl_learner *b, struct tu_clusters *c) {
    float x[20 * DIM], sa[CLASSES], sb[CLASSES];
    int32_t y[20], ta, tb;
    tu_draw(c, 0, 4, 20, x, y);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ecl_learner_predict(a, x + i * DIM, sa, &ta), ECL_OK);
        assert_int_equal(ecl_learner_predict(b, x + i * DIM, sb, &tb), ECL_OK);
        assert_int_equal(ta, tb);
        assert_memory_equal(sa, sb, sizeof sa);
    }
}

static void round_trip(enum ecl_learner_kind k, int u8, enum ecl_optimizer opt) {
    struct tu_clusters c;
    tu_clusters_init(&c, DIM, 5, 2.0f, 77);
    struct ecl_learner_params p = params(k, u8);
    p.head.optimizer = opt;
    struct ll A = make(&p);
    feed(A.l, &c, 5);
    ecl_learner_set_class_name(A.l, 2, "cat");
    size_t len;
    void *img = image(A.l, &len);
    struct ecl_learner_params q;
    assert_int_equal(ecl_learner_state_params(img, len, &q), ECL_OK);
    assert_int_equal(q.kind, k);
    assert_int_equal(q.dim, DIM);
    assert_int_equal(q.replay.storage, p.replay.storage);
    struct ll B = make(&q);
    assert_int_equal(ecl_learner_state_read(B.l, img, len), ECL_OK);
    assert_int_equal(ecl_learner_n_classes(B.l), ecl_learner_n_classes(A.l));
    assert_int_equal(ecl_learner_n_seen(B.l), ecl_learner_n_seen(A.l));
    assert_string_equal(ecl_learner_class_name(B.l, 2), "cat");
    same_predictions(A.l, B.l, &c);
    /* identical continuation: optimiser state, replay contents and RNG streams restored */
    struct tu_clusters c2 = c;
    feed(A.l, &c, 2);
    feed(B.l, &c2, 2);
    same_predictions(A.l, B.l, &c);
    size_t la, lb;
    void *ia = image(A.l, &la), *ib = image(B.l, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ia, ib, la);
    free(ia);
    free(ib);
    free(img);
    free(A.mem);
    free(B.mem);
    tu_clusters_free(&c);
}

static void test_round_trip(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++)
        round_trip((enum ecl_learner_kind)k, 0, ECL_OPT_ADAM);
    round_trip(ECL_LEARNER_REPLAY, 1, ECL_OPT_ADAM);
    round_trip(ECL_LEARNER_REPLAY, 0, ECL_OPT_SGD);
    round_trip(ECL_LEARNER_NAIVE, 0, ECL_OPT_SGD);
}

/* A trained learner, its image, and a second trained learner whose image must not change when
 * a bad image is refused. */
struct fixture {
    struct tu_clusters c;
    struct ll src, dst;
    void *img, *dst_img;
    size_t len, dst_len;
};

static void fx_init(struct fixture *f, enum ecl_learner_kind k) {
    tu_clusters_init(&f->c, DIM, 5, 2.0f, 5);
    struct ecl_learner_params p = params(k, 0);
    f->src = make(&p);
    f->dst = make(&p);
    feed(f->src.l, &f->c, 4);
    feed(f->dst.l, &f->c, 1);
    f->img = image(f->src.l, &f->len);
    f->dst_img = image(f->dst.l, &f->dst_len);
}

static void fx_untouched(struct fixture *f) {
    size_t len;
    void *now = image(f->dst.l, &len);
    assert_int_equal(len, f->dst_len);
    assert_memory_equal(now, f->dst_img, len);
    free(now);
}

static void fx_free(struct fixture *f) {
    free(f->img);
    free(f->dst_img);
    free(f->src.mem);
    free(f->dst.mem);
    tu_clusters_free(&f->c);
}

static void refix_crc(uint8_t *b, size_t len) {
    uint32_t c = ecl_crc32(0, b, len - 4);
    for (int i = 0; i < 4; i++)
        b[len - 4 + i] = (uint8_t)(c >> (8 * i));
}

static void test_truncated(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++) {
        struct fixture f;
        fx_init(&f, (enum ecl_learner_kind)k);
        /* every length for the first 64 bytes, then ~300 lengths spread over the image */
        size_t stride = f.len / 300 + 1;
        for (size_t n = 0; n < f.len; n += n < 64 ? 1 : stride) {
            assert_int_equal(ecl_learner_state_read(f.dst.l, f.img, n), ECL_ETRUNCATED);
            struct ecl_learner_params q;
            assert_int_equal(ecl_learner_state_params(f.img, n, &q), ECL_ETRUNCATED);
        }
        assert_int_equal(ecl_learner_state_read(f.dst.l, f.img, f.len - 1), ECL_ETRUNCATED);
        fx_untouched(&f);
        fx_free(&f);
    }
}

static void test_bit_flips(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++) {
        struct fixture f;
        fx_init(&f, (enum ecl_learner_kind)k);
        uint8_t *b = (uint8_t *)f.img;
        uint64_t s = ecl_rng_seed(k, 1);
        /* all bits of the header, then 1500 random bits */
        for (int t = 0; t < 160 + 1500; t++) {
            size_t bit = t < 160 ? (size_t)t : (size_t)(ecl_rng_next(&s) % (f.len * 8));
            size_t at = bit / 8;
            b[at] ^= (uint8_t)(1u << (bit % 8));
            enum ecl_status st = ecl_learner_state_read(f.dst.l, f.img, f.len);
            b[at] ^= (uint8_t)(1u << (bit % 8));
            if (at < 4)
                assert_int_equal(st, ECL_EFORMAT);
            else if (at < 8)
                assert_int_equal(st, ECL_EVERSION);
            else if (at < 16)
                assert_true(st == ECL_ETRUNCATED || st == ECL_EFORMAT);
            else
                assert_int_equal(st, ECL_ECORRUPT);
        }
        fx_untouched(&f);
        /* the image itself still loads */
        assert_int_equal(ecl_learner_state_read(f.dst.l, f.img, f.len), ECL_OK);
        fx_free(&f);
    }
}

static void test_version_magic_structure(void **state) {
    (void)state;
    struct fixture f;
    fx_init(&f, ECL_LEARNER_REPLAY);
    uint8_t *b = malloc(f.len);
    struct ecl_learner_params q;
    /* a future version with a valid CRC */
    memcpy(b, f.img, f.len);
    b[4] = 2;
    refix_crc(b, f.len);
    assert_int_equal(ecl_learner_state_read(f.dst.l, b, f.len), ECL_EVERSION);
    assert_int_equal(ecl_learner_state_params(b, f.len, &q), ECL_EVERSION);
    /* another file type */
    memcpy(b, f.img, f.len);
    memcpy(b, "ECLF", 4);
    assert_int_equal(ecl_learner_state_read(f.dst.l, b, f.len), ECL_EFORMAT);
    assert_int_equal(ecl_learner_state_read(f.dst.l, "\x89PNG", 4), ECL_EFORMAT);
    /* trailing garbage */
    uint8_t *longer = malloc(f.len + 3);
    memcpy(longer, f.img, f.len);
    assert_int_equal(ecl_learner_state_read(f.dst.l, longer, f.len + 3), ECL_EFORMAT);
    free(longer);
    /* CRC-valid but inconsistent: LRNR n_classes (right after the PARM section) too large */
    memcpy(b, f.img, f.len);
    size_t parm_len = (size_t)b[24] | (size_t)b[25] << 8; /* u64 LE at 24, small */
    size_t lrnr = 20 + 12 + parm_len;
    assert_memory_equal(b + lrnr, "LRNR", 4);
    b[lrnr + 12] = 200;
    refix_crc(b, f.len);
    assert_int_equal(ecl_learner_state_read(f.dst.l, b, f.len), ECL_ECORRUPT);
    /* CRC-valid but a section tag renamed */
    memcpy(b, f.img, f.len);
    b[lrnr] = 'X';
    refix_crc(b, f.len);
    assert_int_equal(ecl_learner_state_read(f.dst.l, b, f.len), ECL_EFORMAT);
    /* CRC-valid but a non-finite weight */
    memcpy(b, f.img, f.len);
    size_t lrnr_len = (size_t)b[lrnr + 4] | (size_t)b[lrnr + 5] << 8;
    size_t head = lrnr + 12 + lrnr_len;
    assert_memory_equal(b + head, "HEAD", 4);
    size_t w0 = head + 12 + 4 + 8 + 4 + 4 + 8; /* n_classes, step, lr, n_arrays, count */
    memcpy(b + w0, "\x00\x00\xc0\x7f", 4);     /* NaN */
    refix_crc(b, f.len);
    assert_int_equal(ecl_learner_state_read(f.dst.l, b, f.len), ECL_ECORRUPT);
    fx_untouched(&f);
    /* learner built with other parameters */
    struct ecl_learner_params p = params(ECL_LEARNER_REPLAY, 0);
    p.replay.capacity = 41;
    struct ll other = make(&p);
    assert_int_equal(ecl_learner_state_read(other.l, f.img, f.len), ECL_EINVAL);
    p = params(ECL_LEARNER_NCM, 0);
    struct ll ncm = make(&p);
    assert_int_equal(ecl_learner_state_read(ncm.l, f.img, f.len), ECL_EINVAL);
    /* buffer too small */
    size_t w;
    assert_int_equal(ecl_learner_state_write(f.src.l, b, f.len - 1, &w), ECL_ENOMEM);
    free(other.mem);
    free(ncm.mem);
    free(b);
    fx_free(&f);
}

/* The replay's per-class counters must match the stored labels also when max_classes exceeds
 * the replay capacity: a CRC-valid image whose label moved to another class is refused. */
static void test_replay_counts_many_classes(void **state) {
    (void)state;
    struct tu_clusters c;
    tu_clusters_init(&c, DIM, 5, 2.0f, 5);
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, DIM, 64);
    p.head.hidden[0] = 8;
    p.batch_size = 8;
    p.replay_per_batch = 8;
    p.replay.capacity = 16; /* < max_classes */
    struct ll A = make(&p), B = make(&p);
    feed(A.l, &c, 3);
    size_t len;
    uint8_t *img = image(A.l, &len);
    assert_int_equal(ecl_learner_state_read(B.l, img, len), ECL_OK);
    size_t at = 0;
    while (at + 4 <= len && memcmp(img + at, "RPLY", 4) != 0)
        at++;
    assert_true(at + 4 <= len);
    size_t counts = at + 12 + 4 + 4 + 8 + 8; /* tag, length, size, next, rng, n_added */
    size_t labels = counts + (size_t)64 * 12;
    uint32_t y0 = img[labels], y1 = y0;
    size_t i = 1;
    for (; i < 16 && (y1 = img[labels + 4 * i]) == y0; i++) {
    }
    assert_true(i < 16 && y1 != y0); /* two stored labels of different classes */
    img[labels] = (uint8_t)y1;       /* one sample moves class: the counters no longer agree */
    refix_crc(img, len);
    assert_int_equal(ecl_learner_state_read(B.l, img, len), ECL_ECORRUPT);
    img[labels + 4 * i] = (uint8_t)y0; /* swap back to equal histograms: accepted */
    refix_crc(img, len);
    assert_int_equal(ecl_learner_state_read(B.l, img, len), ECL_OK);
    free(img);
    free(A.mem);
    free(B.mem);
    tu_clusters_free(&c);
}

static void test_crc32(void **state) {
    (void)state;
    assert_int_equal(ecl_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(ecl_crc32(ecl_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    assert_int_equal(ecl_crc32(0, "", 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_version_magic_structure),
        cmocka_unit_test(test_replay_counts_many_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
