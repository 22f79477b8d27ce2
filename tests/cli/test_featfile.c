/* Feature files: binary and CSV round trips are exact; truncated, bit-flipped, forged and
 * malformed files are refused with a message (never a crash, never a huge allocation). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "featfile.h"

static char tmpdir[256];

static void path_in_tmp(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void write_raw(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_raw(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Deterministic content with awkward values (negative, tiny, large, exact fractions). */
static void make(struct featfile *ff, uint32_t dim, uint32_t n) {
    featfile_init(ff, dim);
    float *x = malloc(dim * sizeof *x);
    uint32_t s = 12345;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t d = 0; d < dim; d++) {
            s = s * 1664525u + 1013904223u;
            x[d] = ((float)(int32_t)s / 2147483648.0f) * (d % 3 == 0   ? 1e-7f
                                                          : d % 3 == 1 ? 1.0f
                                                                       : 3e5f);
        }
        assert_int_equal(featfile_append(ff, x, (int32_t)(i % 4)), ECL_OK);
    }
    free(x);
    assert_int_equal(featfile_set_name(ff, 0, "zero"), ECL_OK);
    assert_int_equal(featfile_set_name(ff, 2, "a name that is much longer than 31 chars"), ECL_OK);
}

static void assert_same(const struct featfile *a, const struct featfile *b) {
    assert_int_equal(a->dim, b->dim);
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->y, b->y, a->n * sizeof(int32_t));
    assert_memory_equal(a->x, b->x, (size_t)a->n * a->dim * sizeof(float));
    assert_true(b->n_names >= 3);
    assert_string_equal(b->names[0], "zero");
    assert_string_equal(b->names[1], "");
    assert_int_equal(strlen(b->names[2]), FEATFILE_NAME_MAX - 1);
    assert_int_equal(strncmp(b->names[2], "a name that is much longer", 26), 0);
}

static void test_roundtrip_binary(void **state) {
    (void)state;
    struct featfile a, b;
    char p[512], err[256];
    make(&a, 7, 53);
    path_in_tmp(p, sizeof p, "rt.ecf");
    assert_int_equal(featfile_write(p, &a, err, sizeof err), ECL_OK);
    assert_int_equal(featfile_read(p, &b, err, sizeof err), ECL_OK);
    assert_same(&a, &b);
    /* size = header + names + records + crc */
    size_t len;
    unsigned char *raw = read_raw(p, &len);
    assert_int_equal(len, 20 + 3 * 32 + 53 * (4 + 4 * 7) + 4);
    assert_memory_equal(raw, "ECLF", 4);
    free(raw);
    featfile_free(&a);
    featfile_free(&b);
}

static void test_roundtrip_csv(void **state) {
    (void)state;
    struct featfile a, b;
    char p[512], err[256];
    make(&a, 5, 40);
    path_in_tmp(p, sizeof p, "rt.csv");
    assert_int_equal(featfile_write(p, &a, err, sizeof err), ECL_OK);
    assert_int_equal(featfile_read(p, &b, err, sizeof err), ECL_OK);
    assert_same(&a, &b);
    featfile_free(&a);
    featfile_free(&b);
}

static void test_empty_file_roundtrip(void **state) {
    (void)state;
    struct featfile a, b;
    char p[512], err[256];
    featfile_init(&a, 3);
    path_in_tmp(p, sizeof p, "empty.ecf");
    assert_int_equal(featfile_write(p, &a, err, sizeof err), ECL_OK);
    assert_int_equal(featfile_read(p, &b, err, sizeof err), ECL_OK);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.dim, 3);
    featfile_free(&a);
    featfile_free(&b);
}

static void test_truncated_refused(void **state) {
    (void)state;
    struct featfile a, b;
    char p[512], q[512], err[256];
    make(&a, 3, 6);
    path_in_tmp(p, sizeof p, "full.ecf");
    path_in_tmp(q, sizeof q, "trunc.ecf");
    assert_int_equal(featfile_write(p, &a, err, sizeof err), ECL_OK);
    size_t len;
    unsigned char *raw = read_raw(p, &len);
    for (size_t cut = 0; cut < len; cut++) {
        write_raw(q, raw, cut);
        err[0] = 0;
        enum ecl_status st = featfile_read(q, &b, err, sizeof err);
        assert_int_not_equal(st, ECL_OK);
        assert_true(strlen(err) > 0);
        assert_null(b.x);
    }
    /* trailing garbage is refused too */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, raw, len);
    longer[len] = 0;
    write_raw(q, longer, len + 1);
    assert_int_not_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
    free(longer);
    free(raw);
    featfile_free(&a);
}

