/* test_bmp.c - BMP decoding (tools/common/bmp.c through image.c's format dispatch).
 * Small BMPs are written here, byte by byte, with known pixels: 24-bit and 32-bit, bottom-up
 * and top-down, 8-bit paletted, the core (12-byte) header, BITFIELDS; then every damaged or
 * unsupported variant must be refused with its one-line reason, never read out of bounds.
 * The photos of the BMP photos in ../shared/images must load (skipped when that folder is absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bmp.h"
#include "image.h"

#define W 5 /* odd width: rows need padding at 24 bits */
#define H 3

static void px(int x, int y, uint8_t rgb[3]) { /* the test picture, top row y = 0 */
    rgb[0] = (uint8_t)(40 * x + 3);
    rgb[1] = (uint8_t)(70 * y + 11);
    rgb[2] = (uint8_t)(x * y * 13 + 200);
}

static void wr16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v) {
    wr16(p, v & 0xFFFF);
    wr16(p + 2, v >> 16);
}

struct bmp_spec {
    int bpp, top_down, hsize, comp; /* comp 3: BITFIELDS with masks after a 40-byte header */
};

/* Writes a BMP of the test picture; returns its length. 8-bit: palette index = x + W * y. */
static size_t make_bmp(uint8_t *f, const struct bmp_spec *s) {
    size_t bpp = (size_t)s->bpp / 8, stride = (W * bpp + 3) & ~(size_t)3;
    size_t pal = s->bpp == 8 ? (size_t)W * H * (s->hsize == 12 ? 3 : 4) : 0;
    size_t masks = s->comp == 3 ? 12 : 0, off = 14 + (size_t)s->hsize + masks + pal;
    size_t len = off + stride * H;
    memset(f, 0, len);
    f[0] = 'B';
    f[1] = 'M';
    wr32(f + 2, (uint32_t)len);
    wr32(f + 10, (uint32_t)off);
    wr32(f + 14, (uint32_t)s->hsize);
    if (s->hsize == 12) {
        wr16(f + 18, W);
        wr16(f + 20, (uint32_t)(s->top_down ? -H : H) & 0xFFFF);
        wr16(f + 22, 1);
        wr16(f + 24, (uint32_t)s->bpp);
    } else {
        wr32(f + 18, W);
        wr32(f + 22, (uint32_t)(s->top_down ? -H : H));
        wr16(f + 26, 1);
        wr16(f + 28, (uint32_t)s->bpp);
        wr32(f + 30, (uint32_t)s->comp);
        wr32(f + 46, s->bpp == 8 ? W * H : 0);
    }
    if (masks) { /* R in the low byte, B in the high one: not the default order */
        wr32(f + 54, 0x000000FF);
        wr32(f + 58, 0x0000FF00);
        wr32(f + 62, 0x00FF0000);
    }
    uint8_t c[3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            px(x, y, c);
            size_t row = (size_t)(s->top_down ? y : H - 1 - y);
            uint8_t *p = f + off + row * stride;
            if (s->bpp == 8) {
                size_t ent = s->hsize == 12 ? 3 : 4, i = (size_t)(x + W * y);
                uint8_t *e = f + 14 + s->hsize + i * ent;
                e[0] = c[2];
                e[1] = c[1];
                e[2] = c[0];
                p[x] = (uint8_t)i;
            } else if (s->comp == 3) {
                p[x * 4] = c[0];
                p[x * 4 + 1] = c[1];
                p[x * 4 + 2] = c[2];
                p[x * 4 + 3] = 0x77; /* alpha: dropped */
            } else {
                p[x * bpp] = c[2];
                p[x * bpp + 1] = c[1];
                p[x * bpp + 2] = c[0];
                if (bpp == 4) p[x * bpp + 3] = 0x55;
            }
        }
    return len;
}

static void check_picture(const uint8_t *rgb, int w, int h) {
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    uint8_t c[3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            px(x, y, c);
            assert_memory_equal(rgb + (y * W + x) * 3, c, 3);
        }
}

static void test_variants_decode(void **state) {
    (void)state;
    static const struct bmp_spec specs[] = {
        {24, 0, 40, 0}, {24, 1, 40, 0}, {32, 0, 40, 0}, {32, 1, 124, 0}, {8, 0, 40, 0},
        {8, 1, 108, 0}, {24, 0, 12, 0}, {8, 0, 12, 0},  {32, 0, 40, 3},  {24, 0, 124, 0},
    };
    uint8_t f[4096];
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t len = make_bmp(f, &specs[i]);
        uint8_t *rgb = NULL;
        int w = 0, h = 0;
        char err[160] = "";
        enum ecl_status st = img_decode_mem(f, len, &rgb, &w, &h, err, sizeof err);
        if (st != ECL_OK)
            fail_msg("variant %zu (%d bpp, header %d): %s", i, specs[i].bpp, specs[i].hsize, err);
        check_picture(rgb, w, h);
        free(rgb);
    }
}

