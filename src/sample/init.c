/*
 * init.c - create the data home, the warehouse and the sample data (see init.h).
 */
#include "sample/init.h"

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "sample/shop.h"
#include "warehouse/home.h"
#include "warehouse/warehouse.h"

#include <string.h>

int pd_init_home(const struct pd_config *cfg, int with_sample, struct pd_init_report *report,
                 struct pd_err *err)
{
    const char *home = pd_config_home(cfg);
    struct pd_warehouse *wh = NULL;
    duckdb_connection conn;
    int rc;

    memset(report, 0, sizeof(*report));
    if ((rc = pd_home_init(home, &report->created_warehouse, err)) != 0)
        return rc;
    if ((rc = pd_home_open_log(cfg, err)) != 0)
        return rc;
    if ((rc = pd_home_open_warehouse(cfg, &wh, err)) != 0)
        return rc;
    report->schema_version = pd_warehouse_schema_version(wh);
    if (with_sample && (rc = pd_warehouse_acquire(wh, &conn, err)) == 0) {
        rc = pd_shop_load(conn, &report->loaded_sample, err);
        pd_warehouse_release(wh, conn, rc == 0);
    }
    pd_warehouse_close(wh);
    if (rc == 0)
        pd_log(PD_LOG_INFO, "home initialised", "{s:s, s:b, s:b}", "home", home, "new_warehouse",
               report->created_warehouse, "sample_loaded", report->loaded_sample);
    return rc;
}
