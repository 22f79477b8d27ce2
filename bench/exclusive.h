/* bench/exclusive.h - the benches' --exclusive: the process (and the threads it starts later,
 * ONNX Runtime's and XNNPACK's included: they inherit the policy) under SCHED_FIFO, so the
 * measured runtimes have the cores even while other processes run. The caller also turns its
 * pools' load rule off (ecl_pool_set_adaptive(pool, 0)).
 *
 *     printf("exclusive: SCHED_FIFO %s\n", bench_go_exclusive());
 */
#ifndef BENCH_EXCLUSIVE_H
#define BENCH_EXCLUSIVE_H
#include <sched.h>

/* What happened, for the bench's output. */
static inline const char *bench_go_exclusive(void) {
    struct sched_param sp = {.sched_priority = 10};
    return sched_setscheduler(0, SCHED_FIFO, &sp) == 0
               ? "priority 10"
               : "refused (needs root or CAP_SYS_NICE): other processes share the cores";
}

#endif
