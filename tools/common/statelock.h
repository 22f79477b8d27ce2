/* tools/common/statelock.h - one writer at a time per state file, for the commands.
 *
 * Every command that loads a state file, changes it and saves it back (`edgecl learn`, the
 * demo server) holds the state's lock (edgecl/port.h: ecl_port_lock_acquire on "<S>.lock")
 * from before the load until after the rename. Without it two concurrent writers both load
 * the old state and the second rename silently drops the first one's learning.
 *
 * The documented choice: a second writer fails at once with "S is in use by PID n" (exit code
 * STATELOCK_BUSY_EXIT) unless it asked to wait (`--wait`), in which case it says so on stderr
 * and waits for the holder to finish. Readers (predict, info, eval) never lock: a rename is
 * atomic, so they see the old or the new file.
 *
 *     struct ecl_port_lock *lk;
 *     int r = statelock_take("learn", "s.ecls", wait, &lk, err, sizeof err);
 *     if (r) { fprintf(stderr, "learn: %s\n", err); return r; }   // 1 error, 3 busy
 *     ... load, learn, save ...
 *     ecl_port_lock_release(lk);
 */
#ifndef EDGECL_TOOLS_STATELOCK_H
#define EDGECL_TOOLS_STATELOCK_H

#include <stddef.h>
#include "edgecl/port.h"

#define STATELOCK_BUSY_EXIT 3

/* 0: locked (*out set); STATELOCK_BUSY_EXIT: held by another process and !wait; 1: error.
 * err gets a one-line message for non-zero returns. */
int statelock_take(const char *prog, const char *path, int wait, struct ecl_port_lock **out,
                   char *err, size_t errlen);

#endif
