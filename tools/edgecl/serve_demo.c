/* serve_demo.c - `edgecl demo`: the web demo with zero configuration (default model, a state
 * file under ~/.local/share/edgecl). Named serve_* so it is only built with libmicrohttpd. */
#include "cmds.h"
#include "serve_app.h"

int cmd_demo(int argc, char **argv) {
    return serve_cli(argc, argv, 1);
}
