/* tools/edgecl/cmds.h - subcommands of the edgecl CLI. Each lives in its own cmd_*.c file and
 * gets argv starting at the subcommand name; returns the process exit code (0 ok, 1 failure,
 * 2 usage error). Every subcommand answers --help. */
#ifndef EDGECL_CMDS_H
#define EDGECL_CMDS_H

int cmd_learn(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_bench_cl(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_gengauss(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
