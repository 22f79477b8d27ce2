/* tests/backcli/featcheck.c - a tiny checker for feature files, used by the backbone CLI tests
 * (tests/backcli/backcli_*.sh). Reads files with tools/common/featfile.h, so it checks what the
 * learning commands will see.
 *
 *   featcheck info F.ecf      prints "n=<n> dim=<dim> names=<a,b,..> labels=<l0,l1,..>"
 *                             and "finite=<0|1> nonzero=<count of non-zero values>"
 *   featcheck cmp A B TOL     exit 0 iff both have the same n, dim and labels and every vector
 *                             satisfies ||a - b||_2 <= TOL * ||a||_2; prints the worst ratio.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "featfile.h"

static int load(const char *path, struct featfile *ff) {
    char err[256];
    if (featfile_read(path, ff, err, sizeof err)) {
        fprintf(stderr, "featcheck: %s\n", err);
        return 1;
    }
    return 0;
}

static int info(const char *path) {
    struct featfile ff;
    if (load(path, &ff)) return 1;
    printf("n=%u dim=%u names=", ff.n, ff.dim);
    for (uint32_t i = 0; i < ff.n_names; i++)
        printf("%s%s", i ? "," : "", ff.names[i]);
    printf(" labels=");
    for (uint32_t i = 0; i < ff.n; i++)
        printf("%s%d", i ? "," : "", ff.y[i]);
    int finite = 1;
    size_t nonzero = 0;
    for (size_t i = 0; i < (size_t)ff.n * ff.dim; i++) {
        if (!isfinite(ff.x[i])) finite = 0;
        if (ff.x[i] != 0.0f) nonzero++;
    }
    printf("\nfinite=%d nonzero=%zu\n", finite, nonzero);
    featfile_free(&ff);
    return 0;
}

static int cmp(const char *pa, const char *pb, double tol) {
    struct featfile a, b;
    if (load(pa, &a)) return 1;
    if (load(pb, &b)) {
        featfile_free(&a);
        return 1;
    }
    int rc = 0;
    if (a.n != b.n || a.dim != b.dim) {
        fprintf(stderr, "featcheck: shapes differ: %ux%u vs %ux%u\n", a.n, a.dim, b.n, b.dim);
        rc = 1;
    }
    double worst = 0.0;
    for (uint32_t i = 0; !rc && i < a.n; i++) {
        if (a.y[i] != b.y[i]) {
            fprintf(stderr, "featcheck: record %u: labels differ (%d vs %d)\n", i, a.y[i], b.y[i]);
            rc = 1;
            break;
        }
        double num = 0.0, den = 0.0;
        for (uint32_t d = 0; d < a.dim; d++) {
            double u = a.x[(size_t)i * a.dim + d], v = b.x[(size_t)i * a.dim + d];
            num += (u - v) * (u - v);
            den += u * u;
        }
        double r = den > 0.0 ? sqrt(num / den) : sqrt(num);
        if (!(r <= worst)) worst = r; /* also catches NaN */
    }
    if (!rc) {
        printf("max relative L2 difference %.3g (tolerance %.3g)\n", worst, tol);
        if (!(worst <= tol)) rc = 1;
    }
    featfile_free(&a);
    featfile_free(&b);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "info")) return info(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "cmp")) return cmp(argv[2], argv[3], atof(argv[4]));
    fprintf(stderr, "usage: featcheck info F | featcheck cmp A B TOL\n");
    return 2;
}
