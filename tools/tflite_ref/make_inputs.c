/* tools/tflite_ref/make_inputs.c - writes the inputs of the TFLite reference cases and their
 * manifest (cases.txt), for tools/tflite_ref/run_tflite.mjs (which writes the goldens) and
 * tests/tflref/test_tflite_reference.c (which compares edgecl against them). Dev-only.
 *
 *   build/tflref_make_inputs --models ../shared/models --images ../shared/images \
 *                            --out tests/data/tflite_ref
 *
 * Image models get the photos preprocessed exactly as edgecl does (tools/common/prep.c, the
 * code behind `edgecl extract/classify`): file inputs/<type>_<H>x<W>_<image>.bin, shared by
 * models that take the same tensor. Other inputs (the paper's head graphs) get deterministic
 * pseudo-random floats (ref_rand.h: bottlenecks and labels in [0, 1], others in the table's
 * range), written to rand/ (not committed: the test regenerates
 * them from the seed). Manifest lines:
 *   case ID MODEL_FILE
 *   in NAME DTYPE SHAPE file PATH
 *   in NAME float32 SHAPE rand SEED LO HI PATH
 *   derive OUTPUT_NAME argmax TWIN_MODEL   (see argmax_twin() below)
 * Shapes are written 1x224x224x3 ("scalar" for rank 0); paths are relative to --out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgecl/model.h"
#include "edgecl/port.h"
#include "fe.h"
#include "image.h"
#include "prep.h"
#include "ref_rand.h"

static const char *const all_images[] = {
    "cat",         "bird",           "grace_hopper",   "cat_train_0",
    "dog_train_0", "hotdog_train_0", "hotdog_train_1", NULL};
static const char *const one_image[] = {"cat", NULL};

/* Which inputs each model gets: photos (all, or one for the big inputs), or random floats. */
static const struct ref_model {
    const char *file;
    const char *const *images; /* NULL: pseudo-random inputs */
    float lo, hi;
} models[] = {
    {"mobilenet_v2_1.0_224_quant.tflite", all_images, 0, 0},
    {"tf2_mobilenet_v2_1.0_224_ptq.tflite", all_images, 0, 0},
    {"mobilenet_v1_0.25_128_quant.tflite", all_images, 0, 0},
    {"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", all_images, 0, 0},
    {"deeplabv3_mnv2_dm05_pascal_quant.tflite", one_image, 0, 0},
    {"tl_mobilenet_v2_hybrid_bottleneck.tflite", one_image, 0, 0},
    {"tl_head_inference.tflite", NULL, -0.01f, 0.01f},
    {"tl_head_initialize.tflite", NULL, -0.5f, 0.5f},
    {"tl_head_optimizer.tflite", NULL, -0.01f, 0.01f},
    {"tl_head_train_head.tflite", NULL, -0.01f, 0.01f},
};

static const char *dtype_name(int t) {
    switch (t) {
    case ECL_DT_FLOAT32:
        return "float32";
    case ECL_DT_UINT8:
        return "uint8";
    case ECL_DT_INT8:
        return "int8";
    case ECL_DT_INT32:
        return "int32";
    case ECL_DT_INT64:
        return "int64";
    default:
        return "other";
    }
}

static void shape_str(const struct ecl_tensor_info *ti, char *s, size_t n, size_t *count) {
    size_t k = 0, c = 1;
    s[0] = 0;
    if (ti->ndims == 0) snprintf(s, n, "scalar");
    for (int d = 0; d < ti->ndims; d++) {
        k += (size_t)snprintf(s + k, n - k, d ? "x%d" : "%d", (int)ti->dims[d]);
        c *= (size_t)ti->dims[d];
    }
    *count = c;
}

static int write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "make_inputs: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static void stem(const char *file, char *out, size_t n) {
    snprintf(out, n, "%s", file);
    char *dot = strstr(out, ".tflite");
    if (dot) *dot = 0;
}

/* tfjs-tflite cannot read int64 tensors, so a model whose output 0 is an ARG_MAX (DeepLab)
 * gets a twin, gen/<stem>_argmax_input.tflite (not committed), whose subgraph output is that
 * ARG_MAX's input instead (one int32 of the outputs vector patched; every op still runs). The
 * runner takes the argmax of the twin's output ("derive" line). 1: written, 0: not needed. */
static int argmax_twin(const struct ref_model *rm, const struct ecl_model *m, const char *out,
                       char *rel, size_t relsz, const char **argmax_name) {
    struct ecl_tensor_info ti, src;
    struct ecl_op_info oi;
    if (ecl_model_tensor_info(m, ecl_model_output_at(m, 0), &ti) || ti.producer < 0 ||
        ecl_model_op_info(m, ti.producer, &oi) || strcmp(oi.name, "ARG_MAX") ||
        ecl_model_tensor_info(m, oi.inputs[0], &src))
        return 0;
    char st[64], path[1024];
    stem(rm->file, st, sizeof st);
    snprintf(rel, relsz, "gen/%s_argmax_input.tflite", st);
    snprintf(path, sizeof path, "%s/%s", out, rel);
    uint8_t *copy = malloc(m->len);
    memcpy(copy, m->buf, m->len);
    int32_t idx = oi.inputs[0];
    memcpy(copy + m->sg_outputs, &idx, 4); /* little-endian, as the file */
    int bad = write_file(path, copy, m->len);
    free(copy);
    *argmax_name = ti.name;
    return bad ? -1 : 1;
}

