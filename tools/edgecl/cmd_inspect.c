/* edgecl inspect: list a .tflite model's tensors (shape, type, quantisation) and operators,
 * and mark tensors that make good cut layers (4-D activations after a ReLU/ReLU6, ADD or
 * pooling, or the pooled vector before the classifier). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "cmds.h"
#include "edgecl/model.h"
#include "fe.h"

static const char *dtype_name(int32_t t) {
    switch (t) {
    case ECL_DT_FLOAT32:
        return "f32";
    case ECL_DT_FLOAT16:
        return "f16";
    case ECL_DT_INT32:
        return "i32";
    case ECL_DT_UINT8:
        return "u8";
    case ECL_DT_INT64:
        return "i64";
    case ECL_DT_INT16:
        return "i16";
    case ECL_DT_INT8:
        return "i8";
    default:
        return "?";
    }
}

/* An operator's name: builtin or custom name, or "unknown op 250" for a code beyond the
 * library's table of names (a newer schema), which ecl_model_op_info() calls "UNKNOWN". */
static const char *op_name(const struct ecl_op_info *oi, char *buf, size_t cap) {
    if (oi->builtin != 32 && !strcmp(oi->name, "UNKNOWN") &&
        !strcmp(ecl_builtin_name(oi->builtin), "UNKNOWN")) {
        snprintf(buf, cap, "unknown op %d", oi->builtin);
        return buf;
    }
    return oi->name;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgecl inspect [--model M.tflite] [--ops] [--all] [--cut T]\n"
            "  Lists the model's activation tensors (name, shape, type, producing op);\n"
            "  '*' marks good cut layers. --all also lists weights, --ops lists operators,\n"
            "  --cut T plans the arena for cut T and prints its size.\n"
            "  Default model: %s\n",
            fe_default_model_path());
}

int cmd_inspect(int argc, char **argv) {
    const char *model = NULL, *cut = NULL, *v;
    int show_ops = 0, all = 0;
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--model")))
            model = v;
        else if ((v = cli_opt(argc, argv, &i, "--cut")))
            cut = v;
        else if (cli_flag(argv, i, "--ops"))
            show_ops = 1;
        else if (cli_flag(argv, i, "--all"))
            all = 1;
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else if (cli_bad_opt("inspect", argc, argv, i))
            return 2;
    }
    if (!model) model = fe_default_model_path();
    void *buf;
    size_t len;
    char err[512];
    enum ecl_status st = fe_read_model_file(model, &buf, &len, err, sizeof err);
    if (st) {
        fprintf(stderr, "inspect: %s\n", err);
        return 1;
    }
    struct ecl_model m;
    if ((st = ecl_model_parse(buf, len, &m, err, sizeof err))) {
        fprintf(stderr, "inspect: %s: %s\n", model, err);
        free(buf);
        return 1;
    }
    printf("%s: %u tensors, %u operators, input %d, output %d\n", model, ecl_model_n_tensors(&m),
           ecl_model_n_ops(&m), ecl_model_input(&m), ecl_model_output(&m));
    if (show_ops) {
        printf("\n%-5s %-22s %s\n", "op", "type", "inputs -> output");
        for (uint32_t i = 0; i < ecl_model_n_ops(&m); i++) {
            struct ecl_op_info oi;
            if (ecl_model_op_info(&m, (int32_t)i, &oi)) continue;
            char nb[32];
            printf("%-5u %-22s", i, op_name(&oi, nb, sizeof nb));
            for (int k = 0; k < oi.n_inputs && k < ECL_MAX_OP_INPUTS; k++)
                printf(" %d", oi.inputs[k]);
            printf(" -> %d%s\n", oi.outputs[0], oi.supported ? "" : "   [unsupported]");
        }
    }
    printf("\n%-5s %-1s %-40s %-20s %-4s %s\n", "idx", "", "name", "shape", "type", "op");
    for (uint32_t i = 0; i < ecl_model_n_tensors(&m); i++) {
        struct ecl_tensor_info ti;
        if (ecl_model_tensor_info(&m, (int32_t)i, &ti)) continue;
        if (ti.is_const && !all) continue;
        char shape[64] = "";
        size_t p = 0;
        for (int k = 0; k < ti.ndims && p < sizeof shape - 12; k++)
            p += (size_t)snprintf(shape + p, sizeof shape - p, k ? "x%d" : "%d", ti.dims[k]);
        const char *op = "";
        char nb[32];
        int good = 0;
        if (ti.producer >= 0) {
            struct ecl_op_info oi;
            if (!ecl_model_op_info(&m, ti.producer, &oi)) op = op_name(&oi, nb, sizeof nb);
            size_t nl = strlen(ti.name);
            int relu =
                (nl > 4 && !strcmp(ti.name + nl - 4, "relu")) || strstr(ti.name, "Relu") != NULL;
            if (ti.ndims == 4 && (relu || !strcmp(op, "ADD"))) good = 1;
            if (ti.ndims == 2 &&
                (!strcmp(op, "MEAN") || !strcmp(op, "RESHAPE") || !strcmp(op, "AVERAGE_POOL_2D")))
                good = 1;
        } else if ((int32_t)i == ecl_model_input(&m)) {
            op = "(input)";
        } else if (ti.is_const) {
            op = "(weights)";
        }
        printf("%-5u %-1s %-40s %-20s %-4s %s", i, good ? "*" : "", ti.name, shape,
               dtype_name(ti.type), op);
        if (ti.n_scales == 1) printf("  q(scale %.6g, zp %d)", ti.scale, ti.zero_point);
        if (ti.n_scales > 1) printf("  q(%d channels)", ti.n_scales);
        printf("\n");
    }
    if (cut) {
        int32_t c;
        if (ecl_model_find_tensor(&m, cut, &c)) {
            fprintf(stderr, "inspect: no tensor named '%s'\n", cut);
            free(buf);
            return 1;
        }
        size_t need;
        if ((st = ecl_interp_mem_size(&m, c, NULL, &need, err, sizeof err))) {
            fprintf(stderr, "inspect: cut %s: %s\n", cut, err);
            free(buf);
            return 1;
        }
        void *arena = malloc(need);
        if (!arena) {
            fprintf(stderr, "inspect: cannot allocate %zu bytes for the arena\n", need);
            free(buf);
            return 1;
        }
        struct ecl_interp *it;
        if ((st = ecl_interp_init(&m, c, NULL, arena, need, &it, err, sizeof err))) {
            fprintf(stderr, "inspect: cut %s: %s\n", cut, err);
            free(arena);
            free(buf);
            return 1;
        }
        struct ecl_interp_stats s;
        ecl_interp_get_stats(it, &s);
        printf("\ncut %s: %d ops, arena %zu bytes (activations %zu planned, %zu unshared; "
               "persistent %zu), kernels %s\n",
               cut, s.n_ops_run, s.arena_used, s.activation_bytes, s.activation_sum,
               s.persistent_bytes, s.kernels);
        free(arena);
    }
    free(buf);
    return 0;
}
