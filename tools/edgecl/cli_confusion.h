/* tools/edgecl/cli_confusion.h - a confusion matrix over named classes, printed as text or
 * written as SVG (predict, eval).
 *
 * Rows are the true classes, columns the predicted ones; m[t * n + p] counts samples of class t
 * predicted as p. Class names label both axes (the class number when a class has no name).
 *
 *     uint32_t *m = calloc(n * n, sizeof *m);  ... m[t * n + p]++ ...
 *     cli_confusion_print(stdout, "# ", m, n, names);
 *     cli_confusion_svg("conf.svg", "predict", m, n, names, err, sizeof err);
 */
#ifndef EDGECL_CLI_CONFUSION_H
#define EDGECL_CLI_CONFUSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* names: n entries (NULL or "" entries print as the number). Every line starts with prefix. */
void cli_confusion_print(FILE *f, const char *prefix, const uint32_t *m, uint32_t n,
                         const char *const *names);
/* Writes an SVG heat map (cells shaded by the row's fraction, counts written in). 0 or 1 (err). */
int cli_confusion_svg(const char *path, const char *title, const uint32_t *m, uint32_t n,
                      const char *const *names, char *err, size_t errlen);

#endif
