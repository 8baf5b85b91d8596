/*
 * cmd_logs.c - `pluto-duck logs`: print (and follow) the log, human-readable or raw.
 */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "diag/logread.h"
#include "warehouse/home.h"

#include <stdlib.h>

struct out {
    const struct cli_ctx *ctx;
    long n;
};

static void print_record(void *arg, const char *line, json_t *rec)
{
    struct out *o = arg;
    if (o->ctx->format == PD_FORMAT_TABLE) {
        struct pd_buf b = PD_BUF_INIT;
        pd_log_format_human(rec, &b, o->ctx->tty_out);
        fprintf(cli_out, "%s\n", b.ptr);
        pd_buf_release(&b);
    } else if (o->ctx->format == PD_FORMAT_JSON) {
        fprintf(cli_out, "%s%s", o->n ? ",\n" : "[\n", line);
    } else {
        fprintf(cli_out, "%s\n", line);
    }
    o->n++;
}

int cmd_logs(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_logread_opts o = {.min_level = PD_LOG_DEBUG, .follow = cli_given(a, "follow"),
                                .run_id = cli_arg(a, "run-id"), .stop = ctx->interrupted};
    struct out out = {ctx, 0};
    const char *level = cli_arg(a, "level"), *since = cli_arg(a, "since");
    char *path;
    int rc;

    if (ctx->format == PD_FORMAT_CSV)
        return pd_fail(err, PD_EUSAGE, "logs: --format must be table, json or jsonl");
    if (level && pd_log_level_parse(level, &o.min_level) != 0)
        return pd_fail(err, PD_EUSAGE, "--level must be debug, info, warn or error, got '%s'",
                       level);
    if (since && pd_time_parse(since, pd_now_ms(), &o.since_ms) != 0)
        return pd_fail(err, PD_EUSAGE,
                       "--since must be a date (2026-11-21), a date-time (2026-11-21T10:00) or "
                       "a duration ago (1h), got '%s'",
                       since);
    if ((rc = cli_arg_long(a, "limit", 1, &o.last, err)) != 0)
        return rc;
    if (o.follow && ctx->format == PD_FORMAT_JSON)
        return pd_fail(err, PD_EUSAGE, "--follow prints a stream: use --format jsonl");
    path = pd_home_path(pd_config_home(ctx->cfg), PD_HOME_LOG);
    rc = pd_logread(path, &o, print_record, &out, err);
    if (rc == 0 && ctx->format == PD_FORMAT_JSON)
        fprintf(cli_out, out.n ? "\n]\n" : "[]\n");
    free(path);
    return rc;
}
