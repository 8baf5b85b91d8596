/*
 * cmd_shell.c - `pluto-duck shell`: interactive SQL with libedit.
 *
 * Lines gather until the statement ends with ';' (outside quotes and comments,
 * as query/sqlsplit.h decides); a line starting with '.' at the start of a
 * statement is a dot-command. With a terminal it uses libedit with a history
 * file in the home; without one it reads standard input plainly, so scripts can
 * pipe into it. Ctrl-C cancels the running statement (or drops the line being
 * typed); Ctrl-D ends the shell.
 */
#include "cli/cli.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/dynlib.h"
#include "base/err.h"
#include "query/catalog.h"
#include "query/query.h"
#include "query/sqlsplit.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>

/* libedit is loaded when a shell starts on a terminal (base/dynlib.h); without it lines are read plainly. */
#define PD_EDIT_FUNCS(X) X(readline) X(add_history) X(read_history) X(write_history) X(stifle_history)
PD_DYNLIB_TABLE(pd_edit, PD_EDIT_FUNCS);
PD_DYNLIB_DEFINE(pd_edit, PD_EDIT_FUNCS, PD_SONAME_EDIT, "libedit2")

#define HISTORY_FILE ".shell_history"
#define HISTORY_MAX 2000

struct shell {
    struct cli_ctx *ctx;
    enum pd_format format;
    int timer;
    int editing; /* lines are read with libedit (a terminal, and libedit loaded) */
    char *history_path;
};

static volatile sig_atomic_t shell_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    shell_interrupted = 1;
}

static void print_error(const struct pd_err *err, int rc)
{
    if (rc == PD_ECANCELED)
        fprintf(cli_err, "cancelled\n");
    else
        fprintf(cli_err, "error: %s\n", err->code ? err->msg : pd_err_name(rc));
}

static struct pd_sink *shell_sink(const struct shell *sh)
{
    return cli_sink(sh->ctx, sh->format, sh->timer);
}

static struct pd_query *shell_query(const struct shell *sh, int record)
{
    struct pd_query_opts o = {
        .origin = "shell",
        .notice = cli_notice,
        .history = record ? sh->ctx->history : NULL,
        .interrupt = &shell_interrupted,
        .timeout_s = pd_config_seconds(sh->ctx->cfg, "query.timeout"),
        .limit = sh->format == PD_FORMAT_TABLE
                     ? (uint64_t)pd_config_int(sh->ctx->cfg, "query.preview_rows")
                     : 0,
    };
    return pd_query_new(sh->ctx->wh, &o);
}

static void run_sql(struct shell *sh, const char *sql)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_query *q = shell_query(sh, 1);
    struct pd_sink *sink = shell_sink(sh);
    int rc = pd_query_run(q, sql, sink, NULL, &err);
    if (rc)
        print_error(&err, rc);
    pd_sink_free(sink);
    pd_query_free(q);
}

static const char help_text[] =
    ".tables                 list tables and views\n"
    ".schema [TABLE]         columns of TABLE (or of every table)\n"
    ".format table|csv|json|jsonl   how results print\n"
    ".timer on|off           print how long each statement takes\n"
    ".help                   this text\n"
    ".quit                   leave (or Ctrl-D)\n"
    "SQL statements end with ';' and may span lines. Ctrl-C cancels a running statement.\n";

