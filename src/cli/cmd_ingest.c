/*
 * cmd_ingest.c - `pluto-duck ingest RECIPE.yaml...`: run recipes, one line each.
 */
#include "cli/cli.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "sources/ingest.h"

#include <stdio.h>
#include <string.h>

static void print_result(const struct cli_ctx *ctx, const struct pd_ingest_result *r, int dry_run)
{
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, "{\"run_id\":");
        pd_json_add_string(&b, r->run_id, strlen(r->run_id));
        pd_buf_adds(&b, ",\"recipe\":");
        pd_json_add_string(&b, r->recipe, strlen(r->recipe));
        pd_buf_adds(&b, ",\"target\":");
        pd_json_add_string(&b, r->target, strlen(r->target));
        pd_buf_adds(&b, ",\"mode\":");
        pd_json_add_string(&b, r->mode, strlen(r->mode));
        pd_buf_addf(&b, ",\"status\":\"%s\",\"rows\":%lld,\"seconds\":%.3f,\"watermark\":",
                    r->error ? "failed" : dry_run ? "planned" : "ok", (long long)r->rows,
                    r->seconds);
        pd_json_add_nullable(&b, r->watermark);
        pd_buf_adds(&b, ",\"error\":");
        pd_json_add_nullable(&b, r->error);
        if (dry_run) {
            pd_buf_adds(&b, ",\"remote_sql\":");
            pd_json_add_nullable(&b, r->remote_sql);
        }
        pd_buf_adds(&b, ",\"warnings\":[");
        for (size_t i = 0; i < r->warnings.n; i++) {
            pd_buf_adds(&b, i ? "," : "");
            pd_json_add_string(&b, r->warnings.v[i], strlen(r->warnings.v[i]));
        }
        pd_buf_addc(&b, ']');
        pd_buf_adds(&b, "}\n");
        fputs(b.ptr, cli_out);
        pd_buf_release(&b);
        return;
    }
    if (r->error)
        fprintf(cli_out, "%s: failed, %s unchanged\n", r->recipe, r->target);
    else if (dry_run)
        fprintf(cli_out, "%s: would load %s (%s)%s%s\n  reading: %s\n", r->recipe, r->target,
                r->mode, r->watermark ? " from watermark " : "",
                r->watermark ? r->watermark : "", r->remote_sql ? r->remote_sql : "?");
    else
        fprintf(cli_out, "%s: %lld rows into %s (%s) in %.2f s, %.0f rows/s%s%s\n", r->recipe,
               (long long)r->rows, r->target, r->mode, r->seconds,
               r->seconds > 0 ? (double)r->rows / r->seconds : 0.0,
               r->watermark ? ", watermark " : "", r->watermark ? r->watermark : "");
}

int cmd_ingest(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_ingest_opts o = {.dry_run = cli_given(a, "dry-run"),
                               .progress = ctx->tty_err ? cli_progress : NULL,
                               .interrupted = ctx->interrupted};
    int rc = 0;

    for (int i = 0; i < a->npos; i++) {
        struct pd_ingest_result *res;
        struct pd_err e = PD_ERR_INIT;
        size_t n;
        int r = pd_ingest_file(ctx->sources, a->pos[i], &o, &res, &n, &e);
        if (ctx->tty_err)
            cli_progress_done();
        for (size_t k = 0; k < n; k++) {
            print_result(ctx, &res[k], o.dry_run);
            for (size_t w = 0; w < res[k].warnings.n; w++)
                cli_notice(NULL, res[k].warnings.v[w]);
            if (res[k].null_marks > 0)
                fprintf(cli_err,
                        "warning: %s: %lld row%s with NULL in the incremental column: %s "
                        "(mode merge reads them again each run)\n",
                        res[k].recipe, (long long)res[k].null_marks,
                        res[k].null_marks == 1 ? "" : "s",
                        strcmp(res[k].mode, "merge")
                            ? "an append loads them on this first run only"
                            : "they were loaded");
        }
        pd_ingest_results_free(res, n);
        if (r != 0) {
            if (rc == 0)
                rc = pd_fail(err, r, "%s", e.msg);
            else
                fprintf(cli_err, "error: %s\n", e.msg);
            if (r == PD_ECANCELED)
                break;
        }
    }
    return rc;
}
