#include "cli/cli.h"
#include "base/err.h"
int cmd_ingest(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    (void)ctx; (void)a;
    return pd_fail(err, PD_EINTERNAL, "ingest: not built yet");
}
