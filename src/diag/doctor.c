/*
 * doctor.c - the checks behind `pluto-duck doctor` (see doctor.h). Each check
 * is one function in the table at the bottom; adding a check is one line there.
 */
#include "diag/doctor.h"

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/path.h"
#include "base/strv.h"
#include "sources/secrets.h"
#include "sources/secrets_store.h"
#include "warehouse/home.h"
#include "warehouse/warehouse.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define EXPECTED_DUCKDB "v1.4.4"

struct env {
    const struct pd_config *cfg;
    const char *config_error;
    int home_ok;
};

__attribute__((format(printf, 3, 4))) static void set(struct pd_check *c,
                                                      enum pd_check_status s, const char *fmt,
                                                      ...)
{
    va_list ap;
    c->status = s;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

static void check_duckdb(struct env *e, struct pd_check *c)
{
    const char *v = pd_duckdb_version();
    (void)e;
    if (strcmp(v, EXPECTED_DUCKDB) == 0)
        set(c, PD_CHECK_OK, "DuckDB %s", v);
    else
        set(c, PD_CHECK_WARN, "DuckDB %s, built for %s (run: scripts/setup.sh)", v,
            EXPECTED_DUCKDB);
}

static void check_config(struct env *e, struct pd_check *c)
{
    size_t n = pd_config_warning_count(e->cfg);
    if (e->config_error)
        set(c, PD_CHECK_FAIL, "%s", e->config_error);
    else if (n)
        set(c, PD_CHECK_WARN, "%s%s", pd_config_warning(e->cfg, 0),
            n > 1 ? " (and more: pluto-duck config list)" : "");
    else
        set(c, PD_CHECK_OK, "%s", pd_path_exists(pd_config_file(e->cfg))
                                      ? pd_config_file(e->cfg)
                                      : "defaults (no config.yaml)");
}

static void check_home(struct env *e, struct pd_check *c)
{
    const char *home = pd_config_home(e->cfg);
    struct pd_err err = PD_ERR_INIT;
    if (pd_home_require(home, &err) != 0) {
        set(c, PD_CHECK_FAIL, "%s", err.msg);
        return;
    }
    e->home_ok = 1;
    set(c, PD_CHECK_OK, "%s is writable", home);
}

static void check_disk(struct env *e, struct pd_check *c)
{
    const char *home = pd_config_home(e->cfg);
    char *dir = pd_path_exists(home) ? xstrdup(home) : pd_path_dirname(home);
    struct statvfs st;
    double free_mb;

    if (statvfs(dir, &st) != 0) {
        set(c, PD_CHECK_WARN, "cannot tell free space of '%s': %s", dir, strerror(errno));
        free(dir);
        return;
    }
    free_mb = (double)st.f_bavail * (double)st.f_frsize / (1024.0 * 1024.0);
    if (free_mb < 100)
        set(c, PD_CHECK_FAIL, "only %.0f MiB free under %s", free_mb, dir);
    else if (free_mb < 1024)
        set(c, PD_CHECK_WARN, "%.0f MiB free under %s", free_mb, dir);
    else
        set(c, PD_CHECK_OK, "%.1f GiB free under %s", free_mb / 1024.0, dir);
    free(dir);
}

static void check_warehouse(struct env *e, struct pd_check *c)
{
    struct pd_warehouse *wh;
    struct pd_err err = PD_ERR_INIT;
    if (!e->home_ok) {
        set(c, PD_CHECK_FAIL, "no data home (run: pluto-duck init)");
        return;
    }
    if (pd_home_open_warehouse(e->cfg, &wh, &err) != 0) {
        set(c, err.code == PD_ELOCKED ? PD_CHECK_WARN : PD_CHECK_FAIL, "%s", err.msg);
        return;
    }
    set(c, PD_CHECK_OK, "%s (schema version %d)", pd_warehouse_path(wh),
        pd_warehouse_schema_version(wh));
    pd_warehouse_close(wh);
}

static void check_connectors(struct env *e, struct pd_check *c)
{
    static const struct {
        const char *lib, *what;
    } libs[] = {{"libpq.so.5", "PostgreSQL"},
                {"libmariadb.so.3", "MySQL/MariaDB"},
                {"libsqlite3.so.0", "SQLite"}};
    char missing[256] = "";
    (void)e;
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        void *h = dlopen(libs[i].lib, RTLD_LAZY | RTLD_LOCAL);
        if (h)
            dlclose(h);
        else
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (%s)",
                     *missing ? ", " : "", libs[i].lib, libs[i].what);
    }
    if (*missing)
        set(c, PD_CHECK_WARN, "missing %s: those sources cannot be attached (run: scripts/setup.sh)",
            missing);
    else
        set(c, PD_CHECK_OK, "libpq, libmariadb and libsqlite3 found");
}

static void check_logs(struct env *e, struct pd_check *c)
{
    char *dir = pd_home_path(pd_config_home(e->cfg), "logs");
    if (!pd_path_exists(dir))
        set(c, e->home_ok ? PD_CHECK_FAIL : PD_CHECK_WARN, "'%s' does not exist%s", dir,
            e->home_ok ? "" : " (run: pluto-duck init)");
    else if (access(dir, W_OK) != 0)
        set(c, PD_CHECK_FAIL, "'%s' is not writable: %s", dir, strerror(errno));
    else
        set(c, PD_CHECK_OK, "%s is writable", dir);
    free(dir);
}

/* Which store keeps passwords and tokens: the keychain, or the 0600 files. */
static void check_secrets(struct env *e, struct pd_check *c)
{
    const char *store = pd_secret_store_name();
    struct pd_strv files = PD_STRV_INIT;
    (void)e;
    pd_secret_file_keys(pd_config_home(e->cfg), &files);
    if (strncmp(store, "keychain", 8) == 0 && files.n)
        set(c, PD_CHECK_WARN, "%s; %zu secret%s still in files (run: pluto-duck secrets migrate)",
            store, files.n, files.n == 1 ? "" : "s");
    else
        set(c, PD_CHECK_OK, "%s", store);
    pd_strv_clear(&files);
}

static const struct {
    const char *name;
    void (*run)(struct env *e, struct pd_check *c);
} checks_table[] = {
    {"duckdb", check_duckdb},       {"config", check_config},
    {"home", check_home},           {"disk", check_disk},
    {"warehouse", check_warehouse}, {"connectors", check_connectors},
    {"logs", check_logs},           {"secrets", check_secrets},
};

size_t pd_doctor_run(const struct pd_config *cfg, const char *config_error,
                     struct pd_check *checks)
{
    struct env e = {cfg, config_error, 0};
    size_t n = sizeof(checks_table) / sizeof(checks_table[0]);
    for (size_t i = 0; i < n; i++) {
        checks[i].name = checks_table[i].name;
        checks_table[i].run(&e, &checks[i]);
    }
    return n;
}

const char *pd_check_status_name(enum pd_check_status s)
{
    return s == PD_CHECK_OK ? "ok" : s == PD_CHECK_WARN ? "warn" : "fail";
}
