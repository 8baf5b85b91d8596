/*
 * cmd_init.c - `pluto-duck init`: create the data home and load the sample data.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "sample/init.h"
#include "sample/shop.h"

int cmd_init(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_init_report r;
    const char *home = pd_config_home(ctx->cfg);
    int rc = pd_init_home(ctx->cfg, !cli_given(a, "no-sample"), &r, err);

    if (rc)
        return rc;
    fprintf(cli_out, "%s data home at %s\n", r.created_warehouse ? "Created" : "Using existing", home);
    if (r.loaded_sample)
        fprintf(cli_out, "Loaded the sample shop: customers (%d), products (%d), orders (%d), order_items.\n",
               PD_SHOP_CUSTOMERS, PD_SHOP_PRODUCTS, PD_SHOP_ORDERS);
    else if (!cli_given(a, "no-sample"))
        fprintf(cli_out, "The sample shop is already loaded.\n");
    fprintf(cli_out, "Try: pluto-duck sql \"select status, count(*), sum(amount) from orders group by 1\"\n");
    return 0;
}
