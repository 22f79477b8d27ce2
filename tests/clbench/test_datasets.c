/* test_datasets.c - IDX readers (plain and gzip, corrupt headers), per-class subsets, rotation,
 * class- and domain-incremental scenario builders, and the SVG plot writer. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets.h"
#include "svgplot.h"

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* Writes an IDX pair with n images of w x h where pixel = (i + x + y) & 255, label = i % 10. */
static void write_idx(const char *dir, const char *prefix, uint32_t n, uint32_t w, uint32_t h,
                      int gz, uint32_t claimed_labels) {
    char p[512];
    size_t bytes = 16 + (size_t)n * w * h;
    uint8_t *buf = malloc(bytes);
    put_be32(buf, 0x803), put_be32(buf + 4, n), put_be32(buf + 8, h), put_be32(buf + 12, w);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                buf[16 + (i * h + y) * w + x] = (uint8_t)(i + x + y);
    uint8_t *lab = malloc(8 + n);
    put_be32(lab, 0x801), put_be32(lab + 4, claimed_labels);
    for (uint32_t i = 0; i < n; i++)
        lab[8 + i] = (uint8_t)(i % 10);
    const char *what[2] = {"images-idx3", "labels-idx1"};
    uint8_t *data[2] = {buf, lab};
    size_t len[2] = {bytes, 8 + n};
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s-%s-ubyte%s", dir, prefix, what[k], gz ? ".gz" : "");
        if (gz) {
            gzFile f = gzopen(p, "wb");
            assert_non_null(f);
            assert_int_equal(gzwrite(f, data[k], (unsigned)len[k]), (int)len[k]);
            gzclose(f);
        } else {
            FILE *f = fopen(p, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(data[k], 1, len[k], f), len[k]);
            fclose(f);
        }
    }
    free(buf);
    free(lab);
}

static void test_idx(void **state) {
    char dir[512], err[512];
    struct ds_images d;
    /* gzip train set + plain test set, through ds_load's name lookup */
    snprintf(dir, sizeof dir, "%s", ECL_BINARY_DIR);
    write_idx(dir, "train", 50, 6, 5, 1, 50);
    write_idx(dir, "t10k", 20, 6, 5, 0, 20);
    assert_int_equal(ds_load(DS_FMNIST, dir, 1, &d, err, sizeof err), ECL_OK);
    assert_int_equal(d.n, 50);
    assert_int_equal(d.w, 6);
    assert_int_equal(d.h, 5);
    assert_int_equal(d.pix[(7 * 5 + 2) * 6 + 3], (7 + 3 + 2) & 255);
    assert_int_equal(d.y[13], 3);
    ds_images_free(&d);
    assert_int_equal(ds_load(DS_MNIST, dir, 0, &d, err, sizeof err), ECL_OK);
    assert_int_equal(d.n, 20);
    assert_int_equal(d.y[19], 9);
    ds_images_free(&d);

    /* label count mismatch */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/idx_bad", ECL_BINARY_DIR);
    mkdir(sub, 0755);
    write_idx(sub, "train", 10, 4, 4, 0, 11);
    assert_int_equal(ds_load(DS_MNIST, sub, 1, &d, err, sizeof err), ECL_ECORRUPT);
    assert_non_null(strstr(err, "labels"));
    /* truncated payload */
    char p[700];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", sub);
    assert_int_equal(truncate(p, 16 + 4 * 16 + 3), 0);
    assert_int_equal(ds_load(DS_MNIST, sub, 1, &d, err, sizeof err), ECL_ETRUNCATED);
    /* bad magic */
    FILE *f = fopen(p, "wb");
    fwrite("\0\0\x08\x01\0\0\0\1\0\0\0\1\0\0\0\1x", 1, 17, f);
    fclose(f);
    assert_int_equal(ds_load(DS_MNIST, sub, 1, &d, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "magic"));
    /* absurd sizes are refused before allocating */
    f = fopen(p, "wb");
    fwrite("\0\0\x08\x03\xff\xff\xff\xff\0\0\xff\xff\0\0\xff\xff", 1, 16, f);
    fclose(f);
    assert_int_equal(ds_load(DS_MNIST, sub, 1, &d, err, sizeof err), ECL_ERANGE);
    /* missing files: a hint how to get the data */
    assert_int_equal(ds_load(DS_FMNIST, "/nonexistent", 1, &d, err, sizeof err), ECL_ENOTFOUND);
    assert_non_null(strstr(err, "dataset-fashion-mnist"));
}

