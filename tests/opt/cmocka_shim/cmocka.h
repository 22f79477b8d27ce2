/* Minimal stand-in for the cmocka API used by tests/test_kernels_opt*.c, for cross-compiled
 * runs (tests/opt/neon_qemu.sh) where no target cmocka library is installed. Fails fast. */
#ifndef ECL_CMOCKA_SHIM_H
#define ECL_CMOCKA_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define assert_true(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "FAIL %s:%d %s\n", __FILE__, __LINE__, #c);                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define assert_non_null(p) assert_true((p) != NULL)
#define assert_int_equal(a, b) assert_true((long long)(a) == (long long)(b))
#define assert_ptr_equal(a, b) assert_true((const void *)(a) == (const void *)(b))
#define assert_string_equal(a, b) assert_true(strcmp(a, b) == 0)
#define assert_memory_equal(a, b, n) assert_true(memcmp(a, b, n) == 0)
#define skip() return
struct CMUnitTest {
    const char *name;
    void (*f)(void **);
};
#define cmocka_unit_test(fn)                                                                       \
    { #fn, fn }
static int cmocka_run_group_tests_(const struct CMUnitTest *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "RUN %s\n", t[i].name);
        t[i].f(NULL);
    }
    fprintf(stderr, "ALL PASSED\n");
    return 0;
}
#define cmocka_run_group_tests(t, a, b) cmocka_run_group_tests_(t, sizeof(t) / sizeof((t)[0]))
#endif
