/*
 * fixture.c - a temporary warehouse for unit tests (see fixture.h).
 */
#include "fixture.h"

#include "base/err.h"
#include "base/path.h"
#include "sample/shop.h"
#include "warehouse/warehouse.h"

#include <stdio.h>
#include <stdlib.h>

int fx_warehouse_open(struct fx_warehouse *f, const char *name, int with_shop)
{
    struct pd_err err = PD_ERR_INIT;
    duckdb_connection conn;
    char *db;
    int loaded, rc;

    f->wh = NULL;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pd-%s-XXXXXX", name);
    if (!mkdtemp(f->dir)) {
        perror("fixture: mkdtemp");
        return -1;
    }
    db = pd_path_join(f->dir, "w.duckdb");
    struct pd_warehouse_opts o = {.path = db, .threads = 2};
    rc = pd_warehouse_open(&f->wh, &o, &err);
    free(db);
    if (rc == 0 && with_shop && (rc = pd_warehouse_acquire(f->wh, &conn, &err)) == 0) {
        rc = pd_shop_load(conn, &loaded, &err);
        pd_warehouse_release(f->wh, conn, rc == 0);
    }
    if (rc != 0) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        fx_warehouse_close(f);
        return -1;
    }
    return 0;
}

void fx_warehouse_close(struct fx_warehouse *f)
{
    pd_warehouse_close(f->wh);
    f->wh = NULL;
    pd_remove_tree(f->dir);
}