static void test_subset(void **state) {
    enum { N = 1000 };
    int32_t y[N];
    for (int i = 0; i < N; i++)
        y[i] = (i * 7) % 10;
    y[5] = 42; /* out-of-range labels are skipped */
    uint32_t idx[N], m, idx2[N], m2;
    assert_int_equal(ds_subset_per_class(y, N, 10, 30, 1, idx, &m), ECL_OK);
    assert_int_equal(m, 300);
    int count[10] = {0};
    for (uint32_t k = 0; k < m; k++) {
        if (k) assert_true(idx[k] > idx[k - 1]);
        assert_true(y[idx[k]] >= 0 && y[idx[k]] < 10);
        count[y[idx[k]]]++;
    }
    for (int c = 0; c < 10; c++)
        assert_int_equal(count[c], 30);
    assert_int_equal(ds_subset_per_class(y, N, 10, 30, 2, idx2, &m2), ECL_OK);
    assert_int_equal(m2, 300);
    assert_memory_not_equal(idx, idx2, sizeof(uint32_t) * m); /* seeded */
    assert_int_equal(ds_subset_per_class(y, N, 10, 0, 1, idx, &m), ECL_OK);
    assert_int_equal(m, N - 1);
}

static void test_rotate(void **state) {
    uint8_t src[7 * 7] = {0}, dst[7 * 7], back[7 * 7];
    src[1 * 7 + 3] = 200; /* a dot above the centre */
    ds_grey_rotate(src, 7, 7, 0.f, dst);
    assert_memory_equal(src, dst, sizeof src);
    ds_grey_rotate(src, 7, 7, 90.f, dst);
    /* 90 degrees moves the dot to one side of the centre row, exactly (integer grid) */
    assert_true(dst[3 * 7 + 1] == 200 || dst[3 * 7 + 5] == 200);
    ds_grey_rotate(dst, 7, 7, -90.f, back);
    assert_memory_equal(src, back, sizeof src);
    ds_grey_rotate(src, 7, 7, 180.f, dst);
    assert_int_equal(dst[5 * 7 + 3], 200);
    uint8_t rgb[7 * 7 * 3];
    ds_grey_to_rgb(src, 7, 7, rgb);
    assert_int_equal(rgb[(1 * 7 + 3) * 3 + 2], 200);
}

