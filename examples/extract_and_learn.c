/* examples/extract_and_learn.c - the whole pipeline with the library API, no helper layer:
 * .tflite backbone -> interpreter in a static arena -> latent at a cut layer -> global average
 * pooling -> continual learner.
 *
 *     extract_and_learn MODEL.tflite A.png B.png [C.png ...]
 *
 * Each photo is its own class ("teach by showing one example"). The program learns the photos
 * one class at a time (class-incremental, as a device would), then shows it each photo MIRRORED
 * left-right, an image it has never seen, and prints what it recognises. Exit status 0 when
 * every mirrored photo is recognised.
 *
 * Steps, and which header each comes from:
 *   read the file          ecl_port_read_file   (edgecl/port.h; on a microcontroller: the
 *                                                model is a const array in flash)
 *   parse + validate       ecl_model_parse      (edgecl/model.h)
 *   choose the cut layer   ecl_model_find_tensor ("block_13_expand_relu": 14x14x576, generic
 *                                                features; `edgecl inspect` lists the others)
 *   size + init            ecl_interp_mem_size, ecl_interp_init into ARENA (static, checked)
 *   decode the image       img_load_file        (tools/common/image.h, libpng/libjpeg)
 *   preprocess             bilinear resize to the model input, RGB / 255 (what the converted
 *                          Keras MobileNetV2 expects)
 *   run + pool             ecl_interp_run, mean over H x W -> one 576-d latent
 *   learn + predict        ecl_learner_* (edgecl/learner.h), NCM: a class is the mean of its
 *                          latents, so one example per class is enough.
 *
 * The only malloc is inside the tools' image decoder and the port layer's file reader; the
 * interpreter and the learner live in static arrays.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/learner.h"
#include "edgecl/model.h"
#include "edgecl/port.h"
#include "image.h"

#define CUT "block_13_expand_relu"
#define MAX_CLASSES 16
#define MAX_SIDE 224    /* largest model input side this example supports */
#define MAX_LATENT 1280 /* largest pooled latent (channels of the cut tensor) */
#define MAX_CUT_VALUES (14 * 14 * 576)

#define ARENA_BYTES (12u * 1024u * 1024u) /* `edgecl inspect --cut block_13_expand_relu` */
#define LEARNER_BYTES (256u * 1024u)

static _Alignas(64) uint8_t arena[ARENA_BYTES];
static _Alignas(64) uint8_t learner_mem[LEARNER_BYTES];
static float input[MAX_SIDE * MAX_SIDE * 3];
static float cut_out[MAX_CUT_VALUES];

/* Bilinear resize with half-pixel centres (TF's resize_bilinear, half_pixel_centers=True),
 * output RGB / 255. mirror: flip left-right. */
static void preprocess(const uint8_t *rgb, int w, int h, int ow, int oh, int mirror, float *dst) {
    for (int y = 0; y < oh; y++) {
        float fy = ((float)y + 0.5f) * (float)h / (float)oh - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        float wy = fy - (float)y0;
        for (int x = 0; x < ow; x++) {
            float fx = ((float)x + 0.5f) * (float)w / (float)ow - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            float wx = fx - (float)x0;
            int dx = mirror ? ow - 1 - x : x;
            for (int c = 0; c < 3; c++) {
                float a = rgb[((size_t)y0 * w + x0) * 3 + c],
                      b = rgb[((size_t)y0 * w + x1) * 3 + c];
                float d = rgb[((size_t)y1 * w + x0) * 3 + c],
                      e = rgb[((size_t)y1 * w + x1) * 3 + c];
                float top = a + (b - a) * wx, bot = d + (e - d) * wx;
                dst[((size_t)y * ow + dx) * 3 + c] = (top + (bot - top) * wy) / 255.0f;
            }
        }
    }
}

