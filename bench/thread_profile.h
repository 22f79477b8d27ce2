/* bench/thread_profile.h - where two real threads lose against one (bench_backbone
 * --thread-profile).
 *
 * The same interpreter (planned for 2 threads, so both modes run the same split) runs `runs`
 * times with every parallel region on the caller alone, then `runs` times through a 2-thread
 * ecl_pool. Every region and every chunk is timed (CLOCK_MONOTONIC), medians over the runs. The
 * report: the whole inference on 1 and 2 threads, the sum of the regions, how much longer the
 * chunks take on 2 threads than the same work on 1 (their summed time over the 1-thread time:
 * 1.00x when the second core costs nothing), and the regions that lose most.
 *
 * exclusive = 1: the process asks for SCHED_FIFO (root or CAP_SYS_NICE; it says when refused)
 * before the pool starts its worker, and the pool's load rule is off
 * (ecl_pool_set_adaptive(pool, 0)): on a machine busy with other processes the two threads
 * then still have both cores, which is what "two idle cores" means. */
#ifndef BENCH_THREAD_PROFILE_H
#define BENCH_THREAD_PROFILE_H
#include <stdio.h>
#include "edgecl/model.h"

/* Returns 0, or -1 on an error (printed to stderr). */
int thread_profile(const struct ecl_model *m, int32_t cut, const float *input, int runs,
                   int exclusive, FILE *out);

#endif