static int image_cases(FILE *man, const struct ref_model *rm, const struct ecl_model *m,
                       const char *images, const char *out) {
    struct fe_prep p;
    struct fe_opts o = fe_default_opts();
    struct ecl_tensor_info ti;
    char st[64], path[1024], rel[256], sh[64], err[256];
    size_t count;
    if (fe_prep_init(m, &o, &p) != ECL_OK) {
        fprintf(stderr, "make_inputs: %s: input 0 is not an RGB image\n", rm->file);
        return 1;
    }
    ecl_model_tensor_info(m, ecl_model_input_at(m, 0), &ti);
    shape_str(&ti, sh, sizeof sh, &count);
    stem(rm->file, st, sizeof st);
    char twin[256];
    const char *argmax_name = NULL;
    int has_twin = argmax_twin(rm, m, out, twin, sizeof twin, &argmax_name);
    if (has_twin < 0) return 1;
    float *tmp = malloc(fe_prep_count(&p) * sizeof(float));
    void *buf = malloc(fe_prep_bytes(&p));
    for (const char *const *im = rm->images; *im; im++) {
        uint8_t *rgb;
        int w, h;
        snprintf(path, sizeof path, "%s/%s.bmp", images, *im);
        if (img_load_file(path, &rgb, &w, &h, err, sizeof err)) {
            fprintf(stderr, "make_inputs: %s\n", err);
            return 1;
        }
        fe_prep_rgb8(&p, rgb, w, h, tmp, buf);
        free(rgb);
        snprintf(rel, sizeof rel, "inputs/%s_%dx%d_%s.bin", dtype_name(p.type), p.h, p.w, *im);
        snprintf(path, sizeof path, "%s/%s", out, rel);
        if (write_file(path, buf, fe_prep_bytes(&p))) return 1;
        fprintf(man, "case %s__%s %s\nin %s %s %s file %s\n", st, *im, rm->file, ti.name,
                dtype_name(ti.type), sh, rel);
        if (has_twin > 0) fprintf(man, "derive %s argmax %s\n", argmax_name, twin);
    }
    free(tmp);
    free(buf);
    return 0;
}

static int rand_case(FILE *man, const struct ref_model *rm, const struct ecl_model *m,
                     const char *out) {
    char st[64], path[1024], rel[256], sh[64];
    stem(rm->file, st, sizeof st);
    fprintf(man, "case %s__rand %s\n", st, rm->file);
    for (int32_t i = 0; i < ecl_model_n_inputs(m); i++) {
        struct ecl_tensor_info ti;
        size_t count;
        ecl_model_tensor_info(m, ecl_model_input_at(m, i), &ti);
        if (ti.type != ECL_DT_FLOAT32) {
            fprintf(stderr, "make_inputs: %s: input %s is %s (only float32 is drawn)\n", rm->file,
                    ti.name, dtype_name(ti.type));
            return 1;
        }
        shape_str(&ti, sh, sizeof sh, &count);
        uint32_t seed = 1000u + (uint32_t)i;
        /* bottlenecks (ReLU6 activations) and labels in [0, 1]; weights and gradients in the
         * model's small range, so that 62720-term dot products stay in softmax's useful range */
        float lo = rm->lo, hi = rm->hi;
        if (strstr(ti.name, "bottleneck") || strstr(ti.name, "labels")) lo = 0.0f, hi = 1.0f;
        float *buf = malloc((count ? count : 1) * sizeof(float));
        ref_rand_f32(buf, count, seed, lo, hi);
        snprintf(rel, sizeof rel, "rand/%s_in%d.bin", st, (int)i);
        snprintf(path, sizeof path, "%s/%s", out, rel);
        int bad = write_file(path, buf, count * sizeof(float));
        free(buf);
        if (bad) return 1;
        fprintf(man, "in %s float32 %s rand %u %.9g %.9g %s\n", ti.name, sh, (unsigned)seed,
                (double)lo, (double)hi, rel);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *models_dir = "../shared/models", *images = "../shared/images", *out = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--models"))
            models_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--images"))
            images = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            out = argv[i + 1];
    }
    if (!out) {
        fprintf(stderr, "usage: %s --models DIR --images DIR --out DIR\n", argv[0]);
        return 2;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/inputs", out);
    mkdir(out, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/rand", out);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/gen", out);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/cases.txt", out);
    FILE *man = fopen(path, "w");
    if (!man) return fprintf(stderr, "make_inputs: cannot write %s\n", path), 1;
    fprintf(man, "# TFLite reference cases, written by tools/tflite_ref/make_inputs.c (see its "
                 "header)\n");
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        void *buf;
        size_t len;
        struct ecl_model m;
        char err[256];
        snprintf(path, sizeof path, "%s/%s", models_dir, models[k].file);
        if (ecl_port_read_file(path, &buf, &len) ||
            ecl_model_parse(buf, len, &m, err, sizeof err)) {
            fprintf(stderr, "make_inputs: %s: cannot read or parse\n", path);
            return 1;
        }
        int bad = models[k].images ? image_cases(man, &models[k], &m, images, out)
                                   : rand_case(man, &models[k], &m, out);
        free(buf);
        if (bad) return 1;
    }
    return fclose(man) ? 1 : 0;
}
