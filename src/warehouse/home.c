/*
 * home.c - data-home layout and session start (see home.h).
 */
#include "warehouse/home.h"

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *dir;
    mode_t mode;
} layout[] = {
    {"data", 0755},      {"projects/default/analyses", 0755},
    {"skills", 0755},    {"artifacts/queries", 0755},
    {"reports", 0755},   {"logs", 0755},
    {"runtime", 0700},   {"secrets", 0700},
};

char *pd_home_path(const char *home, const char *rel)
{
    return pd_path_join(home, rel);
}

int pd_home_init(const char *home, int *created, struct pd_err *err)
{
    char *p;
    int rc;

    if ((rc = pd_mkdir_p(home, 0755, err)) != 0)
        return rc;
    if (access(home, W_OK) != 0)
        return pd_fail(err, PD_EIO, "data home '%s' is not writable: %s", home, strerror(errno));
    for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
        p = pd_home_path(home, layout[i].dir);
        rc = pd_mkdir_p(p, layout[i].mode, err);
        free(p);
        if (rc)
            return rc;
    }
    p = pd_home_path(home, "config.yaml");
    rc = pd_config_write_default(p, err);
    free(p);
    if (rc)
        return rc;
    p = pd_home_path(home, PD_HOME_WAREHOUSE);
    *created = !pd_path_exists(p);
    free(p);
    return 0;
}

int pd_home_require(const char *home, struct pd_err *err)
{
    char *data = pd_home_path(home, "data");
    int ok = pd_path_exists(data);
    free(data);
    if (!ok)
        return pd_fail(err, PD_ENOHOME, "no data home at '%s' yet (run: pluto-duck init)", home);
    if (access(home, W_OK) != 0)
        return pd_fail(err, PD_EIO, "data home '%s' is not writable: %s", home, strerror(errno));
    return 0;
}

int pd_home_open_log(const struct pd_config *cfg, struct pd_err *err)
{
    enum pd_log_level level = PD_LOG_INFO;
    char *path = pd_home_path(pd_config_home(cfg), PD_HOME_LOG);
    int rc;

    pd_log_level_parse(pd_config_get(cfg, "log.level"), &level);
    rc = pd_log_open(path, level, err);
    free(path);
    return rc;
}

int pd_home_open_warehouse(const struct pd_config *cfg, struct pd_warehouse **wh,
                           struct pd_err *err)
{
    const char *home = pd_config_home(cfg);
    struct pd_warehouse_opts opts = {
        .threads = pd_config_int(cfg, "warehouse.threads"),
        .memory_limit = pd_config_get(cfg, "warehouse.memory_limit"),
    };
    char *path;
    int rc;

    if ((rc = pd_home_require(home, err)) != 0)
        return rc;
    path = pd_home_path(home, PD_HOME_WAREHOUSE);
    opts.path = path;
    rc = pd_warehouse_open(wh, &opts, err);
    free(path);
    return rc;
}