static void test_every_bitflip_refused(void **state) {
    (void)state;
    struct featfile a, b;
    char p[512], q[512], err[256];
    make(&a, 3, 5);
    path_in_tmp(p, sizeof p, "orig.ecf");
    path_in_tmp(q, sizeof q, "flip.ecf");
    assert_int_equal(featfile_write(p, &a, err, sizeof err), ECL_OK);
    size_t len;
    unsigned char *raw = read_raw(p, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            raw[i] ^= (unsigned char)(1u << bit);
            write_raw(q, raw, len);
            err[0] = 0;
            assert_int_not_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
            assert_true(strlen(err) > 0);
            raw[i] ^= (unsigned char)(1u << bit);
        }
    }
    free(raw);
    featfile_free(&a);
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void test_forged_headers(void **state) {
    (void)state;
    struct featfile b;
    char q[512], err[256];
    path_in_tmp(q, sizeof q, "forged.ecf");
    unsigned char h[64];
    memset(h, 0, sizeof h);
    memcpy(h, "ECLF", 4);
    /* huge n, small file: must be refused by the size check before any allocation */
    put_u32(h + 4, 1);
    put_u32(h + 8, 1u << 20);
    put_u32(h + 12, 0xFFFFFFFFu);
    put_u32(h + 16, 0);
    write_raw(q, h, sizeof h);
    assert_int_equal(featfile_read(q, &b, err, sizeof err), ECL_ETRUNCATED);
    assert_non_null(strstr(err, "truncated"));
    /* dim too large */
    put_u32(h + 8, (1u << 20) + 1);
    write_raw(q, h, sizeof h);
    assert_int_not_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
    assert_non_null(strstr(err, "dimension"));
    /* dim 0 */
    put_u32(h + 8, 0);
    write_raw(q, h, sizeof h);
    assert_int_not_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
    /* wrong version */
    put_u32(h + 4, 2);
    put_u32(h + 8, 1);
    write_raw(q, h, sizeof h);
    assert_int_equal(featfile_read(q, &b, err, sizeof err), ECL_EVERSION);
    assert_non_null(strstr(err, "version"));
    /* not a feature file at all */
    write_raw(q, "hello, world, this is not a feature file\n", 41);
    assert_int_equal(featfile_read(q, &b, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "not a feature file"));
    /* missing */
    path_in_tmp(q, sizeof q, "does-not-exist.ecf");
    assert_int_equal(featfile_read(q, &b, err, sizeof err), ECL_ENOTFOUND);
}

static void expect_csv_error(const char *text, const char *needle) {
    struct featfile b;
    char q[512], err[256];
    path_in_tmp(q, sizeof q, "bad.csv");
    write_raw(q, text, strlen(text));
    err[0] = 0;
    assert_int_not_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
    if (!strstr(err, needle)) fail_msg("error '%s' does not mention '%s'", err, needle);
    assert_null(b.x);
}

static void test_csv_parsing(void **state) {
    (void)state;
    struct featfile b;
    char q[512], err[256];
    path_in_tmp(q, sizeof q, "ok.csv");
    const char *ok = "label,f1,f2\n# comment\n# class 1 cat\n0,1.5,-2\n\n1, 3e2 ,4\r\n-1,0,0\n";
    write_raw(q, ok, strlen(ok));
    assert_int_equal(featfile_read(q, &b, err, sizeof err), ECL_OK);
    assert_int_equal(b.dim, 2);
    assert_int_equal(b.n, 3);
    assert_true(b.x[0] == 1.5f && b.x[1] == -2.0f && b.x[2] == 300.0f && b.x[3] == 4.0f);
    assert_int_equal(b.y[1], 1);
    assert_int_equal(b.y[2], -1);
    assert_string_equal(b.names[1], "cat");
    featfile_free(&b);

    expect_csv_error("0,1,2\n1,3\n", ":2:");       /* ragged */
    expect_csv_error("0,1,x\n", "not a number");   /* garbage value */
    expect_csv_error("0,1,2\nfoo,1,2\n", "label"); /* non-numeric label after data */
    expect_csv_error("-5,1,2\n", "out of range");  /* label < -1 */
    expect_csv_error("1.5,1,2\n", "integer");      /* fractional label */
    expect_csv_error("0,1,nan\n", "not finite");   /* NaN */
    expect_csv_error("0\n", "no values");          /* no features */
    expect_csv_error("# only comments\n", "no records");
}

static void test_append_rejects(void **state) {
    (void)state;
    struct featfile a;
    float x[2] = {0, 0};
    featfile_init(&a, 2);
    assert_int_not_equal(featfile_append(&a, x, -2), ECL_OK);
    assert_int_not_equal(featfile_set_name(&a, -1, "x"), ECL_OK);
    featfile_init(&a, 0);
    assert_int_not_equal(featfile_append(&a, x, 0), ECL_OK);
    featfile_free(&a);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ecl_featfile_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_binary),      cmocka_unit_test(test_roundtrip_csv),
        cmocka_unit_test(test_empty_file_roundtrip),  cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_every_bitflip_refused), cmocka_unit_test(test_forged_headers),
        cmocka_unit_test(test_csv_parsing),           cmocka_unit_test(test_append_rejects),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    return rc;
}
