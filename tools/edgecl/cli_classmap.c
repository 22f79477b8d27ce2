/* Class names as identity (cli_classmap.h). Why a mapping instead of using the file's numbers:
 * `extract` numbers the class folders it is given from 0, so a later call with a folder holding
 * only a new class would otherwise land on class 0 and relabel everything learned as class 0. */
#include "cli_classmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_featfile_name(const struct featfile *ff, int32_t y) {
    if (y < 0 || (uint32_t)y >= ff->n_names) return "";
    return ff->names[y];
}

/* 1 + the highest label the file uses, counting only labels below `limit` (a label at or
 * beyond it can be neither a name nor a class number: *beyond gets the first such record). */
static uint32_t used_labels(const struct featfile *ff, uint32_t limit, uint8_t **used,
                            int64_t *beyond) {
    uint32_t n = 0;
    *beyond = -1;
    for (uint32_t i = 0; i < ff->n; i++) {
        if (ff->y[i] < 0) continue;
        if ((uint32_t)ff->y[i] >= limit) {
            if (*beyond < 0) *beyond = i;
            continue;
        }
        if ((uint32_t)ff->y[i] + 1 > n) n = (uint32_t)ff->y[i] + 1;
    }
    *used = calloc(n ? n : 1, 1);
    if (*used)
        for (uint32_t i = 0; i < ff->n; i++)
            if (ff->y[i] >= 0 && (uint32_t)ff->y[i] < n) (*used)[ff->y[i]] = 1;
    return n;
}

/* State class named `name`, or -1. */
static int32_t find_name(const struct ecl_learner *l, const char *name) {
    uint32_t C = ecl_learner_params(l)->max_classes;
    for (uint32_t c = 0; c < C; c++)
        if (!strcmp(ecl_learner_class_name(l, (int32_t)c), name)) return (int32_t)c;
    return -1;
}

static int map_common(const struct ecl_learner *l, const struct featfile *ff, int learn,
                      int32_t **map_out, uint32_t *n_map, uint32_t *n_new, char *err,
                      size_t errlen) {
    uint8_t *used;
    uint32_t C = ecl_learner_params(l)->max_classes, added = 0;
    int64_t beyond;
    uint32_t n = used_labels(ff, C > ff->n_names ? C : ff->n_names, &used, &beyond);
    int32_t *map = malloc((n ? n : 1) * sizeof *map);
    uint8_t *taken = calloc(C, 1); /* state classes this file's labels map to */
    *map_out = NULL;
    if (!used || !map || !taken) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (learn && beyond >= 0) {
        snprintf(err, errlen,
                 "record %lld has label %d but the learner holds at most %u classes (labels "
                 "0..%u; use --max-classes when creating the state)",
                 (long long)beyond, ff->y[beyond], C, C - 1);
        goto fail;
    }
    /* duplicate names in the file */
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n && used[a]; b++) {
            const char *na = cli_featfile_name(ff, (int32_t)a);
            if (used[b] && na[0] && !strcmp(na, cli_featfile_name(ff, (int32_t)b))) {
                snprintf(err, errlen, "labels %u and %u are both named '%s'", a, b, na);
                goto fail;
            }
        }
    /* named labels that the state knows, and unnamed labels (numbers) */
    for (uint32_t y = 0; y < n; y++) {
        map[y] = -1;
        if (!used[y]) continue;
        const char *nm = cli_featfile_name(ff, (int32_t)y);
        map[y] = nm[0] ? find_name(l, nm) : (int32_t)y;
        if (map[y] < 0) continue;
        if ((uint32_t)map[y] >= C) {
            snprintf(err, errlen,
                     "label %u is beyond the learner's %u classes (labels 0..%u; use "
                     "--max-classes when creating the state)",
                     y, C, C - 1);
            if (learn) goto fail;
            map[y] = -1;
            continue;
        }
        if (taken[map[y]] && learn) {
            snprintf(err, errlen,
                     "unnamed label %u is class %d, which is also class '%s' of this file: name "
                     "every class or none",
                     y, map[y], ecl_learner_class_name(l, map[y]));
            goto fail;
        }
        taken[map[y]] = 1;
    }
    /* new names: the lowest free class index */
    uint32_t next = ecl_learner_n_classes(l);
    for (uint32_t y = 0; y < n && learn; y++) {
        if (!used[y] || map[y] >= 0) continue;
        while (next < C && (taken[next] || ecl_learner_class_name(l, (int32_t)next)[0]))
            next++;
        if (next >= C) {
            snprintf(err, errlen,
                     "no room for new class '%s': the learner holds at most %u classes (use "
                     "--max-classes when creating the state)",
                     cli_featfile_name(ff, (int32_t)y), C);
            goto fail;
        }
        map[y] = (int32_t)next;
        taken[next] = 1;
        added++;
    }
    /* unnamed labels were placed before new names took indices, and a new name takes only an
     * index nothing else uses (taken[] marks both), so no two labels share a class. */
    free(used);
    free(taken);
    *map_out = map;
    *n_map = n;
    if (n_new) *n_new = added;
    return 0;
fail:
    free(used);
    free(map);
    free(taken);
    return 1;
}

int cli_classmap_learn(const struct ecl_learner *l, const struct featfile *ff, int32_t **map,
                       uint32_t *n_map, uint32_t *n_new, char *err, size_t errlen) {
    return map_common(l, ff, 1, map, n_map, n_new, err, errlen);
}

int cli_classmap_eval(const struct ecl_learner *l, const struct featfile *ff, int32_t **map,
                      uint32_t *n_map, char *err, size_t errlen) {
    return map_common(l, ff, 0, map, n_map, NULL, err, errlen);
}

int cli_classmap_name_new(struct ecl_learner *l, const struct featfile *ff, const int32_t *map,
                          uint32_t n_map, char *err, size_t errlen) {
    for (uint32_t y = 0; y < n_map; y++) {
        const char *nm = cli_featfile_name(ff, (int32_t)y);
        if (map[y] < 0 || !nm[0] || ecl_learner_class_name(l, map[y])[0]) continue;
        enum ecl_status st = ecl_learner_set_class_name(l, map[y], nm);
        if (st) {
            snprintf(err, errlen, "cannot name class %d '%s': %s", map[y], nm, ecl_status_str(st));
            return 1;
        }
    }
    return 0;
}

int cli_featfile_relabel(const struct featfile *ref, struct featfile *ff) {
    if (!ref->n_names || !ff->n_names) return 0;
    int32_t *to = malloc(ff->n_names * sizeof *to);
    if (!to) return 1;
    for (uint32_t a = 0; a < ff->n_names; a++) {
        to[a] = ff->names[a][0] ? -1 : (int32_t)a; /* unnamed: keeps its number */
        for (uint32_t b = 0; b < ref->n_names && ff->names[a][0]; b++)
            if (!strcmp(ff->names[a], ref->names[b])) to[a] = (int32_t)b;
    }
    for (uint32_t i = 0; i < ff->n; i++)
        if (ff->y[i] >= 0 && (uint32_t)ff->y[i] < ff->n_names) ff->y[i] = to[ff->y[i]];
    free(to);
    return 0;
}
