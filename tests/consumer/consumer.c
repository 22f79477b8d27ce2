/* tests/consumer/consumer.c - a program outside the project that uses the INSTALLED edgecl:
 * headers from <prefix>/include/edgecl, the library found by pkg-config or
 * find_package(edgecl CONFIG). It touches every part of the library a user links to: learner
 * (observe/predict/state round trip), the interpreter's op table (model.h), and the port layer
 * (atomic save, read back, clock), which lives in the same libedgecl.
 *
 * usage: consumer DIR    (DIR: a writable scratch directory for the saved state)
 * Prints "consumer: ok (...)" and exits 0 when everything agrees.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/learner.h"
#include "edgecl/model.h"
#include "edgecl/port.h"

#define DIM 8
#define CLASSES 3
#define PER 20

static int fail(const char *what, enum ecl_status st) {
    fprintf(stderr, "consumer: %s: %s\n", what, ecl_status_str(st));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: consumer DIR\n");
        return 2;
    }
    uint64_t t0 = ecl_port_now_ns();
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_NCM, DIM, CLASSES);
    size_t need;
    enum ecl_status st = ecl_learner_mem_size(&p, &need);
    if (st) return fail("mem_size", st);
    void *mem = malloc(need);
    struct ecl_learner *l;
    if (!mem || (st = ecl_learner_init(&p, mem, need, &l))) return fail("init", st);
    /* Class c: a blob around 5 * e_c. */
    static float x[CLASSES * PER][DIM];
    static int32_t y[CLASSES * PER];
    for (int i = 0; i < CLASSES * PER; i++) {
        y[i] = i % CLASSES;
        for (int d = 0; d < DIM; d++)
            x[i][d] = (d == y[i] ? 5.0f : 0.0f) + (float)((i * 7 + d * 3) % 11) / 11.0f - 0.5f;
    }
    if ((st = ecl_learner_observe(l, &x[0][0], y, CLASSES * PER))) return fail("observe", st);
    ecl_learner_set_class_name(l, 0, "zero");
    int right = 0;
    for (int i = 0; i < CLASSES * PER; i++) {
        int32_t top;
        if ((st = ecl_learner_predict(l, x[i], NULL, &top))) return fail("predict", st);
        right += top == y[i];
    }
    /* Save through the port layer, read back, restore into a second learner. */
    size_t sz, wrote;
    ecl_learner_state_size(l, &sz);
    void *img = malloc(sz);
    if (!img || (st = ecl_learner_state_write(l, img, sz, &wrote))) return fail("state", st);
    char path[4096];
    snprintf(path, sizeof path, "%s/consumer.ecls", argv[1]);
    if ((st = ecl_port_save_atomic(path, img, wrote)))
        return fprintf(stderr, "consumer: save: %s\n", ecl_port_error()), 1;
    void *back;
    size_t back_len;
    if ((st = ecl_port_read_file(path, &back, &back_len))) return fail("read", st);
    void *mem2 = malloc(need);
    struct ecl_learner *l2;
    if (!mem2 || (st = ecl_learner_init(&p, mem2, need, &l2))) return fail("init 2", st);
    if ((st = ecl_learner_state_read(l2, back, back_len))) return fail("state_read", st);
    int same = back_len == wrote && !memcmp(back, img, wrote) &&
               strcmp(ecl_learner_class_name(l2, 0), "zero") == 0;
    for (int i = 0; i < CLASSES * PER; i++) {
        int32_t a, b;
        ecl_learner_predict(l, x[i], NULL, &a);
        ecl_learner_predict(l2, x[i], NULL, &b);
        same &= a == b;
    }
    if (!ecl_builtin_supported(3) || strcmp(ecl_builtin_name(3), "CONV_2D") != 0) {
        fprintf(stderr, "consumer: op table: CONV_2D missing\n");
        return 1;
    }
    if (right != CLASSES * PER || !same) {
        fprintf(stderr, "consumer: %d/%d right, restored %s\n", right, CLASSES * PER,
                same ? "same" : "DIFFERENT");
        return 1;
    }
    printf("consumer: ok (%d/%d right, state %zu bytes restored, %s, clock %s)\n", right,
           CLASSES * PER, wrote, ecl_learner_kind_name(p.kind),
           ecl_port_now_ns() >= t0 ? "monotonic" : "BACKWARDS");
    free(back);
    free(img);
    free(mem);
    free(mem2);
    return 0;
}
