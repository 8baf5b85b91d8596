/*
 * cmd_cache.c - `pluto-duck cache list|refresh|drop|cleanup`.
 */
#include "cli/cli.h"

#include "base/err.h"
#include "sources/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_cache(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0];
    int rc, n;

    if (!strcmp(action, "list") || !strcmp(action, "cleanup")) {
        if (a->npos != 1)
            return pd_fail(err, PD_EUSAGE, "usage: pluto-duck cache %s", action);
        if (!strcmp(action, "cleanup")) {
            if ((rc = pd_cache_cleanup(ctx->sources, &n, err)) == 0)
                fprintf(cli_out, "dropped %d expired cached table%s\n", n, n == 1 ? "" : "s");
            return rc;
        }
        struct pd_sink *sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_cache_list(ctx->sources, sink, err);
        pd_sink_free(sink);
        return rc;
    }
    if (strcmp(action, "refresh") && strcmp(action, "drop"))
        return pd_fail(err, PD_EUSAGE, "unknown action '%s': list, refresh, drop or cleanup",
                       action);
    if (a->npos != 2)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck cache %s TABLE", action);
    /* Accept cache.x as well as x. */
    const char *local = strncmp(a->pos[1], "cache.", 6) ? a->pos[1] : a->pos[1] + 6;
    if (!strcmp(action, "drop")) {
        if ((rc = pd_cache_drop(ctx->sources, local, err)) == 0)
            fprintf(cli_out, "dropped cache.%s\n", local);
        return rc;
    }
    struct pd_cache_result res = {0};
    rc = pd_cache_refresh(ctx->sources, local, ctx->tty_err ? cli_progress : NULL,
                          ctx->interrupted, &res, err);
    if (ctx->tty_err)
        cli_progress_done();
    if (rc == 0)
        fprintf(cli_out, "refreshed cache.%s: %lld rows in %.2f s\n", local, (long long)res.rows,
               res.seconds);
    for (size_t i = 0; rc == 0 && i < res.warnings.n; i++)
        cli_notice(NULL, res.warnings.v[i]);
    pd_cache_result_clear(&res);
    return rc;
}
