/*
 * home.h - the data home's layout (DESIGN.md section 4) and opening the
 * warehouse with the effective settings.
 *
 *   config.yaml  data/warehouse.duckdb  projects/default/analyses/  skills/
 *   artifacts/queries/  reports/  logs/pluto-duck.log  runtime/  secrets/ (0700)
 */
#ifndef PD_HOME_H
#define PD_HOME_H

struct pd_config;
struct pd_err;
struct pd_warehouse;

#define PD_HOME_WAREHOUSE "data/warehouse.duckdb"
#define PD_HOME_LOG "logs/pluto-duck.log"
#define PD_HOME_QUERY_ARTIFACTS "artifacts/queries"
#define PD_HOME_SERVER_FILE "runtime/server.json"

/* home + "/" + rel, heap-allocated. */
char *pd_home_path(const char *home, const char *rel);

/*
 * Create the layout under home (what exists is kept) and a commented default
 * config.yaml when there is none. Sets *created to 1 when the warehouse file
 * did not exist before. Fails with PD_EIO naming the path that could not be made.
 */
int pd_home_init(const char *home, int *created, struct pd_err *err);

/*
 * Check that home was initialised and is writable: PD_ENOHOME ("run: pluto-duck
 * init") or PD_EIO otherwise.
 */
int pd_home_require(const char *home, struct pd_err *err);

/* Open logs/pluto-duck.log at the configured level. */
int pd_home_open_log(const struct pd_config *cfg, struct pd_err *err);

/* pd_home_require, then open the warehouse with the configured threads and memory limit. */
int pd_home_open_warehouse(const struct pd_config *cfg, struct pd_warehouse **wh,
                           struct pd_err *err);

#endif
