/* tests/ops/op_test.h - what the single-op tests share: cmocka, the op runner, builtin codes. */
#ifndef EDGECL_TESTS_OP_TEST_H
#define EDGECL_TESTS_OP_TEST_H
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "op_runner.h"
#include "tflite/builtins.h"

/* Runs and fails the test with the interpreter's message if the op does not run. */
#define OPR_OK(...)                                                                                \
    do {                                                                                           \
        char err_[256] = "";                                                                       \
        enum ecl_status st_ = opr_run(__VA_ARGS__, err_, sizeof err_);                             \
        if (st_ != ECL_OK) fail_msg("op failed (%d): %s", (int)st_, err_);                         \
    } while (0)

/* Runs and fails the test unless the op fails with status want and a message containing msg. */
#define OPR_FAILS(want, msg, ...)                                                                  \
    do {                                                                                           \
        char err_[256] = "";                                                                       \
        enum ecl_status st_ = opr_run(__VA_ARGS__, err_, sizeof err_);                             \
        if (st_ != (want) || !strstr(err_, (msg)))                                                 \
            fail_msg("got %d \"%s\", want %d \"%s\"", (int)st_, err_, (int)(want), (msg));         \
    } while (0)

static inline void assert_floats_near(const float *got, const float *want, size_t n, float tol) {
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= tol * (1.0f + fabsf(want[i]))))
            fail_msg("element %zu: got %.9g want %.9g", i, got[i], want[i]);
}
#endif