static void test_split_classes(void **state) {
    enum { N = 300 };
    int32_t y[N];
    uint8_t is_test[N];
    for (int i = 0; i < N; i++)
        y[i] = i % 10, is_test[i] = i >= 200;
    int32_t order[10] = {3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
    struct cl_scenario sc;
    assert_int_equal(cl_split_classes(y, is_test, N, 10, 2, order, 1, &sc), ECL_OK);
    assert_int_equal(sc.n_batches, 5);
    assert_int_equal(sc.n_train, 200);
    assert_int_equal(sc.n_test, 100);
    uint8_t seen[N] = {0};
    for (uint32_t b = 0; b < 5; b++) {
        assert_int_equal(sc.batch_start[b + 1] - sc.batch_start[b], 40);
        for (uint32_t k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++) {
            uint32_t i = sc.train_idx[k];
            assert_false(is_test[i]);
            assert_false(seen[i]);
            seen[i] = 1;
            assert_true(y[i] == order[2 * b] || y[i] == order[2 * b + 1]);
        }
    }
    for (uint32_t k = 0; k < sc.n_test; k++) {
        uint32_t i = sc.test_idx[k];
        assert_true(is_test[i]);
        int32_t g = sc.test_group[k];
        assert_true(y[i] == order[2 * g] || y[i] == order[2 * g + 1]);
    }
    /* shuffled inside a batch: not in ascending pool order */
    int ascending = 1;
    for (uint32_t k = 1; k < 40; k++)
        ascending &= sc.train_idx[k] > sc.train_idx[k - 1];
    assert_false(ascending);
    cl_scenario_free(&sc);
    /* bad inputs */
    int32_t dup[10] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(cl_split_classes(y, is_test, N, 10, 2, dup, 1, &sc), ECL_EINVAL);
    assert_int_equal(cl_split_classes(y, is_test, N, 10, 3, NULL, 1, &sc), ECL_EINVAL);
    y[7] = 10;
    assert_int_equal(cl_split_classes(y, is_test, N, 10, 2, NULL, 1, &sc), ECL_ERANGE);
}

static void test_split_domains(void **state) {
    enum { N = 500 };
    int32_t y[N];
    uint8_t is_test[N], dom[N];
    for (int i = 0; i < N; i++)
        y[i] = i % 10, dom[i] = (uint8_t)(i / 100), is_test[i] = i % 100 >= 80;
    struct cl_scenario sc;
    assert_int_equal(cl_split_domains(y, is_test, dom, N, 10, 5, 1, &sc), ECL_OK);
    assert_int_equal(sc.n_batches, 5);
    assert_int_equal(sc.n_test, 100);
    for (uint32_t b = 0; b < 5; b++) {
        int cls[10] = {0};
        for (uint32_t k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++) {
            assert_int_equal(dom[sc.train_idx[k]], b);
            cls[y[sc.train_idx[k]]] = 1;
        }
        for (int c = 0; c < 10; c++)
            assert_int_equal(cls[c], 1); /* all classes every batch */
    }
    for (uint32_t k = 0; k < sc.n_test; k++)
        assert_int_equal(sc.test_group[k], dom[sc.test_idx[k]]);
    cl_scenario_free(&sc);
}

static void test_svg(void **state) {
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/test_svgplot.svg", ECL_BINARY_DIR);
    struct svgplot p = svgplot_default("A <title> & more", "batch", "accuracy (%)");
    p.y_min = 0, p.y_max = 100;
    const float a[] = {99, 48, 33, 24, 19}, b[] = {99, 90, 85, 80, 77, 70};
    struct svgplot_series s[2] = {{"naive", a, NULL, 5, NULL}, {"replay \"u8\"", b, NULL, 6, NULL}};
    assert_int_equal(svgplot_write(path, &p, s, 2, err, sizeof err), ECL_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    assert_non_null(strstr(buf, "<svg"));
    assert_non_null(strstr(buf, "</svg>"));
    assert_non_null(strstr(buf, "A &lt;title&gt; &amp; more"));
    assert_non_null(strstr(buf, ">naive</text>"));
    assert_non_null(strstr(buf, "replay &quot;u8&quot;"));
    /* two polylines, 11 point markers, y ticks up to 100 */
    int lines = 0, circles = 0;
    for (char *q = buf; (q = strstr(q, "<polyline")); q++)
        lines++;
    for (char *q = buf; (q = strstr(q, "<circle")); q++)
        circles++;
    assert_int_equal(lines, 2);
    assert_int_equal(circles, 11);
    assert_non_null(strstr(buf, ">100</text>"));
    /* unwritable path: error, no crash */
    assert_int_not_equal(svgplot_write("/nonexistent/dir/x.svg", &p, s, 2, err, sizeof err),
                         ECL_OK);
    assert_non_null(strstr(err, "cannot write"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx),           cmocka_unit_test(test_subset),
        cmocka_unit_test(test_rotate),        cmocka_unit_test(test_split_classes),
        cmocka_unit_test(test_split_domains), cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
