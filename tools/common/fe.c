/* tools/common/fe.c - the tools' feature extractor (see fe.h): file -> model -> planned arena
 * -> bilinear resize RGB8 -> RGB/255 floats -> run -> optional global average pooling.
 * Threads: the library's pool (ecl_pool, edgecl/port.h) implements the interpreter's
 * parallel_for, so the kernels split each operator without creating threads per operator. */
#define _POSIX_C_SOURCE 200809L
#include "fe.h"
#include "prep.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "edgecl/model.h"
#include "edgecl/port.h"

struct fe {
    void *file;
    size_t file_len;
    struct ecl_model m;
    void *arena;
    size_t arena_bytes;
    struct ecl_interp *it;
    int in_w, in_h, in_c;
    int32_t out_dims[4];
    int out_ndims;
    int pool;
    uint32_t dim;
    float *in_buf, *out_buf;
    uint8_t *in_bytes;
    struct fe_prep prep; /* image -> input tensor (prep.h) */
    char cut_name[256];
    int32_t cut;         /* cut tensor index, -1: the model's output */
    struct ecl_pool *tp; /* NULL: one thread */
};

/* ------------------------------------------------------------------ API */
struct fe_opts fe_default_opts(void) {
    struct fe_opts o = {NULL, 1, 0, 1, 0, 0.0f, 1.0f};
    return o;
}

/* The cut tensor for opts.cut (see fe.h); -1: the model's output. */
static enum ecl_status resolve_cut(const struct ecl_model *m, const char *cut, int32_t *t) {
    *t = -1;
    if (!cut) return ECL_OK;
    if (!strcmp(cut, FE_CUT_DEFAULT)) {
        if (ecl_model_find_tensor(m, FE_DEFAULT_CUT, t) == ECL_OK) return ECL_OK;
        cut = FE_CUT_AUTO;
    }
    if (!strcmp(cut, FE_CUT_AUTO)) {
        if (ecl_model_embedding(m, t) != ECL_OK) *t = -1;
        return ECL_OK;
    }
    return ecl_model_find_tensor(m, cut, t);
}

/* <dir of the running executable>/../share/edgecl/models/mobilenet_v2.tflite, if it exists:
 * an installed edgecl (prefix/bin/edgecl) finds prefix/share/edgecl/models first, not the
 * build tree it was compiled in. */
static int installed_model(char *path, size_t len) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = 0;
    int w = snprintf(path, len, "%s/../share/edgecl/models/mobilenet_v2.tflite", exe);
    return w > 0 && (size_t)w < len && access(path, R_OK) == 0;
}

const char *fe_default_model_path(void) {
    static char path[4096];
    const char *env = getenv("EDGECL_MODEL");
    if (env && *env) return env;
    if (installed_model(path, sizeof path)) return path;
#ifdef ECL_SOURCE_DIR
    snprintf(path, sizeof path, "%s/models/mobilenet_v2.tflite", ECL_SOURCE_DIR);
    if (access(path, R_OK) == 0) return path;
#endif
    if (access("/usr/local/share/edgecl/models/mobilenet_v2.tflite", R_OK) == 0)
        return "/usr/local/share/edgecl/models/mobilenet_v2.tflite";
    return "models/mobilenet_v2.tflite";
}

enum ecl_status fe_read_model_file(const char *path, void **buf, size_t *len, char *err,
                                   size_t errlen) {
    struct stat sb;
    *buf = NULL;
    *len = 0;
    /* the port layer only says "I/O error" for these; name the actual problem */
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen,
                 S_ISDIR(sb.st_mode) ? "%s: is a directory, not a .tflite file"
                                     : "%s: not a regular file",
                 path);
        return ECL_EINVAL;
    }
    enum ecl_status st = ecl_port_read_file(path, buf, len);
    if (st) snprintf(err, errlen, "%s: cannot read (%s)", path, ecl_status_str(st));
    return st;
}

