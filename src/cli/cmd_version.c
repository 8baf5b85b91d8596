/*
 * cmd_version.c - `pluto-duck version`.
 */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/build.h"
#include "base/json.h"
#include "warehouse/warehouse.h"

#include <string.h>

int cmd_version(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    (void)a;
    (void)err;
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, "{\"pluto_duck\":\"" PD_VERSION "\",\"build\":");
        pd_json_add_string(&b, pd_build_id(), strlen(pd_build_id()));
        pd_buf_adds(&b, ",\"duckdb\":");
        pd_json_add_string(&b, pd_duckdb_version(), strlen(pd_duckdb_version()));
        pd_buf_adds(&b, "}\n");
        fputs(b.ptr, cli_out);
        pd_buf_release(&b);
    } else {
        fprintf(cli_out, "pluto-duck %s (build %.12s, DuckDB %s)\n", PD_VERSION, pd_build_id(),
                pd_duckdb_version());
    }
    return 0;
}
