/*
 * cmd_doctor.c - `pluto-duck doctor`: run the checks, print ok/warn/fail for each.
 */
#include "cli/cli.h"

#include "base/err.h"
#include "cli/records.h"
#include "diag/doctor.h"

int cmd_doctor(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const cols[] = {"check", "status", "detail"};
    struct pd_check checks[PD_DOCTOR_MAX_CHECKS];
    struct cli_records r;
    size_t n, failed = 0;
    (void)a;

    n = pd_doctor_run(ctx->cfg, ctx->config_error[0] ? ctx->config_error : NULL, checks);
    cli_records_init(&r, 3, cols);
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {checks[i].name, pd_check_status_name(checks[i].status),
                             checks[i].detail};
        cli_records_add(&r, row);
        failed += checks[i].status == PD_CHECK_FAIL;
    }
    cli_records_print(ctx, &r);
    if (failed)
        return pd_fail(err, PD_EINVAL, "%zu check%s failed", failed, failed == 1 ? "" : "s");
    return 0;
}
