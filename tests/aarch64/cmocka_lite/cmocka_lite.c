/* cmocka_lite runner: see cmocka.h. Output follows cmocka's ("[ RUN      ] name" ...). */
#include "cmocka.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CML_PASS, CML_FAIL, CML_SKIP };

static jmp_buf cml_jump;
static int cml_active; /* inside a test or fixture: failures jump back to the runner */

static void cml_vreport(const char *file, int line, const char *fmt, va_list ap) {
    fprintf(stderr, "%s:%d: error: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cml_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cml_vreport(file, line, fmt, ap);
    va_end(ap);
    fflush(stderr);
    if (cml_active) longjmp(cml_jump, CML_FAIL);
    _Exit(1);
}

void cml_skip(const char *file, int line) {
    if (cml_active) longjmp(cml_jump, CML_SKIP);
    fprintf(stderr, "%s:%d: skip() outside a test\n", file, line);
    _Exit(1);
}

void cml_int_eq(uintmax_t a, uintmax_t b, int want_equal, const char *ea, const char *eb,
                const char *file, int line) {
    if ((a == b) == (want_equal != 0)) return;
    cml_fail(file, line, "%s %s %s (%jd, %jd)", ea, want_equal ? "!=" : "==", eb, (intmax_t)a,
             (intmax_t)b);
}

void cml_float_eq(double a, double b, double eps, const char *ea, const char *eb, const char *file,
                  int line) {
    if (fabs(a - b) <= eps) return;
    cml_fail(file, line, "%s != %s (%g, %g, epsilon %g)", ea, eb, a, b, eps);
}

void cml_mem_eq(const void *a, const void *b, size_t n, int want_equal, const char *ea,
                const char *eb, const char *file, int line) {
    if (a == NULL || b == NULL)
        cml_fail(file, line, "NULL pointer in memory comparison of %s and %s", ea, eb);
    int same = memcmp(a, b, n) == 0;
    if (same == (want_equal != 0)) return;
    if (!want_equal) cml_fail(file, line, "%s and %s are equal (%zu bytes)", ea, eb, n);
    size_t i = 0;
    while (((const unsigned char *)a)[i] == ((const unsigned char *)b)[i])
        i++;
    cml_fail(file, line, "%s != %s: first difference at byte %zu (0x%02x, 0x%02x)", ea, eb, i,
             ((const unsigned char *)a)[i], ((const unsigned char *)b)[i]);
}

void cml_str_eq(const char *a, const char *b, const char *ea, const char *eb, const char *file,
                int line) {
    if (a == NULL || b == NULL) cml_fail(file, line, "NULL string in %s == %s", ea, eb);
    if (strcmp(a, b) != 0) cml_fail(file, line, "\"%s\" != \"%s\" (%s, %s)", a, b, ea, eb);
}

void print_message(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void print_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Runs fn(state) (a fixture when fixture is set, else the test); CML_PASS/FAIL/SKIP. */
static int cml_call(CMUnitTestFunction test, CMFixtureFunction fixture, void **state) {
    volatile int outcome = CML_PASS;
    int jumped = setjmp(cml_jump);
    if (jumped) {
        outcome = jumped;
    } else {
        cml_active = 1;
        if (fixture)
            outcome = fixture(state) == 0 ? CML_PASS : CML_FAIL;
        else
            test(state);
    }
    cml_active = 0;
    return outcome;
}

/* 1 if name is one of the comma-separated names in $CMOCKA_LITE_SKIP (tests a cross run leaves
 * out, e.g. timing-based ones under emulation; the runner reports them as skipped). */
static int cml_skipped_by_env(const char *name) {
    const char *list = getenv("CMOCKA_LITE_SKIP");
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int cml_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
                  CMFixtureFunction setup, CMFixtureFunction teardown) {
    void *group_state = NULL;
    size_t failed = 0, skipped = 0;
    fflush(stdout);
    printf("[==========] %s: Running %zu test(s).\n", group, n);
    if (setup && cml_call(NULL, setup, &group_state) != CML_PASS) {
        printf("[  ERROR   ] %s: group setup failed\n", group);
        return (int)(n ? n : 1);
    }
    for (size_t i = 0; i < n; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state ? t->initial_state : group_state;
        printf("[ RUN      ] %s\n", t->name);
        fflush(stdout);
        int r = CML_PASS;
        if (cml_skipped_by_env(t->name)) {
            printf("[  SKIPPED ] %s (CMOCKA_LITE_SKIP)\n", t->name);
            skipped++;
            continue;
        }
        if (t->setup_func) r = cml_call(NULL, t->setup_func, &state);
        if (r == CML_PASS) r = cml_call(t->test_func, NULL, &state);
        if (t->teardown_func && cml_call(NULL, t->teardown_func, &state) == CML_FAIL) r = CML_FAIL;
        fflush(stderr);
        printf(r == CML_PASS   ? "[       OK ] %s\n"
               : r == CML_SKIP ? "[  SKIPPED ] %s\n"
                               : "[  FAILED  ] %s\n",
               t->name);
        fflush(stdout);
        failed += r == CML_FAIL;
        skipped += r == CML_SKIP;
    }
    if (teardown && cml_call(NULL, teardown, &group_state) == CML_FAIL) failed++;
    printf("[==========] %s: %zu test(s) run.\n", group, n);
    printf("[  PASSED  ] %zu test(s).\n", n - failed - skipped);
    if (skipped) printf("[  SKIPPED ] %zu test(s).\n", skipped);
    if (failed) printf("[  FAILED  ] %zu test(s).\n", failed);
    fflush(stdout);
    return (int)failed;
}
