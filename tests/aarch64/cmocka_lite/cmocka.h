/* cmocka_lite: the part of the cmocka API that edgecl's unit tests use, for cross builds
 * (tests/aarch64/) where no target cmocka library is installed. Same names and semantics as
 * cmocka 1.1: a failed assertion or skip() ends the current test (longjmp back to the runner),
 * the next test runs, and cmocka_run_group_tests() returns the number of failed tests.
 * $CMOCKA_LITE_SKIP (comma-separated test names) skips tests, e.g. timing-based ones under qemu.
 *
 *   static void test_add(void **state) { assert_int_equal(1 + 1, 2); }
 *   int main(void) {
 *       const struct CMUnitTest tests[] = {cmocka_unit_test(test_add)};
 *       return cmocka_run_group_tests(tests, NULL, NULL);
 *   }
 */
#ifndef ECL_CMOCKA_LITE_H
#define ECL_CMOCKA_LITE_H
#include <stddef.h>
#include <stdint.h>

typedef uintmax_t LargestIntegralType;
typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f)                                                                        \
    { #f, f, NULL, NULL, NULL }
#define cmocka_unit_test_setup_teardown(f, s, t)                                                   \
    { #f, f, s, t, NULL }
#define cmocka_unit_test_prestate(f, p)                                                            \
    { #f, f, NULL, NULL, p }

int cml_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
                  CMFixtureFunction setup, CMFixtureFunction teardown);
#define cmocka_run_group_tests(t, s, td) cml_run_group(#t, t, sizeof(t) / sizeof((t)[0]), s, td)

#if defined(__GNUC__)
#define CML_NORETURN __attribute__((noreturn))
#define CML_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CML_NORETURN
#define CML_PRINTF(a, b)
#endif

CML_NORETURN void cml_fail(const char *file, int line, const char *fmt, ...) CML_PRINTF(3, 4);
CML_NORETURN void cml_skip(const char *file, int line);
void cml_int_eq(uintmax_t a, uintmax_t b, int want_equal, const char *ea, const char *eb,
                const char *file, int line);
void cml_float_eq(double a, double b, double eps, const char *ea, const char *eb, const char *file,
                  int line);
void cml_mem_eq(const void *a, const void *b, size_t n, int want_equal, const char *ea,
                const char *eb, const char *file, int line);
void cml_str_eq(const char *a, const char *b, const char *ea, const char *eb, const char *file,
                int line);
void print_message(const char *fmt, ...) CML_PRINTF(1, 2);
void print_error(const char *fmt, ...) CML_PRINTF(1, 2);

#define assert_true(c) ((c) ? (void)0 : cml_fail(__FILE__, __LINE__, "%s is false", #c))
#define assert_false(c) (!(c) ? (void)0 : cml_fail(__FILE__, __LINE__, "%s is true", #c))
#define assert_non_null(p) ((p) != NULL ? (void)0 : cml_fail(__FILE__, __LINE__, "%s is NULL", #p))
#define assert_null(p) ((p) == NULL ? (void)0 : cml_fail(__FILE__, __LINE__, "%s is not NULL", #p))
#define assert_ptr_equal(a, b)                                                                     \
    ((const void *)(a) == (const void *)(b) ? (void)0                                              \
                                            : cml_fail(__FILE__, __LINE__, "%s != %s", #a, #b))
#define assert_ptr_not_equal(a, b)                                                                 \
    ((const void *)(a) != (const void *)(b) ? (void)0                                              \
                                            : cml_fail(__FILE__, __LINE__, "%s == %s", #a, #b))
#define assert_int_equal(a, b)                                                                     \
    cml_int_eq((uintmax_t)(a), (uintmax_t)(b), 1, #a, #b, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                                 \
    cml_int_eq((uintmax_t)(a), (uintmax_t)(b), 0, #a, #b, __FILE__, __LINE__)
#define assert_float_equal(a, b, eps)                                                              \
    cml_float_eq((double)(a), (double)(b), (double)(eps), #a, #b, __FILE__, __LINE__)
#define assert_memory_equal(a, b, n) cml_mem_eq(a, b, n, 1, #a, #b, __FILE__, __LINE__)
#define assert_memory_not_equal(a, b, n) cml_mem_eq(a, b, n, 0, #a, #b, __FILE__, __LINE__)
#define assert_string_equal(a, b) cml_str_eq(a, b, #a, #b, __FILE__, __LINE__)
#define fail() cml_fail(__FILE__, __LINE__, "fail()")
#define fail_msg(...) cml_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() cml_skip(__FILE__, __LINE__)
#endif
