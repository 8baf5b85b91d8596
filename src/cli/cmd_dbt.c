/*
 * cmd_dbt.c - `pluto-duck dbt run|test|seed|build|compile|ls`: a dbt-style
 * project run natively, with output a dbt user recognises.
 */
#include "cli/cli.h"

#include "assets/assets.h"
#include "assets/dbt_run.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "duckpipe/dbt.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "1 of 5 OK created sql view model main.x ....... [OK in 0.02s]" */
static void line(size_t i, size_t n, const char *what, const char *status)
{
    char head[256];
    int len = snprintf(head, sizeof(head), "%zu of %zu %s ", i, n, what);
    fputs(head, cli_out);
    for (int k = len; k < 72; k++)
        fputc('.', cli_out);
    fprintf(cli_out, " [%s]\n", status);
    fflush(cli_out);
}

static void summary(const struct pd_dbt_tally *t, double seconds, const char *what)
{
    fprintf(cli_out, "\nFinished running %d %s in %.2f seconds.\n\n", t->total, what, seconds);
    fprintf(cli_out, "%s\n\n", t->error ? "Completed with errors" : "Completed successfully");
    fprintf(cli_out, "Done. PASS=%d WARN=%d ERROR=%d SKIP=%d TOTAL=%d\n", t->pass, t->warn, t->error, t->skip,
           t->total);
}

static void header(const struct dp_project *p)
{
    const struct dp_dbt *d = dp_dbt_of(p);
    fprintf(cli_out, "Running with pluto-duck %s (dbt-style project %s)\n", PD_VERSION, d->name);
    fprintf(cli_out, "Found %zu models, %zu seeds, %zu data tests, %zu sources\n\n", p->n, d->nseeds,
           d->ntests, d->nsources);
}

/* One dbt-like line per node as it starts and ends. */
static void on_node(void *arg, const struct pd_dbt_node *n)
{
    char what[300], status[64];
    (void)arg;
    switch (n->kind) {
    case PD_DBT_NODE_SEED:
        if (n->outcome == PD_DBT_STARTED)
            snprintf(what, sizeof(what), "START seed file main.%s", n->name);
        else if (n->outcome == PD_DBT_PASS)
            snprintf(what, sizeof(what), "OK loaded seed file main.%s", n->name);
        else
            snprintf(what, sizeof(what), "ERROR loading seed file main.%s", n->name);
        break;
    case PD_DBT_NODE_MODEL:
        if (n->outcome == PD_DBT_STARTED)
            snprintf(what, sizeof(what), "START sql %s model main.%s", n->materialized, n->name);
        else if (n->outcome == PD_DBT_PASS)
            snprintf(what, sizeof(what), "OK created sql %s model main.%s", n->materialized,
                     n->name);
        else if (n->outcome == PD_DBT_SKIP)
            snprintf(what, sizeof(what), "SKIP relation main.%s", n->name);
        else
            snprintf(what, sizeof(what), "ERROR creating sql %s model main.%s", n->materialized,
                     n->name);
        break;
    case PD_DBT_NODE_TEST:
        if (n->outcome == PD_DBT_STARTED)
            snprintf(what, sizeof(what), "START test %s", n->name);
        else if (n->outcome == PD_DBT_FAIL)
            snprintf(what, sizeof(what), "FAIL %lld %s", (long long)n->count, n->name);
        else
            snprintf(what, sizeof(what), "%s %s", n->outcome == PD_DBT_PASS ? "PASS" : "ERROR",
                     n->name);
        break;
    }
    if (n->outcome == PD_DBT_STARTED)
        snprintf(status, sizeof(status), "RUN");
    else if (n->outcome == PD_DBT_SKIP)
        snprintf(status, sizeof(status), "SKIP");
    else if (n->outcome == PD_DBT_FAIL)
        snprintf(status, sizeof(status), "FAIL %lld in %.2fs", (long long)n->count, n->seconds);
    else if (n->outcome == PD_DBT_PASS && n->kind == PD_DBT_NODE_SEED)
        snprintf(status, sizeof(status), "INSERT %lld in %.2fs", (long long)n->count, n->seconds);
    else
        snprintf(status, sizeof(status), "%s in %.2fs",
                 n->outcome == PD_DBT_PASS ? (n->kind == PD_DBT_NODE_TEST ? "PASS" : "OK")
                                           : "ERROR",
                 n->seconds);
    line(n->index, n->total, what, status);
    if (n->outcome == PD_DBT_ERROR && n->error)
        fprintf(cli_out, "  %s\n", n->error);
}

