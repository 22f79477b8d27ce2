/* tests/mcu/fw/fw_main.c - a Cortex-M firmware that learns: the backbone (a .tflite file in
 * flash, run up to its embedding by edgecl's interpreter from a static arena) turns the photos
 * in flash into latents; two learners (NCM, and the replay head with an 8-bit replay memory)
 * learn the classes one after another on the device (class-incremental: one observe() per
 * class, each training photo and its mirror image), then every photo, held-out ones included,
 * is predicted. Output over semihosting; tests/mcu/fw_test.sh checks it under qemu-system-arm.
 * Returns 0 when every photo is predicted as its class by both learners.
 */
#include <stdint.h>
#include <string.h>
#include "edgecl/learner.h"
#include "edgecl/model.h"
#include "fw_images.h"
#include "fw_sys.h"

#define FW_MAX_DIM 256
#define FW_MAX_IMAGES 6
#define FW_MAX_CLASSES 4
#define FW_SIDE_MAX 128

extern const uint8_t fw_model[];
extern const uint32_t fw_model_len;

static _Alignas(16) uint8_t interp_arena[352 * 1024];
static _Alignas(16) uint8_t learner_mem[40 * 1024];
static uint8_t pixels[FW_SIDE_MAX * FW_SIDE_MAX * 3];
static float latents[FW_MAX_IMAGES][2][FW_MAX_DIM]; /* [image][mirrored] */

struct fw_learner {
    const char *what;
    enum ecl_learner_kind kind;
    int u8_replay;
};
static const struct fw_learner fw_learners[] = {
    {"ncm", ECL_LEARNER_NCM, 0},
    {"replay (uint8 replay memory)", ECL_LEARNER_REPLAY, 1},
};

static int fail(const char *what, const char *detail) {
    fw_puts("FAIL: ");
    fw_puts(what);
    fw_puts(detail && *detail ? ": " : "");
    fw_puts(detail ? detail : "");
    fw_puts("\n");
    return 1;
}

/* The photo, optionally mirrored left-right, through the backbone into out (dim floats). */
static int extract(struct ecl_interp *it, const struct fw_image *img, int mirror, float *out,
                   uint32_t dim) {
    int side = fw_image_side;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            memcpy(&pixels[(y * side + x) * 3],
                   &img->rgb[(y * side + (mirror ? side - 1 - x : x)) * 3], 3);
    if (ecl_interp_set_input(it, 0, pixels, (size_t)side * side * 3) != ECL_OK ||
        ecl_interp_invoke(it) != ECL_OK)
        return fail("backbone", ecl_interp_error(it));
    return ecl_interp_get_output_f32(it, 0, out, dim) != ECL_OK;
}

static struct ecl_learner_params learner_params(const struct fw_learner *fl, uint32_t dim) {
    struct ecl_learner_params p = ecl_learner_default_params(fl->kind, dim, (uint32_t)fw_n_classes);
    if (fl->kind == ECL_LEARNER_REPLAY) {
        p.head.n_hidden = 0;
        p.head.max_batch = 16;
        p.batch_size = 8;
        p.replay_per_batch = 8;
        p.epochs = 30;
        p.lr_after_first = 0;
        p.replay.capacity = 16;
        p.replay.storage = fl->u8_replay ? ECL_REPLAY_U8 : ECL_REPLAY_F32;
    }
    return p;
}

