/* The tools' early-stop rule (tools/common/learn_defaults.h): no stop before 400 mini-batch
 * steps (and 4 epochs); after that, stop when the loss has not fallen 1 % below its lowest for
 * 5 epochs, or is below 0.001; a non-finite loss stops at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "learn_defaults.h"

/* epoch (1-based) at which the rule first says stop for loss(e), 0 if never within cap */
static uint32_t stop_epoch(uint32_t n, uint32_t batch, float (*loss)(uint32_t), uint32_t cap) {
    struct learn_settle s;
    learn_settle_init(&s, n, batch);
    for (uint32_t e = 1; e <= cap; e++)
        if (learn_settle_update(&s, loss(e))) return e;
    return 0;
}

static float flat(uint32_t e) {
    (void)e;
    return 0.7f;
}
static float falling(uint32_t e) { /* 5 % per epoch: below 0.001 after epoch 134 */
    return powf(0.95f, (float)e);
}
static float slow(uint32_t e) { /* 0.3 % per epoch: a new 1 % low every 4 epochs */
    return powf(0.997f, (float)e);
}
static float jitter(uint32_t e) { /* up and down by 0.5 %: no 1 % progress */
    return e % 2 ? 1.0f : 0.995f;
}
static float tiny(uint32_t e) {
    (void)e;
    return 1e-4f;
}
static float nan_at_5(uint32_t e) {
    return e == 5 ? NAN : 1.0f / (float)e;
}

static void test_rule(void **state) {
    (void)state;
    /* 2000 samples in batches of 32: 63 steps an epoch, 400 steps after 7 epochs */
    assert_int_equal(stop_epoch(2000, 32, flat, 100), 7);
    assert_int_equal(stop_epoch(2000, 32, slow, 100), 0);
    assert_int_equal(stop_epoch(2000, 32, falling, 100), 0);
    assert_int_equal(stop_epoch(2000, 32, falling, 200), 135);
    /* 10000 samples: 313 steps an epoch, so 4 epochs at least; 5 epochs without progress */
    assert_int_equal(stop_epoch(10000, 32, flat, 100), 6);
    assert_int_equal(stop_epoch(10000, 32, jitter, 100), 6);
    assert_int_equal(stop_epoch(10000, 32, tiny, 100), 4);
    /* 3 images: one step an epoch, so never within a cap of 100 (the few-shot case) */
    assert_int_equal(stop_epoch(3, 32, flat, 100), 0);
    assert_int_equal(stop_epoch(3, 32, flat, 500), 400);
    /* not finite: stop at once, whatever the step count */
    assert_int_equal(stop_epoch(3, 32, nan_at_5, 100), 5);
}

static void test_epoch_fn(void **state) {
    (void)state;
    struct learn_settle s;
    learn_settle_init(&s, 10000, 32);
    int stop = 0;
    for (uint32_t e = 1; e <= 100 && !stop; e++)
        stop = learn_settle_epoch(&s, e, 100, 0.5f);
    assert_int_equal(stop, 1);
    assert_int_equal(s.n, 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rule),
                                       cmocka_unit_test(test_epoch_fn)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
