/* serve_persist.c - see serve_persist.h. */
#include "serve_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ecl_status serve_lock_state(const char *path, struct ecl_port_lock **out, char *err,
                                 size_t errlen) {
    long pid = -1;
    enum ecl_status st = ecl_port_lock_acquire(path, 0, out, &pid);
    if (st == ECL_EBUSY && pid > 0)
        snprintf(err, errlen,
                 "state %s in use by PID %ld (another edgecl serve/demo, or a learn run); stop "
                 "it or pick another --state",
                 path, pid);
    else if (st == ECL_EBUSY)
        snprintf(err, errlen, "state %s in use by another process; stop it or pick another --state",
                 path);
    else if (st != ECL_OK)
        snprintf(err, errlen, "cannot lock the state: %s", ecl_port_error());
    return st;
}

enum ecl_status serve_snapshot_take(struct ecl_learner *const *l, int n, struct serve_snapshot *s) {
    memset(s, 0, sizeof *s);
    if (n > SERVE_SNAPSHOT_MAX) return ECL_EINVAL;
    for (int i = 0; i < n; i++) {
        size_t sz = 0;
        enum ecl_status st = ecl_learner_state_size(l[i], &sz);
        if (st == ECL_OK && !(s->img[i] = malloc(sz))) st = ECL_EOOM;
        if (st == ECL_OK) st = ecl_learner_state_write(l[i], s->img[i], sz, &s->len[i]);
        s->n = i + 1;
        if (st != ECL_OK) {
            serve_snapshot_free(s);
            return st;
        }
    }
    return ECL_OK;
}

enum ecl_status serve_snapshot_restore(struct ecl_learner *const *l, int n,
                                       const struct serve_snapshot *s) {
    enum ecl_status st = ECL_OK;
    for (int i = 0; i < n && i < s->n; i++) {
        enum ecl_status r = ecl_learner_state_read(l[i], s->img[i], s->len[i]);
        if (r != ECL_OK) st = r;
    }
    return st;
}

void serve_snapshot_free(struct serve_snapshot *s) {
    for (int i = 0; i < s->n; i++)
        free(s->img[i]);
    memset(s, 0, sizeof *s);
}

enum ecl_status serve_learners_finite(struct ecl_learner *const *l, int n) {
    for (int i = 0; i < n; i++) {
        enum ecl_status st = ecl_learner_check_finite(l[i]);
        if (st != ECL_OK) return st;
    }
    return ECL_OK;
}
