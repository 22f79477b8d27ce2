/* tools/edgecl/serve_persist.h - what the demo server needs to keep its state file sound
 * (issue 13): the writer's lock held for the server's lifetime, and a copy of the learners
 * taken before a training round so that a round that diverges (NaN/Inf) is undone instead of
 * leaving learners that can be neither used nor saved.
 *
 *     struct ecl_port_lock *lk;
 *     if (serve_lock_state("demo.ecls", &lk, err, sizeof err)) ...   // "in use by PID n"
 *     struct serve_snapshot snap;
 *     serve_snapshot_take(learners, 2, &snap);   // before observe
 *     if (diverged) serve_snapshot_restore(learners, 2, &snap);
 *     serve_snapshot_free(&snap);
 */
#ifndef EDGECL_SERVE_PERSIST_H
#define EDGECL_SERVE_PERSIST_H

#include <stddef.h>
#include "edgecl/learner.h"
#include "edgecl/port.h"

#define SERVE_SNAPSHOT_MAX 4

struct serve_snapshot {
    int n;
    void *img[SERVE_SNAPSHOT_MAX];
    size_t len[SERVE_SNAPSHOT_MAX];
};

/* ECL_OK (lock in *out), ECL_EBUSY (held by another process) or an I/O error; err says which,
 * with the holder's pid. */
enum ecl_status serve_lock_state(const char *path, struct ecl_port_lock **out, char *err,
                                 size_t errlen);
enum ecl_status serve_snapshot_take(struct ecl_learner *const *l, int n, struct serve_snapshot *s);
enum ecl_status serve_snapshot_restore(struct ecl_learner *const *l, int n,
                                       const struct serve_snapshot *s);
void serve_snapshot_free(struct serve_snapshot *s);
/* ECL_OK if every learner's learned values are finite. */
enum ecl_status serve_learners_finite(struct ecl_learner *const *l, int n);

#endif
