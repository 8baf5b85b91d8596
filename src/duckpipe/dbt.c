/*
 * dbt.c - dbt-style projects (see dbt.h).
 */
#include "duckpipe/dbt.h"

#include "base/err.h"

int dp_dbt_load(const char *dir, struct dp_project **out, struct pd_err *err)
{
    (void)out;
    return pd_fail(err, PD_EINVAL, "%s: not yet", dir);
}