/* Learn the classes one after another, then predict every photo; returns the errors. */
static int learn_and_predict(const struct fw_learner *fl, uint32_t dim) {
    struct ecl_learner_params p = learner_params(fl, dim);
    size_t need = 0;
    struct ecl_learner *l;
    if (ecl_learner_mem_size(&p, &need) != ECL_OK || need > sizeof learner_mem ||
        ecl_learner_init(&p, learner_mem, sizeof learner_mem, &l) != ECL_OK)
        return fail("learner init", fl->what);
    fw_puts("learner ");
    fw_puts(fl->what);
    fw_puts(": ");
    fw_putu((uint32_t)need);
    fw_puts(" bytes\n");
    fw_clock_start();
    static float xs[FW_MAX_IMAGES * 2 * FW_MAX_DIM];
    static int32_t ys[FW_MAX_IMAGES * 2];
    for (int c = 0; c < fw_n_classes; c++) {
        uint32_t n = 0;
        for (int i = 0; i < fw_n_images; i++)
            for (int m = 0; m < 2 && fw_images[i].train && fw_images[i].label == c; m++) {
                memcpy(&xs[n * dim], latents[i][m], dim * sizeof(float));
                ys[n++] = c;
            }
        ecl_learner_set_class_name(l, c, fw_class_names[c]);
        if (ecl_learner_observe(l, xs, ys, n) != ECL_OK) return fail("observe", fl->what);
        fw_puts("  learned ");
        fw_puts(fw_class_names[c]);
        fw_puts(" from ");
        fw_putu(n);
        fw_puts(" samples\n");
    }
    uint32_t learn_ticks = fw_clock_ticks();
    if (fl->kind == ECL_LEARNER_REPLAY) {
        fw_puts("  replay memory: ");
        fw_putu(ecl_learner_replay_count(l));
        fw_puts(" samples in ");
        fw_putu((uint32_t)ecl_learner_replay_bytes(l));
        fw_puts(" bytes\n");
    }
    int errors = 0;
    for (int i = 0; i < fw_n_images; i++) {
        int32_t top = -1;
        if (ecl_learner_predict(l, latents[i][0], NULL, &top) != ECL_OK)
            return fail("predict", fl->what);
        int ok = top == fw_images[i].label;
        errors += !ok;
        fw_puts(ok ? "  predict " : "  WRONG predict ");
        fw_puts(fw_images[i].name);
        fw_puts(fw_images[i].train ? " (trained): " : " (held out): ");
        fw_puts(top >= 0 ? ecl_learner_class_name(l, top) : "none");
        fw_puts(ok ? "\n" : " expected ");
        fw_puts(ok ? "" : fw_class_names[fw_images[i].label]);
        fw_puts(ok ? "" : "\n");
    }
    fw_puts("  learning: ");
    fw_putu(learn_ticks);
    fw_puts(" SysTick ticks\n");
    return errors;
}

int main(void) {
    static struct ecl_model m;
    static char err[160];
    fw_puts("edgecl firmware: model ");
    fw_putu(fw_model_len);
    fw_puts(" bytes in flash\n");
    if (fw_n_images > FW_MAX_IMAGES || fw_n_classes > FW_MAX_CLASSES || fw_image_side > FW_SIDE_MAX)
        return fail("too many images or classes", "");
    if (ecl_model_parse(fw_model, fw_model_len, &m, err, sizeof err) != ECL_OK)
        return fail("model", err);
    int32_t cut = -1;
    if (ecl_model_embedding(&m, &cut) != ECL_OK) return fail("model", "no embedding");
    size_t need = 0;
    struct ecl_interp *it;
    if (ecl_interp_mem_size(&m, cut, NULL, &need, err, sizeof err) != ECL_OK)
        return fail("interpreter", err);
    fw_puts("interpreter arena: ");
    fw_putu((uint32_t)need);
    fw_puts(" of ");
    fw_putu((uint32_t)sizeof interp_arena);
    fw_puts(" bytes\n");
    if (ecl_interp_init(&m, cut, NULL, interp_arena, sizeof interp_arena, &it, err, sizeof err) !=
        ECL_OK)
        return fail("interpreter", err);
    struct ecl_interp_stats st;
    ecl_interp_get_stats(it, &st);
    fw_puts("  activations ");
    fw_putu((uint32_t)st.activation_bytes);
    fw_puts(" bytes, persistent (tensor records, requantisation, re-encoded weights) ");
    fw_putu((uint32_t)st.persistent_bytes);
    fw_puts(" bytes, ");
    fw_putu((uint32_t)st.n_ops_run);
    fw_puts(" ops, kernels ");
    fw_puts(st.kernels);
    fw_puts("\n");
    uint32_t dim = (uint32_t)ecl_interp_output_count(it);
    int32_t in[4];
    ecl_interp_input_dims(it, in);
    if (dim > FW_MAX_DIM || in[1] != fw_image_side || in[2] != fw_image_side || in[3] != 3)
        return fail("model", "input is not side x side x 3 or the embedding is too large");
    fw_puts("embedding: ");
    fw_putu(dim);
    fw_puts(" values\n");
    fw_clock_start();
    for (int i = 0; i < fw_n_images; i++)
        for (int mirror = 0; mirror < 2; mirror++)
            if (extract(it, &fw_images[i], mirror, latents[i][mirror], dim)) return 1;
    uint32_t ticks = fw_clock_ticks();
    fw_puts("backbone: ");
    fw_putu((uint32_t)fw_n_images * 2);
    fw_puts(" runs, ");
    fw_putu(ticks / ((uint32_t)fw_n_images * 2));
    fw_puts(" SysTick ticks each\n");
    int errors = 0;
    for (size_t k = 0; k < sizeof fw_learners / sizeof fw_learners[0]; k++)
        errors += learn_and_predict(&fw_learners[k], dim);
    fw_puts(errors ? "RESULT: FAIL " : "RESULT: PASS ");
    fw_putu((uint32_t)errors);
    fw_puts(" wrong\n");
    return errors != 0;
}
