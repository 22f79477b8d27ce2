/* tools/edgecl/cli_container.h - `edgecl learn` into the web demo's container (statefile.h):
 * one learner inside it (picked with --learner) learns, and the container is written back with
 * everything else kept - the other learners, the class table (names are the identity: a new
 * name becomes a new class of the container too) and the kept samples - and the STATEFILE_FOREIGN
 * flag set, since the taught learner now holds training the kept samples do not cover (the demo
 * then refuses deletes that would need a retrain from the samples). The file is replaced
 * atomically with the same checks as a plain state (cli_state_image: finite values, the
 * reader's own validation; the container re-parsed before the rename), under the caller's lock.
 *
 *     struct cli_learner L;       // cli_state_load_learner(path, "replay", &L, ...): L.container
 *     struct cli_container *c;
 *     if (cli_container_open(path, &L, &c, err, sizeof err)) ...   // aligns L's class names
 *     ... classes by name, ecl_learner_observe ..., counting the samples of each class ...
 *     cli_container_save(c, &L, per_class, path, err, sizeof err);
 *     cli_container_free(c);
 *
 * Refused (nothing written): a container whose class table and learner disagree on a name, or
 * with more classes than the learner holds; more classes than the container's max_classes.
 */
#ifndef EDGECL_CLI_CONTAINER_H
#define EDGECL_CLI_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include "cli_util.h"

struct cli_container;

/* Reads the container at path (L was loaded from it) and names L's classes after its class
 * table, so that names the demo knows keep their class. 0, or 1 with err set. */
int cli_container_open(const char *path, struct cli_learner *L, struct cli_container **out,
                       char *err, size_t errlen);
/* Writes the container back with L in place of the learner it was loaded from; learned[c]
 * (n_learned entries): samples of class c this run learned, added to the class table's counts. */
int cli_container_save(const struct cli_container *c, const struct cli_learner *L,
                       const uint32_t *learned, uint32_t n_learned, const char *path, char *err,
                       size_t errlen);
void cli_container_free(struct cli_container *c);

#endif
