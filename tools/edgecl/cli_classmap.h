/* tools/edgecl/cli_classmap.h - classes are identified by name: maps the labels of a feature
 * file onto the classes of a learner state.
 *
 * A feature file's label is a local number; its name (the class folder it came from) is the
 * identity. For learning (cli_classmap_learn):
 *   - a named label maps to the state's class of that name, or, if the state has none, to a new
 *     class: the lowest index that is neither learned (< n_classes), named, nor used by this file;
 *   - an unnamed label (CSV files, loose images with --label N) is the class number itself;
 *   - it is an error (nothing changed, message in err) when the file names two labels alike,
 *     when an unnamed label would land on the class a named one maps to, or when the new classes
 *     do not fit in the state's max_classes.
 * Nothing is ever renamed: a state class keeps its name for life.
 * For evaluation (cli_classmap_eval) a named label the state does not know maps to -1 (a sample
 * of a class the learner has never seen: counted, never right).
 *
 *     int32_t *map; uint32_t n_map, n_new;
 *     if (cli_classmap_learn(L.l, &ff, &map, &n_map, &n_new, err, sizeof err)) fail(err);
 *     cli_classmap_name_new(L.l, &ff, map, n_map);   // name the new classes in the state
 *     for (i..) y[i] = map[ff.y[i]];
 *     free(map);
 */
#ifndef EDGECL_CLI_CLASSMAP_H
#define EDGECL_CLI_CLASSMAP_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "featfile.h"

/* map: malloc'd, n_map = 1 + the highest label the file uses (0 if none); labels >= n_map map
 * to -1 (eval; learn refuses a label beyond both the names and max_classes); *n_new: classes
 * the file adds (may be NULL). Labels < 0 are the caller's business. Returns 0 or 1 (err). */
int cli_classmap_learn(const struct ecl_learner *l, const struct featfile *ff, int32_t **map,
                       uint32_t *n_map, uint32_t *n_new, char *err, size_t errlen);
/* Gives the new classes of map their file names. Returns 0 or 1 (err). */
int cli_classmap_name_new(struct ecl_learner *l, const struct featfile *ff, const int32_t *map,
                          uint32_t n_map, char *err, size_t errlen);
/* Evaluation mapping: unknown names -> -1, unnamed labels -> themselves. */
int cli_classmap_eval(const struct ecl_learner *l, const struct featfile *ff, int32_t **map,
                      uint32_t *n_map, char *err, size_t errlen);
/* Renumbers ff's named labels to the labels of ref with the same names (a name ref lacks: -1,
 * unlabelled); ff's names table becomes ref's. Nothing changes unless both files have names.
 * Returns 0, or 1 out of memory. (eval: test file vs training file.) */
int cli_featfile_relabel(const struct featfile *ref, struct featfile *ff);
/* Name of label y of ff ("" if unnamed or out of range). */
const char *cli_featfile_name(const struct featfile *ff, int32_t y);

#endif
