/*
 * remote.h - the CLI through a running server.
 *
 * DuckDB lets one process write a database file. While `pluto-duck run`
 * serves a data home, other pluto-duck commands for that home find the server
 * in runtime/server.json and send their command line to it (POST /api/v1/cli);
 * the server runs the same command on the warehouse it holds and sends back
 * its output and exit code, which the client prints as if it had run it.
 */
#ifndef PD_CLI_REMOTE_H
#define PD_CLI_REMOTE_H

#include <jansson.h>
#include <signal.h>

struct cli_args;
struct cli_command;
struct cli_ctx;
struct pd_err;
struct pd_history;
struct pd_sources;
struct pd_warehouse;
struct srv;

/* A command line run inside the server: what it uses instead of opening things. */
struct cli_host {
    struct pd_warehouse *wh;
    struct pd_history *history;
    struct pd_sources *sources;
    int width;
    volatile sig_atomic_t *interrupted;
};

/* The dispatcher (main.c): parse and run one command line; returns the exit code. */
int cli_main(int argc, char **argv, const struct cli_host *host);

struct cli_remote {
    int pid;
    char url[256];
    char *token;
    char version[32], build[130]; /* of the server's program ("" when it did not say) */
};

/*
 * 1 when a live server serves home (runtime/server.json names a running pid
 * that answers /health). A file whose pid is gone is stale and is removed.
 */
int cli_remote_find(const char *home, struct cli_remote *out);
void cli_remote_release(struct cli_remote *r);

/*
 * Tell the server of home, when one runs, that something it acts on changed
 * outside it: POST path (under /api/v1) with an empty body; what it answers
 * does not matter (it may be from an older build, or busy).
 */
void cli_remote_post(const char *home, const char *path);

/*
 * Send the command line (argv[0] is the program) to the server, print what it
 * printed, and set *exit_code. Standard input goes along when the command reads
 * it; relative paths in path options are made absolute. Ctrl-C cancels the
 * command in the server.
 */
int cli_remote_run(const struct cli_remote *r, const struct cli_command *c,
                   const struct cli_ctx *ctx, const struct cli_args *a, int argc, char **argv,
                   int *exit_code, struct pd_err *err);

/* The server's side (a srv_cli_fn). */
json_t *cli_remote_serve(struct srv *s, json_t *request, volatile sig_atomic_t *cancel);

#endif
