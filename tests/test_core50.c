/* test_core50.c - the CORe50 protocol on a small generated tree with the real layout
 * (root/sN/oM/C_NN_MM_FFF.png, tiny PNGs written with libpng): batch counts, disjointness,
 * coverage, test-set content, class orders, seeding and bad input. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core50.h"

#define FRAMES 3 /* frames per (session, object) in the generated tree */

static char g_root[512];

static void write_png(const char *path, int seed) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, 4, 4, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t row[12];
    for (int y = 0; y < 4; y++) {
        for (int i = 0; i < 12; i++)
            row[i] = (uint8_t)(seed * 7 + y * 13 + i);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* Frames are numbered 7, 12, 17 (not 0-based) to check the scan sorts and keeps names. */
static void make_tree(const char *root) {
    char p[1024];
    mkdir(root, 0755);
    for (int s = 1; s <= 11; s++) {
        snprintf(p, sizeof p, "%s/s%d", root, s);
        mkdir(p, 0755);
        for (int o = 1; o <= 50; o++) {
            snprintf(p, sizeof p, "%s/s%d/o%d", root, s, o);
            mkdir(p, 0755);
            for (int k = FRAMES - 1; k >= 0; k--) {
                snprintf(p, sizeof p, "%s/s%d/o%d/C_%02d_%02d_%03d.png", root, s, o, s, o,
                         7 + 5 * k);
                write_png(p, s * 50 + o + k);
            }
        }
    }
}

static int setup(void **state) {
    snprintf(g_root, sizeof g_root, "%s/test_core50_tree", ECL_BINARY_DIR);
    char probe[600];
    snprintf(probe, sizeof probe, "%s/s11/o50/C_11_50_%03d.png", g_root, 7 + 5 * (FRAMES - 1));
    if (access(probe, F_OK) != 0) make_tree(g_root);
    return 0;
}

static struct core50 scan(uint32_t test_stride, enum core50_level level) {
    struct core50_opts o = core50_default_opts();
    o.test_stride = test_stride;
    o.level = level;
    struct core50 ds;
    char err[256] = "";
    enum ecl_status st = core50_scan(g_root, &o, &ds, err, sizeof err);
    if (st != ECL_OK) fail_msg("scan: %s", err);
    return ds;
}

static void test_scan(void **state) {
    struct core50 ds = scan(1, CORE50_OBJECT);
    assert_int_equal(ds.n, 11 * 50 * FRAMES);
    /* sorted by session, object, frame; frames as named */
    assert_int_equal(ds.img[0].session, 1);
    assert_int_equal(ds.img[0].object, 1);
    assert_int_equal(ds.img[0].frame, 7);
    assert_int_equal(ds.img[1].frame, 12);
    for (uint32_t i = 1; i < ds.n; i++) {
        uint32_t a =
            ds.img[i - 1].session * 100000u + ds.img[i - 1].object * 1000u + ds.img[i - 1].frame;
        uint32_t b = ds.img[i].session * 100000u + ds.img[i].object * 1000u + ds.img[i].frame;
        assert_true(a < b);
    }
    char path[1200];
    core50_path(&ds, 1, path, sizeof path);
    assert_non_null(strstr(path, "/s1/o1/C_01_01_012.png"));
    assert_int_equal(access(path, R_OK), 0);
    for (uint32_t i = 0; i < ds.n; i++)
        assert_int_equal(core50_label(&ds, i), ds.img[i].object - 1);
    core50_free(&ds);

    /* category level */
    ds = scan(1, CORE50_CATEGORY);
    for (uint32_t i = 0; i < ds.n; i++)
        assert_int_equal(core50_label(&ds, i), (ds.img[i].object - 1) / 5);
    core50_free(&ds);

    /* test stride: every 2nd test frame, all training frames */
    ds = scan(2, CORE50_OBJECT);
    assert_int_equal(ds.n, 8 * 50 * FRAMES + 3 * 50 * ((FRAMES + 1) / 2));
    /* which frames: the 1st, 3rd, .. of each test (session, object) in frame order */
    for (uint32_t i = 0; i < ds.n; i++) {
        uint32_t k = (ds.img[i].frame - 7) / 5; /* position in the folder's frame order */
        if (core50_is_test_session(ds.img[i].session)) assert_int_equal(k % 2, 0);
    }
    core50_free(&ds);

    /* train stride 2, test stride 3: every 2nd training frame, only the first test frame */
    struct core50_opts o = core50_default_opts();
    o.train_stride = 2;
    o.test_stride = 3;
    char err[256] = "";
    if (core50_scan(g_root, &o, &ds, err, sizeof err) != ECL_OK) fail_msg("scan: %s", err);
    assert_int_equal(ds.n, 8 * 50 * ((FRAMES + 1) / 2) + 3 * 50 * ((FRAMES + 2) / 3));
    uint32_t per_frame[FRAMES] = {0};
    for (uint32_t i = 0; i < ds.n; i++) {
        uint32_t k = (ds.img[i].frame - 7) / 5;
        assert_true(k < FRAMES);
        assert_int_equal(k % (core50_is_test_session(ds.img[i].session) ? 3 : 2), 0);
        per_frame[k]++;
    }
    assert_int_equal(per_frame[0], 11 * 50); /* the first frame of every folder is kept */
    assert_int_equal(per_frame[2], 8 * 50);  /* the third only in training sessions */
    core50_free(&ds);
}

/* Checks that sc's batches partition the training images and the test set is exactly
 * sessions 3, 7, 10. */
static void check_partition(const struct core50 *ds, const struct core50_scenario *sc) {
    uint8_t *seen = calloc(ds->n, 1);
    assert_int_equal(sc->batch_start[0], 0);
    assert_int_equal(sc->batch_start[sc->n_batches], sc->n_train);
    for (uint32_t b = 0; b < sc->n_batches; b++)
        assert_true(sc->batch_start[b] < sc->batch_start[b + 1]); /* no empty batch */
    for (uint32_t k = 0; k < sc->n_train; k++) {
        uint32_t i = sc->train_idx[k];
        assert_true(i < ds->n);
        assert_int_equal(seen[i], 0); /* disjoint */
        seen[i] = 1;
        assert_false(core50_is_test_session(ds->img[i].session));
    }
    uint32_t n_train_imgs = 0;
    for (uint32_t i = 0; i < ds->n; i++)
        if (!core50_is_test_session(ds->img[i].session)) {
            n_train_imgs++;
            assert_int_equal(seen[i], 1); /* every training image used */
        }
    assert_int_equal(sc->n_train, n_train_imgs);
    for (uint32_t k = 0; k < sc->n_test; k++) {
        uint32_t i = sc->test_idx[k];
        assert_true(core50_is_test_session(ds->img[i].session));
        assert_int_equal(seen[i], 0);
        seen[i] = 2;
    }
    for (uint32_t i = 0; i < ds->n; i++)
        assert_true(seen[i] != 0);
    /* first_batch agrees with the batches */
    for (uint32_t c = 0; c < sc->n_classes; c++) {
        int32_t fb = -1;
        for (uint32_t b = 0; b < sc->n_batches && fb < 0; b++)
            for (uint32_t k = sc->batch_start[b]; k < sc->batch_start[b + 1]; k++)
                if (core50_label(ds, sc->train_idx[k]) == (int32_t)c) {
                    fb = (int32_t)b;
                    break;
                }
        assert_int_equal(sc->first_batch[c], fb);
    }
    free(seen);
}

static void test_ni(void **state) {
    struct core50 ds = scan(1, CORE50_OBJECT);
    struct core50_scenario sc;
    char err[256];
    assert_int_equal(core50_build(&ds, CORE50_NI, 1, &sc, err, sizeof err), ECL_OK);
    assert_int_equal(sc.n_batches, 8);
    assert_int_equal(sc.n_test, 3 * 50 * FRAMES);
    check_partition(&ds, &sc);
    int used[12] = {0};
    for (uint32_t b = 0; b < 8; b++) {
        int s = sc.session_order[b];
        assert_false(core50_is_test_session(s));
        assert_int_equal(used[s], 0);
        used[s] = 1;
        assert_int_equal(sc.batch_start[b + 1] - sc.batch_start[b], 50 * FRAMES);
        uint8_t obj[51] = {0};
        for (uint32_t k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++) {
            assert_int_equal(ds.img[sc.train_idx[k]].session, s);
            obj[ds.img[sc.train_idx[k]].object] = 1;
        }
        for (int o = 1; o <= 50; o++)
            assert_int_equal(obj[o], 1); /* all objects each batch */
    }
    for (int c = 0; c < 50; c++)
        assert_int_equal(sc.first_batch[c], 0);
    /* seeded: another seed gives another order (8! orders; these two differ), same seed same */
    struct core50_scenario sc2, sc3;
    assert_int_equal(core50_build(&ds, CORE50_NI, 2, &sc2, err, sizeof err), ECL_OK);
    assert_int_equal(core50_build(&ds, CORE50_NI, 1, &sc3, err, sizeof err), ECL_OK);
    assert_memory_not_equal(sc.session_order, sc2.session_order, 8);
    assert_memory_equal(sc.session_order, sc3.session_order, 8);
    assert_memory_equal(sc.train_idx, sc3.train_idx, sc.n_train * sizeof *sc.train_idx);
    core50_scenario_free(&sc);
    core50_scenario_free(&sc2);
    core50_scenario_free(&sc3);
    core50_free(&ds);
}

static void test_nc(void **state) {
    struct core50 ds = scan(1, CORE50_OBJECT);
    struct core50_scenario sc;
    char err[256];
    assert_int_equal(core50_build(&ds, CORE50_NC, 3, &sc, err, sizeof err), ECL_OK);
    assert_int_equal(sc.n_batches, 9);
    check_partition(&ds, &sc);
    int batch_of[51];
    for (int o = 0; o <= 50; o++)
        batch_of[o] = -1;
    for (uint32_t b = 0; b < 9; b++) {
        uint8_t obj[51] = {0};
        int n_obj = 0;
        for (uint32_t k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++) {
            int o = ds.img[sc.train_idx[k]].object;
            if (!obj[o]) n_obj++;
            obj[o] = 1;
            /* an object lives in exactly one batch */
            assert_true(batch_of[o] == -1 || batch_of[o] == (int)b);
            batch_of[o] = (int)b;
        }
        assert_int_equal(n_obj, b == 0 ? 10 : 5);
        assert_int_equal(sc.batch_start[b + 1] - sc.batch_start[b], (uint32_t)n_obj * 8 * FRAMES);
    }
    /* object_order is a permutation and agrees with the batches */
    uint8_t in_order[51] = {0};
    for (int k = 0; k < 50; k++) {
        int o = sc.object_order[k];
        assert_true(o >= 1 && o <= 50);
        assert_int_equal(in_order[o], 0);
        in_order[o] = 1;
        assert_int_equal(batch_of[o], k < 10 ? 0 : 1 + (k - 10) / 5);
        assert_int_equal(sc.first_batch[o - 1], batch_of[o]);
    }
    /* Published NC contents (vlomonaco/core50 core/create_sII_filelist.py): batch 1 holds the
     * first object of each category; every later batch holds the same within-category object
     * index of categories 0-4 or of 5-9; only the order of batches 2..9 depends on the run. */
    for (int k = 0; k < 10; k++)
        assert_int_equal(sc.object_order[k], k * 5 + 1);
    int used[2][5] = {{0}};
    for (int b = 1; b < 9; b++) {
        const uint8_t *ob = sc.object_order + 10 + (b - 1) * 5;
        int idx = (ob[0] - 1) % 5, half = (ob[0] - 1) / 25;
        assert_true(idx >= 1);
        for (int c = 0; c < 5; c++) {
            assert_int_equal((ob[c] - 1) % 5, idx);
            assert_int_equal((ob[c] - 1) / 5, half * 5 + c);
        }
        assert_int_equal(used[half][idx], 0);
        used[half][idx] = 1;
    }
    /* the order of batches 2..9 changes with the seed */
    int differs = 0;
    for (uint32_t seed = 4; seed < 12 && !differs; seed++) {
        struct core50_scenario sc2;
        assert_int_equal(core50_build(&ds, CORE50_NC, seed, &sc2, err, sizeof err), ECL_OK);
        differs = memcmp(sc.object_order, sc2.object_order, sizeof sc.object_order) != 0;
        core50_scenario_free(&sc2);
    }
    assert_true(differs);
    core50_scenario_free(&sc);
    core50_free(&ds);
}

static void check_nicv2(enum core50_kind kind, uint32_t n_batches, uint32_t pairs_per_batch) {
    struct core50 ds = scan(1, CORE50_OBJECT);
    struct core50_scenario sc;
    char err[256];
    assert_int_equal(core50_build(&ds, kind, 5, &sc, err, sizeof err), ECL_OK);
    assert_int_equal(sc.n_batches, n_batches);
    check_partition(&ds, &sc);
    /* first batch: objects 1, 6, ..., 46 of session 1 */
    assert_int_equal(sc.batch_start[1], 10 * FRAMES);
    for (uint32_t k = 0; k < sc.batch_start[1]; k++) {
        const struct core50_image *m = &ds.img[sc.train_idx[k]];
        assert_int_equal(m->session, 1);
        assert_int_equal((m->object - 1) % 5, 0);
    }
    for (int c = 0; c < 10; c++)
        assert_int_equal(sc.first_batch[c * 5], 0);
    /* later batches: pairs_per_batch (session, object) pairs each, every pair once */
    uint8_t pair_seen[12][51];
    memset(pair_seen, 0, sizeof pair_seen);
    for (uint32_t b = 0; b < n_batches; b++) {
        int n_pairs = 0;
        for (uint32_t k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++) {
            const struct core50_image *m = &ds.img[sc.train_idx[k]];
            if (pair_seen[m->session][m->object] == 0) {
                n_pairs++;
                pair_seen[m->session][m->object] = (uint8_t)(1 + (b > 0));
            }
        }
        assert_int_equal(n_pairs, b == 0 ? 10 : (int)pairs_per_batch);
    }
    int n_pairs = 0;
    for (int s = 1; s <= 11; s++)
        for (int o = 1; o <= 50; o++)
            n_pairs += pair_seen[s][o] != 0;
    assert_int_equal(n_pairs, 400);
    /* the later order is shuffled: batch 1 is not simply the next pair in file order */
    uint32_t same = 0;
    for (uint32_t k = 10; k < 400; k++)
        same += sc.pair_order[k] == sc.pair_order[k - 1] + 1;
    assert_true(same < 300);
    core50_scenario_free(&sc);
    core50_free(&ds);
}

static void test_nicv2(void **state) {
    check_nicv2(CORE50_NICV2_79, 79, 5);
    check_nicv2(CORE50_NICV2_196, 196, 2);
    check_nicv2(CORE50_NICV2_391, 391, 1);
}

static void test_category_level(void **state) {
    struct core50 ds = scan(1, CORE50_CATEGORY);
    struct core50_scenario sc;
    char err[256];
    assert_int_equal(core50_build(&ds, CORE50_NICV2_391, 1, &sc, err, sizeof err), ECL_OK);
    assert_int_equal(sc.n_classes, 10);
    /* all 10 categories appear in the first batch */
    for (int c = 0; c < 10; c++)
        assert_int_equal(sc.first_batch[c], 0);
    check_partition(&ds, &sc);
    core50_scenario_free(&sc);
    core50_free(&ds);
}

static void test_kind_names(void **state) {
    enum core50_kind k;
    assert_int_equal(core50_kind_parse("nicv2_196", &k), ECL_OK);
    assert_int_equal(k, CORE50_NICV2_196);
    assert_int_equal(core50_kind_parse("ni", &k), ECL_OK);
    assert_int_equal(k, CORE50_NI);
    assert_string_equal(core50_kind_name(CORE50_NICV2_79), "nicv2-79");
    assert_int_not_equal(core50_kind_parse("nicv2-80", &k), ECL_OK);
}

static void test_bad_input(void **state) {
    struct core50 ds;
    char err[512] = "";
    struct core50_opts o = core50_default_opts();
    assert_int_equal(core50_scan("/nonexistent/core50", &o, &ds, err, sizeof err), ECL_ENOTFOUND);
    assert_non_null(strstr(err, "not a folder"));

    /* empty folder: no images */
    char p[1024];
    snprintf(p, sizeof p, "%s/test_core50_empty", ECL_BINARY_DIR);
    mkdir(p, 0755);
    assert_int_equal(core50_scan(p, &o, &ds, err, sizeof err), ECL_ENOTFOUND);
    assert_non_null(strstr(err, "no C_NN_MM_FFF.png"));

    /* a file whose name disagrees with its folder is refused, naming it */
    snprintf(p, sizeof p, "%s/test_core50_bad", ECL_BINARY_DIR);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/test_core50_bad/s2", ECL_BINARY_DIR);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/test_core50_bad/s2/o4", ECL_BINARY_DIR);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/test_core50_bad/s2/o4/C_02_05_001.png", ECL_BINARY_DIR);
    write_png(p, 1);
    snprintf(p, sizeof p, "%s/test_core50_bad", ECL_BINARY_DIR);
    assert_int_equal(core50_scan(p, &o, &ds, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "C_02_05_001.png"));

    /* a partial copy with only training sessions scans, but a scenario needs test images */
    snprintf(p, sizeof p, "%s/test_core50_bad/s2/o4/C_02_05_001.png", ECL_BINARY_DIR);
    remove(p);
    snprintf(p, sizeof p, "%s/test_core50_bad/s2/o4/C_02_04_001.png", ECL_BINARY_DIR);
    write_png(p, 2);
    snprintf(p, sizeof p, "%s/test_core50_bad", ECL_BINARY_DIR);
    assert_int_equal(core50_scan(p, &o, &ds, err, sizeof err), ECL_OK);
    assert_int_equal(ds.n, 1);
    struct core50_scenario sc;
    assert_int_equal(core50_build(&ds, CORE50_NI, 1, &sc, err, sizeof err), ECL_ENOTFOUND);
    assert_non_null(strstr(err, "no test images"));
    core50_free(&ds);
}

static void test_parent_folder(void **state) {
    /* ROOT may be the folder that holds core50_128x128/ */
    char parent[600], link[700];
    snprintf(parent, sizeof parent, "%s/test_core50_parent", ECL_BINARY_DIR);
    mkdir(parent, 0755);
    snprintf(link, sizeof link, "%s/core50_128x128", parent);
    if (access(link, F_OK) != 0) assert_int_equal(symlink(g_root, link), 0);
    struct core50 ds;
    char err[256];
    struct core50_opts o = core50_default_opts();
    assert_int_equal(core50_scan(parent, &o, &ds, err, sizeof err), ECL_OK);
    assert_int_equal(ds.n, 11 * 50 * FRAMES);
    assert_non_null(strstr(ds.root, "core50_128x128"));
    core50_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_ni),
        cmocka_unit_test(test_nc),
        cmocka_unit_test(test_nicv2),
        cmocka_unit_test(test_category_level),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_parent_folder),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