static int compile(struct pd_assets *s, const struct cli_args *a, int force,
                   struct dp_plan **plan, struct pd_err *err)
{
    int n;
    const char *const *sel = cli_arg_all(a, "select", &n);
    struct dp_compile_opts o = {.select = sel, .nselect = (size_t)n, .force = force};
    return dp_compile(s->project, &s->env, &o, plan, err);
}

static int do_compile(struct pd_assets *s, const struct cli_args *a, struct pd_err *err)
{
    struct dp_plan *plan = NULL;
    int rc = compile(s, a, 1, &plan, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < plan->n; i++) {
        const struct dp_step *st = &plan->steps[i];
        if (!st->selected)
            continue;
        fprintf(cli_out, "-- %s (%s)\n%s\n\n", st->a->id, dp_materialize_name(st->a->materialize), st->sql);
        if (st->sql_incremental)
            fprintf(cli_out, "-- %s (incremental run: is_incremental() is true)\n%s\n\n", st->a->id,
                   st->sql_incremental);
    }
    dp_plan_free(plan);
    return 0;
}

static int do_ls(struct pd_assets *s, const struct cli_args *a, struct pd_err *err)
{
    const struct dp_dbt *d = dp_dbt_of(s->project);
    struct dp_plan *plan = NULL;
    int rc = compile(s, a, 0, &plan, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->steps[i].selected)
            fprintf(cli_out, "model.%s.%s\n", d->name, plan->steps[i].a->id);
    for (size_t i = 0; i < d->nseeds; i++)
        fprintf(cli_out, "seed.%s.%s\n", d->name, d->seeds[i].name);
    for (size_t i = 0; i < d->ntests; i++)
        if (pd_dbt_selected(plan, d->tests[i].model))
            fprintf(cli_out, "test.%s.%s\n", d->name, d->tests[i].name);
    dp_plan_free(plan);
    return 0;
}

int cmd_dbt(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0];
    const char *dir = cli_arg(a, "project-dir");
    struct pd_assets s;
    struct pd_dbt_tally t = {0};
    double t0 = pd_mono_s();
    int rc;
    char cwd[4096];

    if (!dir)
        dir = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
    if (strcmp(action, "run") && strcmp(action, "test") && strcmp(action, "seed") &&
        strcmp(action, "build") && strcmp(action, "compile") && strcmp(action, "ls") &&
        strcmp(action, "list"))
        return pd_fail(err, PD_EUSAGE,
                       "dbt: unknown action '%s' (run, test, seed, build, compile, ls)", action);
    if ((rc = pd_assets_open_dbt(ctx->wh, dir, ctx->interrupted, &s, err)) != 0)
        return rc;
    if (!strcmp(action, "compile")) {
        rc = do_compile(&s, a, err);
    } else if (!strcmp(action, "ls") || !strcmp(action, "list")) {
        rc = do_ls(&s, a, err);
    } else {
        int n;
        struct pd_dbt_opts o = {.select = cli_arg_all(a, "select", &n),
                                .full_refresh = cli_given(a, "full-refresh"), .on_node = on_node};
        o.nselect = (size_t)n;
        pd_dbt_action_parse(action, &o.action);
        header(s.project);
        rc = pd_dbt_execute(&s, &o, &t, err);
        if (!rc) {
            summary(&t, pd_mono_s() - t0,
                    !strcmp(action, "seed") ? "seeds" : !strcmp(action, "test") ? "data tests" : "nodes");
            if (t.error)
                rc = pd_fail(err, PD_EINVAL, "%d of %d failed", t.error, t.total);
        }
    }
    pd_assets_close(&s);
    return rc;
}
