/* tests/kernels_opt_util.c - the state and helpers the optimised-kernel tests share
 * (tests/kernels_opt.h): the table under test, the random stream, the parallel_for splitters. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "kernels_opt.h"

struct ecl_kernels opt;
int have_opt;
int scratch_used;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
int rint_(int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* ---- parallel_for implementations ---- */
static void pf_serial_split(void *user, int n, ecl_task_fn fn, void *ctx) {
    /* uneven ranges, last first: a kernel that depends on range order or size breaks here */
    int parts = *(int *)user;
    int cut[9] = {0};
    for (int i = 1; i < parts; i++)
        cut[i] = (int)((long)n * i * i / ((long)parts * parts));
    cut[parts] = n;
    for (int i = parts - 1; i >= 0; i--)
        if (cut[i + 1] > cut[i]) fn(ctx, cut[i], cut[i + 1]);
}

struct pt_arg {
    ecl_task_fn fn;
    void *ctx;
    int b, e;
};
static void *pt_main(void *a) {
    struct pt_arg *x = a;
    x->fn(x->ctx, x->b, x->e);
    return NULL;
}
static void pf_pthread2(void *user, int n, ecl_task_fn fn, void *ctx) {
    pthread_t t;
    struct pt_arg a = {fn, ctx, n / 2, n};
    int ok = pthread_create(&t, NULL, pt_main, &a) == 0;
    fn(ctx, 0, n / 2);
    if (ok)
        pthread_join(t, NULL);
    else
        fn(ctx, n / 2, n);
}

struct ecl_kctx kctx(int mode) {
    static int parts = 3;
    struct ecl_kctx kc = {0};
    if (mode == 1) {
        kc.parallel_for = pf_serial_split;
        kc.pf_user = &parts;
        kc.n_threads = 3;
    } else if (mode == 2) {
        kc.parallel_for = pf_pthread2;
        kc.n_threads = 2;
    }
    return kc;
}

int out_dim(int in, int k, int s, int pad_total) {
    return (in + pad_total - k) / s + 1;
}

void run_with(struct ecl_kernels t, void (*body)(void)) {
    struct ecl_kernels saved = opt;
    opt = t;
    body();
    opt = saved;
}
