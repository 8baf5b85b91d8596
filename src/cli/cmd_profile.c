/*
 * cmd_profile.c - `pluto-duck profile TABLE`.
 */
#include "cli/cli.h"

#include "query/profile.h"
#include "query/query.h"

int cmd_profile(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "profile", .interrupt = ctx->interrupted};
    struct pd_query *q = pd_query_new(ctx->wh, &o);
    struct pd_sink *sink = cli_sink(ctx, ctx->format, 0);
    int rc = pd_profile_table(q, a->pos[0], sink, err);
    pd_sink_free(sink);
    pd_query_free(q);
    return rc;
}
