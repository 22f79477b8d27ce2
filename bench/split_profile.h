/* bench/split_profile.h - how well one inference splits between threads, independent of the
 * machine's load (bench_backbone --split-profile).
 *
 * The interpreter runs on one thread with a parallel_for that tells the kernels "T threads"
 * but runs every chunk itself, timing each (the minimum over the runs, so preemption by other
 * processes does not count). From the chunk times it replays the pool's schedule (min(n, 4T)
 * chunks; thread t takes its own contiguous part of them first, then steals from the others'
 * parts) and reports:
 * the CPU time outside parallel regions (the serial part), each region's makespan against its
 * ideal (work / T), and the speedup T threads would reach with a free start and join. */
#ifndef BENCH_SPLIT_PROFILE_H
#define BENCH_SPLIT_PROFILE_H
#include <stdio.h>
#include "edgecl/model.h"

/* Runs the model `runs` times (plus one warm-up) as if on `threads` threads; prints the report
 * to out. Returns 0, or -1 on an error (printed to stderr). */
int split_profile(const struct ecl_model *m, int32_t cut, int threads, const float *input, int runs,
                  FILE *out);

/* The name of a task function (dladdr), or its offset in the executable for static ones (look
 * it up with `nm`). Returns name or buf. */
const char *sp_fn_name(ecl_task_fn fn, char *buf, size_t len);

#endif
