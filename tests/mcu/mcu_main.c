/* tests/mcu/mcu_main.c - a tiny bare-metal program for the microcontroller check
 * (tests/mcu/mcu_check.sh): links the learner and the .tflite interpreter into a Cortex-M4F
 * image with newlib's nosys specs, static arenas only. It is built to show that the library
 * links without an OS and without malloc/stdio; when run (e.g. under qemu semihosting) it
 * returns 0 if the learner learns a trivially separable problem and the model parser refuses a
 * malformed buffer cleanly.
 */
#include <stdint.h>
#include <string.h>
#include "edgecl/learner.h"
#include "edgecl/model.h"

#define DIM 16
#define CLASSES 3
static _Alignas(8) uint8_t learner_mem[48 * 1024];
static _Alignas(8) uint8_t interp_arena[4 * 1024];
static _Alignas(8) uint8_t state_buf[24 * 1024];

/* Not a valid model: the parser must say so (and not read out of bounds). */
static const uint8_t not_a_model[64] = {0x1c, 0, 0, 0, 'T', 'F', 'L', '3'};
/* A caller may put a real model here (e.g. objcopy'd into flash); the check only links it. */
const uint8_t *volatile ecl_mcu_model = not_a_model;
volatile size_t ecl_mcu_model_len = sizeof not_a_model;

int main(void) {
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, DIM, CLASSES);
    p.replay.capacity = 30;
    p.head.hidden[0] = 16;
    p.head.lr = 0.01f;
    size_t need;
    struct ecl_learner *l;
    if (ecl_learner_mem_size(&p, &need) || need > sizeof learner_mem) return 10;
    if (ecl_learner_init(&p, learner_mem, sizeof learner_mem, &l)) return 11;
    static float x[CLASSES * 10][DIM];
    static int32_t y[CLASSES * 10];
    for (int i = 0; i < CLASSES * 10; i++) {
        y[i] = i % CLASSES;
        for (int d = 0; d < DIM; d++)
            x[i][d] = (d % CLASSES == y[i] ? 2.0f : 0.0f) + 0.01f * (float)((i * 7 + d) % 5);
    }
    for (int e = 0; e < 5; e++)
        if (ecl_learner_observe(l, x[0], y, CLASSES * 10)) return 12;
    int correct = 0;
    for (int i = 0; i < CLASSES * 10; i++) {
        int32_t top;
        if (ecl_learner_predict(l, x[i], NULL, &top)) return 13;
        correct += top == y[i];
    }
    size_t written;
    if (ecl_learner_state_write(l, state_buf, sizeof state_buf, &written)) return 14;

    /* Interpreter: parse, plan, init, run (all reachable, so the linker keeps them). */
    struct ecl_model m;
    char err[96];
    if (ecl_model_parse(ecl_mcu_model, ecl_mcu_model_len, &m, err, sizeof err) == ECL_OK) {
        struct ecl_interp *it;
        static float in[4], out[4];
        if (ecl_interp_mem_size(&m, -1, NULL, &need, err, sizeof err) ||
            ecl_interp_init(&m, -1, NULL, interp_arena, sizeof interp_arena, &it, err,
                            sizeof err) ||
            ecl_interp_run(it, in, out))
            return 15;
    } else if (err[0] == 0) {
        return 16; /* a refusal must come with a reason */
    }
    return correct == CLASSES * 10 ? 0 : 17;
}
