/* tools/common/statelock.c - see statelock.h. The lock itself lives in the port layer
 * (src/port/port_lock.c); this file only turns its answers into the commands' messages. */
#include "statelock.h"

#include <stdio.h>

int statelock_take(const char *prog, const char *path, int wait, struct ecl_port_lock **out,
                   char *err, size_t errlen) {
    long pid = -1;
    enum ecl_status st = ecl_port_lock_acquire(path, 0, out, &pid);
    if (st == ECL_EBUSY && wait) {
        if (pid > 0)
            fprintf(stderr, "%s: %s is in use by PID %ld; waiting for it to finish...\n", prog,
                    path, pid);
        else
            fprintf(stderr, "%s: %s is in use by another process; waiting for it to finish...\n",
                    prog, path);
        st = ecl_port_lock_acquire(path, 1, out, &pid);
    }
    if (st == ECL_OK) return 0;
    if (st == ECL_EBUSY) {
        if (pid > 0)
            snprintf(err, errlen,
                     "%s: state in use by PID %ld (another edgecl learn or serve is writing it); "
                     "run again when it has finished, or pass --wait",
                     path, pid);
        else
            snprintf(err, errlen,
                     "%s: state in use by another process; run again when it has finished, or "
                     "pass --wait",
                     path);
        return STATELOCK_BUSY_EXIT;
    }
    snprintf(err, errlen, "cannot lock the state: %s", ecl_port_error());
    return 1;
}
