/* edgecl - command-line tool. Dispatches to the subcommands in cmd_*.c.
 * Subcommands are weak references so that a build without an optional part (e.g. the demo
 * server without libmicrohttpd) still links and says what is missing. */
#include <stdio.h>
#include <string.h>
#include "cmds.h"

#define WEAK __attribute__((weak))
WEAK int cmd_learn(int argc, char **argv);
WEAK int cmd_predict(int argc, char **argv);
WEAK int cmd_info(int argc, char **argv);
WEAK int cmd_eval(int argc, char **argv);
WEAK int cmd_extract(int argc, char **argv);
WEAK int cmd_classify(int argc, char **argv);
WEAK int cmd_inspect(int argc, char **argv);
WEAK int cmd_bench_cl(int argc, char **argv);
WEAK int cmd_serve(int argc, char **argv);
WEAK int cmd_demo(int argc, char **argv);
WEAK int cmd_gengauss(int argc, char **argv);
WEAK int cmd_export(int argc, char **argv);

struct cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
};

static const struct cmd CMDS[] = {
    {"extract", cmd_extract, "images or class folders -> feature file (runs the backbone)"},
    {"classify", cmd_classify, "run the backbone's own classifier on images"},
    {"inspect", cmd_inspect, "list a .tflite model's tensors and ops (pick a cut layer)"},
    {"learn", cmd_learn, "update a learner state file from a feature file"},
    {"predict", cmd_predict, "predict classes of a feature file with a learner state file"},
    {"export", cmd_export, "write the learned classifier as a standard .tflite model"},
    {"info", cmd_info, "print a learner state file's contents"},
    {"eval", cmd_eval, "class-incremental evaluation on a feature file"},
    {"gen-gauss", cmd_gengauss, "write synthetic Gaussian-cluster feature files (tests, demos)"},
    {"bench-cl", cmd_bench_cl, "continual-learning benchmarks (Split-(Fashion-)MNIST, CORe50)"},
    {"serve", cmd_serve, "web demo: teach classes from a webcam"},
    {"demo", cmd_demo, "start the web demo with the default model and state"},
};
#define NCMDS (sizeof CMDS / sizeof CMDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl <command> [options]   (edgecl <command> --help for details)\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %-10s %s%s\n", CMDS[i].name, CMDS[i].help, CMDS[i].fn ? "" : " [not built]");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("edgecl 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < NCMDS; i++) {
        if (strcmp(argv[1], CMDS[i].name)) continue;
        if (!CMDS[i].fn) {
            fprintf(stderr, "edgecl: '%s' is not part of this build\n", argv[1]);
            return 2;
        }
        return CMDS[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "edgecl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