/* Image file -> pooled latent (dims: the cut tensor, N,H,W,C). */
static int image_latent(struct ecl_interp *it, const char *path, int mirror, float *latent) {
    int32_t in[4], out[4];
    ecl_interp_input_dims(it, in);
    ecl_interp_output_dims(it, out);
    uint8_t *rgb;
    int w, h;
    char err[256];
    if (img_load_file(path, &rgb, &w, &h, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    preprocess(rgb, w, h, in[2], in[1], mirror, input);
    free(rgb);
    enum ecl_status st = ecl_interp_run(it, input, cut_out);
    if (st) {
        fprintf(stderr, "%s: run: %s\n", path, ecl_status_str(st));
        return 1;
    }
    size_t hw = (size_t)out[1] * (size_t)out[2], ch = (size_t)out[3];
    for (size_t c = 0; c < ch; c++) {
        double s = 0.0;
        for (size_t p = 0; p < hw; p++)
            s += cut_out[p * ch + c];
        latent[c] = (float)(s / (double)hw);
    }
    return 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc - 2 > MAX_CLASSES) {
        fprintf(stderr, "usage: %s MODEL.tflite A.png B.png [... up to %d images]\n", argv[0],
                MAX_CLASSES);
        return 2;
    }
    /* 1. Model: parse in place (the buffer must outlive the interpreter). */
    void *buf;
    size_t len;
    char err[256];
    enum ecl_status st = ecl_port_read_file(argv[1], &buf, &len);
    if (st) {
        fprintf(stderr, "%s: cannot read (%s)\n", argv[1], ecl_status_str(st));
        return 1;
    }
    struct ecl_model m;
    int32_t cut;
    if (ecl_model_parse(buf, len, &m, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    if (ecl_model_find_tensor(&m, CUT, &cut)) {
        fprintf(stderr, "%s: no tensor named %s\n", argv[1], CUT);
        return 1;
    }

    /* 2. Interpreter in the static arena, sized and checked first. */
    struct ecl_interp_opts o = ecl_interp_default_opts();
    size_t need;
    if (ecl_interp_mem_size(&m, cut, &o, &need, err, sizeof err)) {
        fprintf(stderr, "mem_size: %s\n", err);
        return 1;
    }
    if (need > sizeof arena) {
        fprintf(stderr, "ARENA_BYTES too small: the cut needs %zu bytes\n", need);
        return 1;
    }
    struct ecl_interp *it;
    if (ecl_interp_init(&m, cut, &o, arena, sizeof arena, &it, err, sizeof err)) {
        fprintf(stderr, "init: %s\n", err);
        return 1;
    }
    int32_t in[4], out[4];
    ecl_interp_input_dims(it, in);
    ecl_interp_output_dims(it, out);
    if (in[1] > MAX_SIDE || in[2] > MAX_SIDE || in[3] != 3 || out[3] > MAX_LATENT ||
        ecl_interp_output_count(it) > MAX_CUT_VALUES) {
        fprintf(stderr, "model shapes exceed this example's static buffers\n");
        return 1;
    }
    struct ecl_interp_stats s;
    ecl_interp_get_stats(it, &s);
    printf("backbone: input %dx%dx%d, cut %s %dx%dx%d, arena %zu bytes, kernels %s\n", in[1], in[2],
           in[3], CUT, out[1], out[2], out[3], s.arena_used, s.kernels);

    /* 3. Learner: nearest class mean on the pooled latents. */
    uint32_t dim = (uint32_t)out[3];
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_NCM, dim, MAX_CLASSES);
    struct ecl_learner *l;
    if (ecl_learner_mem_size(&p, &need) || need > sizeof learner_mem ||
        ecl_learner_init(&p, learner_mem, sizeof learner_mem, &l)) {
        fprintf(stderr, "learner: LEARNER_BYTES too small or bad params (needs %zu)\n", need);
        return 1;
    }

    /* 4. Teach one class per photo, one at a time. */
    static float latent[MAX_LATENT];
    int n = argc - 2;
    for (int c = 0; c < n; c++) {
        int32_t y = c;
        if (image_latent(it, argv[2 + c], 0, latent)) return 1;
        ecl_learner_set_class_name(l, c, base_name(argv[2 + c]));
        if ((st = ecl_learner_observe(l, latent, &y, 1))) {
            fprintf(stderr, "observe: %s\n", ecl_status_str(st));
            return 1;
        }
        printf("learned class %d: %s\n", c, base_name(argv[2 + c]));
    }

    /* 5. Recognise the mirrored photos. */
    int correct = 0;
    for (int c = 0; c < n; c++) {
        int32_t top;
        if (image_latent(it, argv[2 + c], 1, latent)) return 1;
        ecl_learner_predict(l, latent, NULL, &top);
        printf("mirrored %-16s -> %s\n", base_name(argv[2 + c]), ecl_learner_class_name(l, top));
        correct += top == c;
    }
    printf("recognised %d/%d mirrored photos\n", correct, n);
    free(buf);
    return correct == n ? 0 : 1;
}
