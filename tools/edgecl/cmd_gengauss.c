/* edgecl gen-gauss - synthetic feature files: one Gaussian cluster per class.
 *
 * Why: tests and demos of the learners need labelled latents with a known answer and no
 * backbone. Class c has a mean mu_c ~ N(0, sep^2 I) and samples x = mu_c + N(0, spread^2 I).
 * With the defaults (dim 64, sep 1, spread 1) the classes are linearly separable in practice,
 * so a learner that remembers old classes reaches high accuracy, and one that forgets them
 * (naive fine-tuning in the class-incremental setting) visibly does not.
 * Records are written in a random order (classes interleaved); `eval` regroups them by class.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "cmds.h"
#include "featfile.h"

/* splitmix64: small, seedable, good enough for synthetic data. */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double rng_normal(uint64_t *s) {
    double u = rng_unit(s), v = rng_unit(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl gen-gauss --out TRAIN.ecf [--test TEST.ecf] [options]\n"
               "Writes synthetic feature files with one Gaussian cluster per class\n"
               "(mean ~ N(0, sep^2), samples = mean + N(0, spread^2)). .csv names give CSV.\n\n"
               "  --out PATH        training feature file (required)\n"
               "  --test PATH       test feature file drawn from the same clusters\n"
               "  --classes N       number of classes (default 10)\n"
               "  --dim N           latent dimension (default 64)\n"
               "  --n N             training samples per class (default 200)\n"
               "  --n-test N        test samples per class (default n/2)\n"
               "  --sep X           scale of the class means (default 1)\n"
               "  --spread X        within-class standard deviation (default 1)\n"
               "  --seed N          random seed (default 1)\n");
}

/* Fills ff with n_per samples of each class, shuffled. */
static int gen(struct featfile *ff, const float *means, uint32_t classes, uint32_t dim,
               uint32_t n_per, float spread, uint64_t *rng, char *err, size_t errlen) {
    uint64_t total = (uint64_t)classes * n_per;
    int32_t *order = malloc((size_t)(total ? total : 1) * sizeof *order);
    float *x = malloc(dim * sizeof *x);
    if (!order || !x) {
        free(order);
        free(x);
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    for (uint64_t i = 0; i < total; i++)
        order[i] = (int32_t)(i / n_per);
    for (uint64_t i = total; i > 1; i--) { /* Fisher-Yates */
        uint64_t j = rng_next(rng) % i;
        int32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (uint64_t i = 0; i < total; i++) {
        int32_t c = order[i];
        for (uint32_t d = 0; d < dim; d++)
            x[d] = means[(size_t)c * dim + d] + spread * (float)rng_normal(rng);
        enum ecl_status st = featfile_append(ff, x, c);
        if (st) {
            snprintf(err, errlen, "cannot build feature set: %s", ecl_status_str(st));
            free(order);
            free(x);
            return 1;
        }
    }
    for (uint32_t c = 0; c < classes; c++) {
        char name[FEATFILE_NAME_MAX];
        snprintf(name, sizeof name, "class%u", c);
        featfile_set_name(ff, (int32_t)c, name);
    }
    free(order);
    free(x);
    return 0;
}

int cmd_gengauss(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *out = NULL, *test = NULL, *v;
    uint32_t classes = 10, dim = 64, n = 200, n_test = UINT32_MAX, seed = 1;
    float sep = 1.0f, spread = 1.0f;
    char err[512];
    for (int i = 1; i < argc; i++) {
        int bad = 0;
        if ((v = cli_opt(argc, argv, &i, "--out")))
            out = v;
        else if ((v = cli_opt(argc, argv, &i, "--test")))
            test = v;
        else if ((v = cli_opt(argc, argv, &i, "--classes")))
            bad = cli_parse_u32("--classes", v, 1, 65536, &classes, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--dim")))
            bad = cli_parse_u32("--dim", v, 1, 1u << 20, &dim, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--n-test")))
            bad = cli_parse_u32("--n-test", v, 0, 1u << 24, &n_test, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--n")))
            bad = cli_parse_u32("--n", v, 1, 1u << 24, &n, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--sep")))
            bad = cli_parse_f32("--sep", v, 0.0f, 1e6f, &sep, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--spread")))
            bad = cli_parse_f32("--spread", v, 0.0f, 1e6f, &spread, err, sizeof err);
        else if ((v = cli_opt(argc, argv, &i, "--seed")))
            bad = cli_parse_u32("--seed", v, 0, UINT32_MAX, &seed, err, sizeof err);
        else {
            cli_bad_opt("gen-gauss", argc, argv, i);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "gen-gauss: %s\n", err);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "gen-gauss: --out is required (see edgecl gen-gauss --help)\n");
        return 2;
    }
    if (n_test == UINT32_MAX) n_test = n / 2 ? n / 2 : 1;
    uint64_t floats = ((uint64_t)n + n_test) * classes * dim;
    if (floats > ((uint64_t)1 << 31)) {
        fprintf(stderr, "gen-gauss: %llu values requested; limit is 2^31\n",
                (unsigned long long)floats);
        return 2;
    }

    uint64_t rng = seed * 0x2545F4914F6CDD1Dull + 1;
    float *means = malloc((size_t)classes * dim * sizeof *means);
    if (!means) {
        fprintf(stderr, "gen-gauss: out of memory\n");
        return 1;
    }
    for (size_t k = 0; k < (size_t)classes * dim; k++)
        means[k] = sep * (float)rng_normal(&rng);

    int rc = 0;
    struct featfile ff;
    featfile_init(&ff, dim);
    if (gen(&ff, means, classes, dim, n, spread, &rng, err, sizeof err) ||
        featfile_write(out, &ff, err, sizeof err)) {
        fprintf(stderr, "gen-gauss: %s\n", err);
        rc = 1;
    } else {
        printf("wrote %s: %u records, dim %u, %u classes\n", out, ff.n, dim, classes);
    }
    featfile_free(&ff);
    if (!rc && test) {
        featfile_init(&ff, dim);
        if (gen(&ff, means, classes, dim, n_test, spread, &rng, err, sizeof err) ||
            featfile_write(test, &ff, err, sizeof err)) {
            fprintf(stderr, "gen-gauss: %s\n", err);
            rc = 1;
        } else {
            printf("wrote %s: %u records, dim %u, %u classes\n", test, ff.n, dim, classes);
        }
        featfile_free(&ff);
    }
    free(means);
    return rc;
}
