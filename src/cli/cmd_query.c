/*
 * cmd_query.c - `pluto-duck query "QUESTION"`: a question in plain language,
 * answered by the agent; its steps go to stderr, the answer, the SQL and the
 * result to stdout. --conversation ID asks it as a follow-up; --save NAME
 * keeps the answer's SQL as an analysis.
 */
#include "cli/asking.h"
#include "cli/cli.h"

#include "base/err.h"

int cmd_query(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct cli_asker k;
    struct ag_answer ans;
    int rc = cli_asker_open(&k, ctx, a, err);
    if (rc == 0)
        rc = cli_ask(&k, cli_arg(a, "conversation"), a->pos[0], &ans, err);
    cli_asker_close(&k);
    if (rc)
        return rc;
    if (ans.unanswered && !(ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL))
        rc = pd_fail(err, PD_EINVAL, "%s", ans.text); /* the provider says why */
    else
        cli_answer_print(ctx, &ans);
    if (ans.unanswered && rc == 0)
        rc = pd_fail(err, PD_EINVAL, "%s", ans.text);
    if (rc == 0 && cli_arg(a, "save"))
        rc = cli_answer_save(ctx, a, &ans, cli_arg(a, "save"), err);
    else if (rc == 0 && ans.sql && ctx->tty_err)
        fprintf(cli_err, "(keep it as an analysis: add --save NAME)\n");
    ag_answer_clear(&ans);
    return rc;
}
