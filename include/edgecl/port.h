/* edgecl/port.h - the platform layer: files, locks, clocks, threads, logging.
 * The library proper (head, replay, learners, interpreter) never calls these; tools do.
 *
 *   ecl_port_save_atomic(path, buf, len): write path.tmp.<pid>, fsync it, rename over path,
 *     fsync the directory. On any failure the previous file at path is untouched and the temp
 *     file is removed. Before writing, temp files of the same path left by writers that died
 *     mid-save (their pid no longer exists) are removed, so their space is free for this save
 *     and they never pile up.
 *   ecl_port_save_atomic_if(path, buf, len, expect, now): the same, but just before the rename
 *     the file at path must still be the one described by expect (the one that was loaded, see
 *     ecl_port_read_file_id; expect->exists == 0: there must still be no file). Otherwise
 *     nothing is replaced and ECL_ESTATE is returned. now (may be NULL) receives the identity
 *     of the file written, for the next save.
 *   ecl_port_read_file(path, &buf, &len): whole file into a malloc'd buffer (free() it).
 *   ecl_port_read_file_id(path, &buf, &len, &id): the same, plus the identity of the file read.
 *   ecl_port_lock_acquire(path, wait, &lock, &holder): an exclusive advisory lock (flock) on
 *     "<path>.lock", for writers of path that load, change and save it (a state file): without
 *     it two writers each load the old file and the second rename loses the first one's work.
 *     wait == 0: if another holder has it, returns ECL_EBUSY at once with its pid in *holder
 *     (-1 if unknown); wait != 0: blocks until it is free. The lock file stays (removing it
 *     would race with waiters); it holds the pid of the current holder. The lock excludes
 *     other processes and other ecl_port_lock_acquire calls of this process; it is released
 *     by ecl_port_lock_release or when the process ends, however it ends. A child made by
 *     fork() while the lock is held shares it until the child exits or execs (the descriptor
 *     is close-on-exec).
 *   ecl_port_error(): one line about the last failed ecl_port_* call of this thread: the path,
 *     the step and the system's reason (strerror: "No space left on device", "Read-only file
 *     system", "Permission denied"), and for a full disk the bytes needed and free; "" if none.
 *
 *     struct ecl_port_lock *lk; long pid;
 *     if (ecl_port_lock_acquire("S.ecls", 0, &lk, &pid) == ECL_EBUSY) ... "in use by PID pid"
 *     struct ecl_port_file_id id; void *buf; size_t len;
 *     enum ecl_status st = ecl_port_read_file_id("S.ecls", &buf, &len, &id);  // ENOTFOUND: new
 *     ... learn ...
 *     if (ecl_port_save_atomic_if("S.ecls", out, out_len, &id, NULL))
 *         fprintf(stderr, "cannot save: %s\n", ecl_port_error());
 *     ecl_port_lock_release(lk);
 *
 * Threads: a pool of worker threads that implements the interpreter's parallel_for
 * (struct ecl_interp_opts), so the kernels split an operator's work between cores.
 *   ecl_pool_create(n, &pool): n threads in all, the caller's included (n - 1 workers are
 *     started); n <= 0: ecl_port_cpu_count(). ECL_EOOM if it cannot allocate.
 *   ecl_pool_parallel_for(pool, n, fn, ctx): calls fn(ctx, begin, end) on disjoint ranges
 *     covering [0, n), on the caller and the workers, and returns when all are done. Call it
 *     from one thread at a time (one pool per interpreter that runs concurrently).
 *   Between two jobs a worker spins for up to 200 us (pause instruction) before it sleeps, so
 *   the ~100 operators of one inference start without a wake-up each. While the machine has
 *   more runnable threads than cores (checked every 20 ms) nothing spins and jobs run on the
 *   caller alone (waking a worker per operator would cost more than the operator).
 *   ecl_pool_set_spin(pool, ns) changes the budget; 0: workers always sleep at once and are
 *   woken for every job, whatever the load.
 *   ecl_pool_set_adaptive(pool, 0): never fall back to the caller alone, whatever the load
 *   (cores reserved for this process, e.g. real-time priority or isolated CPUs, which other
 *   runnable threads do not take); 1 (the default): the rule above.
 *   ecl_port_cpu_count(): the cores this process may run on.
 *
 *     struct ecl_pool *pool;
 *     if (ecl_pool_create(0, &pool) != ECL_OK) ... out of memory
 *     struct ecl_interp_opts o = ecl_interp_default_opts();
 *     o.parallel_for = ecl_pool_parallel_for;
 *     o.pf_user = pool;
 *     o.n_threads = ecl_pool_threads(pool);
 *     ... ecl_interp_mem_size / ecl_interp_init(m, -1, &o, ...) / ecl_interp_run ...
 *     ecl_pool_destroy(pool);  // after the last run
 *
 * Status codes: ECL_EIO (the system refused; see ecl_port_error), ECL_EOOM (malloc failed),
 * ECL_ENOTFOUND (no such file), ECL_EBUSY (lock held), ECL_ESTATE (file changed under us).
 */
#ifndef EDGECL_PORT_H
#define EDGECL_PORT_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What identifies one version of a file: a rename puts a new inode there, an in-place write
 * changes size or modification time. */
struct ecl_port_file_id {
    int exists;
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

struct ecl_port_lock;

enum ecl_status ecl_port_save_atomic(const char *path, const void *buf, size_t len);
enum ecl_status ecl_port_save_atomic_if(const char *path, const void *buf, size_t len,
                                        const struct ecl_port_file_id *expect,
                                        struct ecl_port_file_id *now);
enum ecl_status ecl_port_read_file(const char *path, void **buf, size_t *len);
enum ecl_status ecl_port_read_file_id(const char *path, void **buf, size_t *len,
                                      struct ecl_port_file_id *id);
/* Identity of the file at path now (exists = 0 and ECL_OK if there is none). */
enum ecl_status ecl_port_file_id(const char *path, struct ecl_port_file_id *id);
int ecl_port_file_id_equal(const struct ecl_port_file_id *a, const struct ecl_port_file_id *b);

enum ecl_status ecl_port_lock_acquire(const char *path, int wait, struct ecl_port_lock **out,
                                      long *holder);
void ecl_port_lock_release(struct ecl_port_lock *lock); /* NULL: no-op */

const char *ecl_port_error(void);

uint64_t ecl_port_now_ns(void);       /* monotonic clock */
size_t ecl_port_peak_rss_bytes(void); /* peak resident set size of the process, 0 if unknown */

/* Thread pool (see the top of this file). ecl_task_fn is the interpreter's (edgecl/model.h). */
#ifndef ECL_PARALLEL_FOR_DEFINED
#define ECL_PARALLEL_FOR_DEFINED /* same typedefs in include/edgecl/model.h */
typedef void (*ecl_task_fn)(void *ctx, int begin, int end);
typedef void (*ecl_parallel_for_fn)(void *user, int n, ecl_task_fn fn, void *ctx);
#endif
struct ecl_pool;
enum ecl_status ecl_pool_create(int n_threads, struct ecl_pool **out);
void ecl_pool_parallel_for(void *pool, int n, ecl_task_fn fn,
                           void *ctx);             /* an ecl_parallel_for_fn */
int ecl_pool_threads(const struct ecl_pool *pool); /* threads in all, caller included */
void ecl_pool_set_spin(struct ecl_pool *pool, unsigned long long spin_ns);
void ecl_pool_set_adaptive(struct ecl_pool *pool, int on);
void ecl_pool_destroy(struct ecl_pool *pool); /* NULL: no-op */
int ecl_port_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