/* Run a dot-command. Returns 1 when the shell should end. */
static int dot_command(struct shell *sh, char *line)
{
    char *argv[3] = {0};
    int argc = 0;
    struct pd_err err = PD_ERR_INIT;
    int rc = 0;

    for (char *tok = strtok_r(line, " \t\r\n", &line); tok && argc < 3;
         tok = strtok_r(NULL, " \t\r\n", &line))
        argv[argc++] = tok;
    if (argc == 0)
        return 0;
    if (!strcmp(argv[0], ".quit") || !strcmp(argv[0], ".exit")) {
        return 1;
    } else if (!strcmp(argv[0], ".help")) {
        fputs(help_text, cli_out);
    } else if (!strcmp(argv[0], ".tables") || !strcmp(argv[0], ".schema")) {
        struct pd_query *q = shell_query(sh, 0);
        struct pd_sink *sink = shell_sink(sh);
        rc = argv[0][1] == 't' ? pd_catalog_tables(q, sink, &err)
                               : pd_catalog_columns(q, argv[1], sink, &err);
        pd_sink_free(sink);
        pd_query_free(q);
    } else if (!strcmp(argv[0], ".format")) {
        if (argc != 2 || pd_format_parse(argv[1], &sh->format) != 0)
            rc = pd_fail(&err, PD_EUSAGE, "usage: .format table|csv|json|jsonl");
    } else if (!strcmp(argv[0], ".timer")) {
        if (argc == 2 && !strcmp(argv[1], "on"))
            sh->timer = 1;
        else if (argc == 2 && !strcmp(argv[1], "off"))
            sh->timer = 0;
        else
            rc = pd_fail(&err, PD_EUSAGE, "usage: .timer on|off");
    } else {
        rc = pd_fail(&err, PD_EUSAGE, "unknown command '%s' (try: .help)", argv[0]);
    }
    if (rc)
        print_error(&err, rc);
    return 0;
}

static char interrupted_line[] = "";

/*
 * The next line without its newline (caller frees), interrupted_line when
 * Ctrl-C dropped the line being typed, or NULL at end of input.
 */
static char *next_line(struct shell *sh, int continuing)
{
    const char *prompt = continuing ? "   ...> " : "pluto> ";
    if (sh->editing) {
        shell_interrupted = 0;
        char *l = pd_edit.readline(prompt);
        if (shell_interrupted) {
            shell_interrupted = 0;
            free(l);
            fputc('\n', cli_out);
            return interrupted_line;
        }
        return l;
    }
    char *line = NULL;
    size_t cap = 0;
    if (sh->ctx->tty_in) {
        fputs(prompt, cli_out);
        fflush(cli_out);
    }
    ssize_t n = getline(&line, &cap, cli_in);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    return line;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

int cmd_shell(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct shell sh = {.ctx = ctx, .format = ctx->format};
    struct pd_buf stmt = PD_BUF_INIT;
    struct sigaction sa = {.sa_handler = on_sigint};
    char *line;
    (void)a;
    (void)err;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sh.editing = ctx->tty_in && pd_edit_load(NULL) == 0;
    if (sh.editing) {
        sh.history_path = xasprintf("%s/%s", pd_config_home(ctx->cfg), HISTORY_FILE);
        pd_edit.stifle_history(HISTORY_MAX);
        pd_edit.read_history(sh.history_path);
    }
    if (ctx->tty_in) {
        fprintf(cli_out, "pluto-duck %s shell. Statements end with ';'. Type .help for help, Ctrl-D to "
               "leave.\n",
               PD_VERSION);
    }
    while ((line = next_line(&sh, stmt.len > 0)) != NULL) {
        if (line == interrupted_line) {
            pd_buf_reset(&stmt);
            continue;
        }
        if (stmt.len == 0 && line[strspn(line, " \t")] == '.') {
            if (sh.editing)
                pd_edit.add_history(line);
            int quit = dot_command(&sh, line + strspn(line, " \t"));
            free(line);
            if (quit)
                break;
            continue;
        }
        if (stmt.len || !blank(line)) {
            if (stmt.len)
                pd_buf_addc(&stmt, '\n');
            pd_buf_adds(&stmt, line);
        }
        free(line);
        if (stmt.len && pd_sql_is_complete(stmt.ptr)) {
            if (sh.editing)
                pd_edit.add_history(stmt.ptr);
            run_sql(&sh, stmt.ptr);
            shell_interrupted = 0;
            pd_buf_reset(&stmt);
        }
    }
    if (stmt.len && !blank(stmt.ptr))
        run_sql(&sh, stmt.ptr); /* input ended without ';': run what was typed */
    if (ctx->tty_in)
        fputc('\n', cli_out);
    if (sh.editing)
        pd_edit.write_history(sh.history_path);
    free(sh.history_path);
    pd_buf_release(&stmt);
    return 0;
}
