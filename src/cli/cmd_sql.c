/*
 * cmd_sql.c - `pluto-duck sql`: read SQL from an argument, a file or stdin,
 * run it through the query service, render the results.
 */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/strv.h"
#include "base/timeutil.h"
#include "query/query.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX (1u << 30)

/* The SQL text: the argument, -f FILE, or standard input. */
static int load_sql(const struct cli_ctx *ctx, const struct cli_args *a, struct pd_buf *sql,
                    struct pd_err *err)
{
    const char *file = cli_arg(a, "file");
    pd_buf_init(sql, SQL_MAX);
    if (file && a->npos)
        return pd_fail(err, PD_EUSAGE, "give the SQL as an argument or with --file, not both");
    if (a->npos)
        return pd_buf_adds(sql, a->pos[0]) ? pd_fail(err, PD_ETOOBIG, "SQL too large") : 0;
    if (file && strcmp(file, "-") != 0) {
        FILE *f = fopen(file, "rb");
        int rc;
        if (f == NULL)
            return pd_fail(err, PD_EINVAL, "cannot open '%s': %s", file, strerror(errno));
        rc = cli_read_stream(f, file, sql, err);
        fclose(f);
        return rc;
    }
    if (ctx->tty_in && !file)
        return pd_fail(err, PD_EUSAGE,
                       "no SQL given: pass it as an argument, with --file FILE, or on standard "
                       "input (or run: pluto-duck shell)");
    return cli_read_stream(cli_in, "standard input", sql, err);
}

static void keep_remote_sql(void *arg, const char *text)
{
    pd_strv_push(arg, text);
}

/* --explain-remote: "SOURCE.TABLE: SQL" per statement sent, or a JSON array of them. */
static void print_remote_sql(const struct cli_ctx *ctx, const struct pd_strv *sent)
{
    json_t *all = json_array();
    for (size_t i = 0; i < sent->n; i++) {
        const char *sep = strstr(sent->v[i], ": ");
        if (ctx->format == PD_FORMAT_JSON && sep)
            json_array_append_new(all, json_pack("{s:s%, s:s}", "table", sent->v[i],
                                                 (size_t)(sep - sent->v[i]), "sql", sep + 2));
        else if (ctx->format != PD_FORMAT_JSON)
            fprintf(cli_out, "%s\n", sent->v[i]);
    }
    if (ctx->format == PD_FORMAT_JSON) {
        char *text = json_dumps(all, JSON_INDENT(2));
        fprintf(cli_out, "%s\n", text);
        free(text);
    } else if (sent->n == 0) {
        fprintf(cli_err, "no live source table was read: nothing was sent to a remote\n");
    }
    json_decref(all);
}

int cmd_sql(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_strv sent = PD_STRV_INIT;
    struct pd_query_opts o = {.origin = "cli", .history = ctx->history,
                              .interrupt = ctx->interrupted, .notice = cli_notice};
    struct pd_buf sql;
    struct pd_query *q;
    const char *timeout = cli_arg(a, "timeout"), *output = cli_arg(a, "output");
    long limit;
    int rc;

    if ((rc = cli_arg_long(a, "limit", 1, &limit, err)) != 0)
        return rc;
    if (timeout) {
        if (pd_duration_parse(timeout, &o.timeout_s) != 0)
            return pd_fail(err, PD_EUSAGE, "--timeout must be a duration such as 30s or 5m, got '%s'",
                           timeout);
    } else {
        o.timeout_s = pd_config_seconds(ctx->cfg, "query.timeout");
    }
    if (output && ctx->format_given)
        return pd_fail(err, PD_EUSAGE, "--output takes its format from the file name: drop --format");
    if (cli_given(a, "explain-remote")) {
        if (output)
            return pd_fail(err, PD_EUSAGE, "--explain-remote prints no rows: drop --output");
        o.remote_sql = keep_remote_sql;
        o.notice_arg = &sent;
    }
    if (limit)
        o.limit = (uint64_t)limit;
    else if (ctx->format == PD_FORMAT_TABLE)
        o.limit = (uint64_t)pd_config_int(ctx->cfg, "query.preview_rows");
    o.last_only = ctx->format != PD_FORMAT_TABLE;

    if ((rc = load_sql(ctx, a, &sql, err)) != 0) {
        pd_buf_release(&sql);
        return rc;
    }
    q = pd_query_new(ctx->wh, &o);
    if (output) {
        uint64_t rows = 0;
        rc = pd_query_export(q, sql.ptr, output, &rows, err);
        if (rc == 0)
            fprintf(cli_err, "wrote %llu row%s to %s\n", (unsigned long long)rows,
                    rows == 1 ? "" : "s", output);
    } else if (o.remote_sql) {
        rc = pd_query_run(q, sql.ptr, NULL, NULL, err);
        if (rc == 0)
            print_remote_sql(ctx, &sent);
    } else {
        struct pd_sink *sink = cli_sink(ctx, ctx->format, cli_given(a, "timer"));
        rc = pd_query_run(q, sql.ptr, sink, NULL, err);
        pd_sink_free(sink);
    }
    pd_query_free(q);
    pd_buf_release(&sql);
    pd_strv_clear(&sent);
    return rc;
}