/* Decodes and expects failure with a message containing want. */
static void expect_refused(const uint8_t *f, size_t len, enum ecl_status want_st,
                           const char *want) {
    uint8_t *rgb = (uint8_t *)1;
    int w, h;
    char err[160] = "";
    enum ecl_status st = img_decode_mem(f, len, &rgb, &w, &h, err, sizeof err);
    if (st == ECL_OK) fail_msg("accepted, expected '%s'", want);
    assert_null(rgb);
    assert_int_equal(st, want_st);
    if (!strstr(err, want)) fail_msg("message '%s' lacks '%s'", err, want);
}

static void test_bad_and_unsupported(void **state) {
    (void)state;
    uint8_t f[4096], g[4096];
    const struct bmp_spec s24 = {24, 0, 40, 0};
    size_t len = make_bmp(f, &s24);
    /* every truncation is refused, none read past the end (ASan would see it) */
    for (size_t n = 2; n < len; n++) {
        uint8_t *cut = malloc(n);
        memcpy(cut, f, n);
        uint8_t *rgb = NULL;
        int w, h;
        char err[160] = "";
        assert_int_not_equal(img_decode_mem(cut, n, &rgb, &w, &h, err, sizeof err), ECL_OK);
        assert_true(strstr(err, "BMP") != NULL);
        free(cut);
    }
    expect_refused(f, 20, ECL_EFORMAT, "bad BMP: file is truncated");
    memcpy(g, f, len);
    wr32(g + 30, 1); /* RLE8 */
    expect_refused(g, len, ECL_EUNSUPPORTED, "compressed (RLE8)");
    wr32(g + 30, 4);
    expect_refused(g, len, ECL_EUNSUPPORTED, "compressed (JPEG)");
    memcpy(g, f, len);
    wr16(g + 28, 16);
    expect_refused(g, len, ECL_EUNSUPPORTED, "16 bits per pixel");
    wr16(g + 28, 4);
    expect_refused(g, len, ECL_EUNSUPPORTED, "4 bits per pixel");
    memcpy(g, f, len);
    wr32(g + 18, 0);
    expect_refused(g, len, ECL_EFORMAT, "invalid size");
    memcpy(g, f, len);
    wr32(g + 18, 100000);
    expect_refused(g, len, ECL_ERANGE, "image too large");
    memcpy(g, f, len);
    wr32(g + 22, 0x80000000u);
    expect_refused(g, len, ECL_EFORMAT, "invalid height");
    memcpy(g, f, len);
    wr32(g + 10, (uint32_t)len); /* pixel data offset at the end */
    expect_refused(g, len, ECL_EFORMAT, "pixel data is truncated");
    wr32(g + 10, 0xFFFFFFF0u);
    expect_refused(g, len, ECL_EFORMAT, "pixel data is truncated");
    memcpy(g, f, len);
    wr32(g + 14, 64000);
    expect_refused(g, len, ECL_EUNSUPPORTED, "info header of 64000 bytes");
    const struct bmp_spec s8 = {8, 0, 40, 0};
    len = make_bmp(g, &s8);
    wr32(g + 46, 300);
    expect_refused(g, len, ECL_EFORMAT, "palette over 256");
    wr32(g + 46, 200); /* 200 entries would run into the pixels */
    expect_refused(g, len, ECL_EFORMAT, "palette is truncated");
    const struct bmp_spec s32 = {32, 0, 40, 3};
    len = make_bmp(g, &s32);
    wr32(g + 54, 0x0000F0F0);
    expect_refused(g, len, ECL_EUNSUPPORTED, "bit masks");
    expect_refused((const uint8_t *)"BX", 2, ECL_EFORMAT, "not a PNG, JPEG or BMP");
}

static void test_shared_photos_load(void **state) {
    (void)state;
    static const char *names[] = {"cat.bmp",           "bird.bmp",        "grace_hopper.bmp",
                                  "cat_train_0.bmp",   "dog_train_0.bmp", "hotdog_train_0.bmp",
                                  "hotdog_train_1.bmp"};
    char path[1024];
    snprintf(path, sizeof path, "%s/../shared/images/cat.bmp", ECL_SOURCE_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("SKIP: %s/../shared/images/ (the shared test photos) is absent\n", ECL_SOURCE_DIR);
        skip();
    }
    fclose(probe);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/../shared/images/%s", ECL_SOURCE_DIR, names[i]);
        uint8_t *rgb = NULL;
        int w, h;
        char err[256] = "";
        if (img_load_file(path, &rgb, &w, &h, err, sizeof err)) fail_msg("%s", err);
        assert_true(w >= 64 && h >= 64);
        /* a photo, not a blank: its pixels vary */
        long sum = 0, sq = 0, n = (long)w * h * 3;
        for (long k = 0; k < n; k++) {
            sum += rgb[k];
            sq += (long)rgb[k] * rgb[k];
        }
        double mean = (double)sum / n, var = (double)sq / n - mean * mean;
        assert_true(var > 100.0);
        free(rgb);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants_decode),
        cmocka_unit_test(test_bad_and_unsupported),
        cmocka_unit_test(test_shared_photos_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