enum ecl_status fe_open(const char *tflite_path, const struct fe_opts *o, struct fe **out,
                        char *err, size_t errlen) {
    struct fe_opts opts = o ? *o : fe_default_opts();
    char e2[256] = "";
    enum ecl_status st;
    *out = NULL;
    struct fe *fe = calloc(1, sizeof *fe);
    if (!fe) {
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    if ((st = fe_read_model_file(tflite_path, &fe->file, &fe->file_len, err, errlen))) goto fail;
    if ((st = ecl_model_parse(fe->file, fe->file_len, &fe->m, e2, sizeof e2))) {
        snprintf(err, errlen, "%s: %s", tflite_path, e2);
        goto fail;
    }
    int32_t cut = -1;
    if ((st = resolve_cut(&fe->m, opts.cut, &cut))) {
        snprintf(err, errlen, "%s: no tensor named '%s' (see `edgecl inspect`)", tflite_path,
                 opts.cut);
        goto fail;
    }
    fe->cut = cut;
    struct ecl_interp_opts io = ecl_interp_default_opts();
    io.force_ref = opts.force_ref;
    if (opts.threads > 1) {
        if (ecl_pool_create(opts.threads, &fe->tp) != ECL_OK) fe->tp = NULL;
        if (fe->tp) {
            io.parallel_for = ecl_pool_parallel_for;
            io.pf_user = fe->tp;
            io.n_threads = ecl_pool_threads(fe->tp);
        }
    }
    if ((st = ecl_interp_mem_size(&fe->m, cut, &io, &fe->arena_bytes, e2, sizeof e2))) {
        snprintf(err, errlen, "%s: %s", tflite_path, e2);
        goto fail;
    }
    fe->arena = malloc(fe->arena_bytes);
    if (!fe->arena) {
        snprintf(err, errlen, "cannot allocate %zu bytes for the arena", fe->arena_bytes);
        st = ECL_EOOM;
        goto fail;
    }
    if ((st = ecl_interp_init(&fe->m, cut, &io, fe->arena, fe->arena_bytes, &fe->it, e2,
                              sizeof e2))) {
        snprintf(err, errlen, "%s: %s", tflite_path, e2);
        goto fail;
    }
    int32_t d[4];
    ecl_interp_input_dims(fe->it, d);
    if (d[0] != 1 || d[3] != 3) {
        snprintf(err, errlen, "%s: model input must be 1xHxWx3 (RGB), is %dx%dx%dx%d", tflite_path,
                 d[0], d[1], d[2], d[3]);
        st = ECL_EUNSUPPORTED;
        goto fail;
    }
    fe->in_h = d[1];
    fe->in_w = d[2];
    fe->in_c = d[3];
    if (fe_prep_init(&fe->m, &opts, &fe->prep) != ECL_OK) {
        snprintf(err, errlen, "%s: model input must be float32, uint8 or int8", tflite_path);
        st = ECL_EUNSUPPORTED;
        goto fail;
    }
    struct ecl_tensor_info cti;
    ecl_interp_output_info(fe->it, 0, &cti);
    snprintf(fe->cut_name, sizeof fe->cut_name, "%s", cti.name);
    ecl_interp_output_dims(fe->it, fe->out_dims);
    fe->out_ndims = ecl_interp_output_ndims(fe->it);
    fe->pool = opts.pool && fe->out_ndims == 4;
    fe->dim = fe->pool ? (uint32_t)fe->out_dims[3] : (uint32_t)ecl_interp_output_count(fe->it);
    fe->in_buf = malloc(ecl_interp_input_count(fe->it) * sizeof(float));
    fe->in_bytes = malloc(ecl_interp_input_count(fe->it));
    fe->out_buf = malloc(ecl_interp_output_count(fe->it) * sizeof(float));
    if (!fe->in_buf || !fe->out_buf || !fe->in_bytes) {
        snprintf(err, errlen, "out of memory");
        st = ECL_EOOM;
        goto fail;
    }
    *out = fe;
    return ECL_OK;
fail:
    fe_close(fe);
    return st;
}

uint32_t fe_dim(const struct fe *fe) {
    return fe->dim;
}

void fe_input_size(const struct fe *fe, int *w, int *h) {
    *w = fe->in_w;
    *h = fe->in_h;
}

size_t fe_arena_bytes(const struct fe *fe) {
    return fe->arena_bytes;
}

int fe_input_norm(const struct fe *fe, float *mean, float *std) {
    *mean = fe->prep.mean;
    *std = fe->prep.std;
    return fe->prep.norm;
}

int32_t fe_cut_tensor(const struct fe *fe) {
    return fe->cut;
}

const char *fe_cut_name(const struct fe *fe) {
    return fe->cut_name;
}

const char *fe_preprocess_desc(const struct fe *fe) {
    return fe->prep.desc;
}

static enum ecl_status read_latent(struct fe *fe, float *latent);
static enum ecl_status pool_latent(struct fe *fe, float *latent);

enum ecl_status fe_prepare_rgb8(struct fe *fe, const uint8_t *rgb, int w, int h, const void **data,
                                size_t *bytes) {
    if (!fe || !rgb || w <= 0 || h <= 0 || !data || !bytes) return ECL_EINVAL;
    void *dst = fe->prep.type == ECL_DT_FLOAT32 ? (void *)fe->in_buf : (void *)fe->in_bytes;
    fe_prep_rgb8(&fe->prep, rgb, w, h, fe->in_buf, dst);
    *data = dst;
    *bytes = fe_prep_bytes(&fe->prep);
    return ECL_OK;
}

enum ecl_status fe_extract_rgb8(struct fe *fe, const uint8_t *rgb, int w, int h, float *latent) {
    if (!fe || !rgb || !latent || w <= 0 || h <= 0) return ECL_EINVAL;
    const void *in;
    size_t in_bytes;
    enum ecl_status st = fe_prepare_rgb8(fe, rgb, w, h, &in, &in_bytes);
    if (st == ECL_OK) st = ecl_interp_set_input(fe->it, 0, in, in_bytes);
    if (st == ECL_OK) st = ecl_interp_invoke(fe->it);
    return st ? st : read_latent(fe, latent);
}

enum ecl_status fe_extract_input_f32(struct fe *fe, const float *input, float *latent) {
    if (!fe || !input || !latent) return ECL_EINVAL;
    enum ecl_status st = ecl_interp_run(fe->it, input, fe->pool ? fe->out_buf : latent);
    return st ? st : pool_latent(fe, latent);
}

const char *fe_interp_error(const struct fe *fe) {
    return fe && fe->it ? ecl_interp_error(fe->it) : "";
}

/* The cut tensor of the last run into latent (pooled when asked). */
static enum ecl_status read_latent(struct fe *fe, float *latent) {
    enum ecl_status st = ecl_interp_get_output_f32(fe->it, 0, fe->pool ? fe->out_buf : latent,
                                                   ecl_interp_output_count(fe->it));
    return st ? st : pool_latent(fe, latent);
}

static enum ecl_status pool_latent(struct fe *fe, float *latent) {
    if (fe->pool) {
        int32_t hw = fe->out_dims[1] * fe->out_dims[2], c = fe->out_dims[3];
        for (int32_t k = 0; k < c; k++) {
            double s = 0;
            for (int32_t i = 0; i < hw; i++)
                s += fe->out_buf[(size_t)i * c + k];
            latent[k] = (float)(s / hw);
        }
    }
    return ECL_OK;
}

void fe_close(struct fe *fe) {
    if (!fe) return;
    ecl_pool_destroy(fe->tp);
    free(fe->arena);
    free(fe->file);
    free(fe->in_buf);
    free(fe->in_bytes);
    free(fe->out_buf);
    free(fe);
}
