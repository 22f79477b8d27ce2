/* tools/common/svgplot.h - a small, dependency-free SVG line plot (accuracy vs batch).
 *
 * Draws axes with ticks and grid, one polyline with point markers per series, a title, axis
 * labels and a legend to the right of the plot. x values are 1..n (batch numbers) unless xs
 * is given; series may have different lengths. Text is XML-escaped.
 *
 *     struct svgplot p = svgplot_default("Split-Fashion-MNIST", "batch", "accuracy (%)");
 *     p.y_min = 0; p.y_max = 100;
 *     const float naive[] = {99, 48, 33, 24, 19}, replay[] = {99, 90, 85, 80, 77};
 *     struct svgplot_series s[2] = {{"naive", naive, NULL, 5, NULL}, {"replay", replay, NULL, 5,
 * NULL}}; svgplot_write("out.svg", &p, s, 2, err, sizeof err);
 */
#ifndef EDGECL_TOOLS_SVGPLOT_H
#define EDGECL_TOOLS_SVGPLOT_H

#include <stddef.h>
#include <stdio.h>
#include "edgecl/status.h"

struct svgplot {
    const char *title, *x_label, *y_label;
    int width, height;  /* whole picture, pixels (default 900 x 480) */
    float y_min, y_max; /* y range; y_min >= y_max: from the data */
};

struct svgplot_series {
    const char *name;
    const float *ys;
    const float *xs; /* NULL: 1, 2, ..., n */
    size_t n;
    const char *color; /* NULL: from a built-in palette */
};

struct svgplot svgplot_default(const char *title, const char *x_label, const char *y_label);
/* Writes the SVG document to f. */
enum ecl_status svgplot_fprint(FILE *f, const struct svgplot *p, const struct svgplot_series *s,
                               size_t n_series);
/* Writes to path (via a temp file + rename); on failure a message goes to err. */
enum ecl_status svgplot_write(const char *path, const struct svgplot *p,
                              const struct svgplot_series *s, size_t n_series, char *err,
                              size_t errlen);

#endif
