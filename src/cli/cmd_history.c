/*
 * cmd_history.c - `pluto-duck history`.
 */
#include "cli/cli.h"

#include "query/history.h"

int cmd_history(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    long limit;
    int rc = cli_arg_long(a, "limit", 1, &limit, err);
    struct pd_sink *sink;

    if (rc)
        return rc;
    sink = cli_sink(ctx, ctx->format, 0);
    rc = pd_history_list(ctx->wh, limit ? limit : 20, cli_given(a, "failed"), cli_arg(a, "search"),
                         sink, err);
    pd_sink_free(sink);
    return rc;
}
