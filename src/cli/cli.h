/*
 * cli.h - what the command dispatcher (main.c) hands each command.
 *
 * Every command is one row of the table in main.c: its options, how many
 * arguments it takes, and flags the dispatcher enforces before the command
 * runs (needs an initialised home, needs the warehouse open, prints data and so
 * takes --format, can be interrupted by Ctrl-C). Commands parse nothing
 * themselves; they read their options from struct cli_args, call services and
 * render. Only main() exits.
 */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "warehouse/encode.h"

struct pd_config;
struct pd_err;
struct pd_history;
struct pd_sources;
struct pd_warehouse;

enum cli_flags {
    CMD_NEEDS_HOME = 1 << 0,      /* fail with "run: pluto-duck init" when there is no home */
    CMD_NEEDS_WAREHOUSE = 1 << 1, /* open the warehouse (implies NEEDS_HOME) */
    CMD_FORMAT = 1 << 2,          /* accepts --format table|csv|json|jsonl */
    CMD_INTERRUPTIBLE = 1 << 3,   /* Ctrl-C cancels the running work instead of killing */
    CMD_ANY_CONFIG = 1 << 4,      /* runs even when the config is invalid (config_error says why) */
};

/* One option of a command: long name, optional short letter, argument name (NULL: a switch). */
struct cli_opt {
    const char *name;
    int letter;
    const char *arg;
    const char *help;
};

#define CLI_MAX_OPTS 32
#define CLI_MAX_REPEAT 32

/* Parsed command line of one command. */
struct cli_args {
    const char *value[CLI_MAX_OPTS]; /* by index into the command's opts (the last given) */
    const char *all[CLI_MAX_OPTS][CLI_MAX_REPEAT]; /* every value of a repeated option */
    int nall[CLI_MAX_OPTS];
    int given[CLI_MAX_OPTS];
    const struct cli_opt *opts;
    char **pos; /* positional arguments */
    int npos;
};

struct cli_ctx {
    struct pd_config *cfg;
    struct pd_warehouse *wh;     /* open when the command has CMD_NEEDS_WAREHOUSE */
    struct pd_history *history;  /* likewise */
    struct pd_sources *sources;  /* likewise: attached sources, scan functions registered */
    enum pd_format format;       /* --format (table when not given) */
    int format_given;
    char format_name[16];        /* --format as typed (also one of the command's more_formats) */
    int tty_out, tty_err, tty_in;
    int width;                   /* terminal columns; 0 when stdout is not a terminal */
    volatile sig_atomic_t *interrupted; /* set by SIGINT when CMD_INTERRUPTIBLE */
    char config_error[1024];     /* CMD_ANY_CONFIG: why the config did not load, or "" */
};

struct cli_command {
    const char *name;
    int (*run)(struct cli_ctx *ctx, const struct cli_args *args, struct pd_err *err);
    unsigned flags;
    int min_args, max_args; /* positional arguments allowed (max -1: any) */
    const char *synopsis;   /* "[SQL]" */
    const char *summary;    /* one line for the command list */
    const char *details;    /* paragraph(s) for --help; may be NULL */
    const struct cli_opt *opts;
    const char *more_formats; /* CMD_FORMAT: names --format takes besides table, csv, json,
                                 jsonl ("dot mermaid"); the command reads ctx->format_name */
};

/*
 * Where commands write and read: stdout/stderr/stdin normally; buffers when the
 * server runs a command line for a client (cli/remote.c). Per thread.
 */
extern _Thread_local FILE *cli_out, *cli_err, *cli_in;

/* A statement's notice (pd_query_opts.notice): "warning: TEXT" on cli_err. */
void cli_notice(void *arg, const char *text);

/* Read all of f into out (what names it in errors). */
struct pd_buf;
int cli_read_stream(FILE *f, const char *what, struct pd_buf *out, struct pd_err *err);

/* The value of option name, or NULL when not given. */
const char *cli_arg(const struct cli_args *a, const char *name);

/* Every value of a repeatable option, in order (*n of them). */
const char *const *cli_arg_all(const struct cli_args *a, const char *name, int *n);

/* 1 when the switch (or option) name was given. */
int cli_given(const struct cli_args *a, const char *name);

/* Parse option name as a whole number >= min into *out (0 when absent). Usage error otherwise. */
int cli_arg_long(const struct cli_args *a, const char *name, long min, long *out,
                 struct pd_err *err);

/* A sink writing fmt to stdout, tables sized for the terminal (with timings when timer). */
struct pd_sink *cli_sink(const struct cli_ctx *ctx, enum pd_format fmt, int timer);

/* Print "warning: ..." to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress line on stderr (a pd_progress_fn), and clearing it. */
void cli_progress(const char *label, int64_t rows, int64_t total, double elapsed_s);
void cli_progress_done(void);

/* Commands (cmd_*.c). */
int cmd_init(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_version(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_config(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_doctor(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_cloud(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_secrets(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_sql(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_history(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_profile(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_logs(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_shell(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_source(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_cache(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_ingest(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_analysis(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_dbt(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_run(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_agent(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_project(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_board(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_query(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_chat(struct cli_ctx *, const struct cli_args *, struct pd_err *);
int cmd_skills(struct cli_ctx *, const struct cli_args *, struct pd_err *);

#endif
