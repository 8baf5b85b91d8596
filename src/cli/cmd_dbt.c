/*
 * cmd_dbt.c - `pluto-duck dbt run|test|seed|build|compile|ls`: a dbt-style
 * project run natively, with output a dbt user recognises.
 */
#include "cli/cli.h"

#include "assets/assets.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "duckpipe/dbt.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct tally {
    int pass, warn, error, skip, total;
};

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

static void summary(const struct tally *t, double seconds, const char *what)
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

static int selected_model(const struct dp_plan *plan, const char *model)
{
    const struct dp_step *s = plan ? dp_plan_find(plan, model) : NULL;
    return !plan || (s && s->selected);
}

static int compile(struct pd_assets *s, const struct cli_args *a, int force,
                   struct dp_plan **plan, struct pd_err *err)
{
    int n;
    const char *const *sel = cli_arg_all(a, "select", &n);
    struct dp_compile_opts o = {.select = sel, .nselect = (size_t)n, .force = force,
                                .full_refresh = cli_given(a, "full-refresh")};
    return dp_compile(s->project, &s->env, &o, plan, err);
}

struct run_view {
    struct tally t;
};

static void on_step(void *arg, const struct dp_step *st, size_t index, size_t total,
                    const struct dp_step_result *r)
{
    struct run_view *v = arg;
    char what[200], status[64];
    const char *kind = dp_materialize_name(st->a->materialize);
    if (!r) {
        snprintf(what, sizeof(what), "START sql %s model main.%s", kind, st->a->id);
        line(index, total, what, "RUN");
        return;
    }
    if (r->status == DP_S_OK) {
        v->t.pass++;
        snprintf(what, sizeof(what), "OK created sql %s model main.%s", kind, st->a->id);
        snprintf(status, sizeof(status), "OK in %.2fs", r->seconds);
    } else if (r->status == DP_S_SKIPPED) {
        v->t.skip++;
        snprintf(what, sizeof(what), "SKIP relation main.%s", st->a->id);
        snprintf(status, sizeof(status), "SKIP");
    } else {
        v->t.error++;
        snprintf(what, sizeof(what), "ERROR creating sql %s model main.%s", kind, st->a->id);
        snprintf(status, sizeof(status), "ERROR in %.2fs", r->seconds);
    }
    line(index, total, what, status);
    if (r->error && r->status != DP_S_SKIPPED)
        fprintf(cli_out, "  %s\n", r->error);
}

static int do_run(struct pd_assets *s, const struct cli_args *a, struct tally *t, struct pd_err *err)
{
    struct dp_plan *plan = NULL;
    struct run_view view = {{0}};
    struct dp_run_opts o = {.continue_on_failure = 1, .on_step = on_step, .arg = &view};
    struct dp_run_result res;
    int rc = compile(s, a, 1, &plan, err);
    if (rc)
        return rc;
    rc = dp_run(plan, &s->env, &o, &res, err);
    view.t.total = res.ok + res.failed + res.skipped;
    t->pass += view.t.pass;
    t->error += view.t.error;
    t->skip += view.t.skip;
    t->total += view.t.total;
    dp_run_result_clear(&res);
    dp_plan_free(plan);
    if (rc && rc != PD_ECANCELED) {
        pd_err_clear(err); /* reported per model */
        rc = 0;
    }
    return rc;
}

static int do_seed(struct pd_assets *s, struct tally *t, struct pd_err *err)
{
    const struct dp_dbt *d = dp_dbt_of(s->project);
    for (size_t i = 0; i < d->nseeds; i++) {
        char what[200], status[64];
        int64_t rows = 0;
        struct pd_err e = PD_ERR_INIT;
        double t0 = pd_mono_s();
        snprintf(what, sizeof(what), "START seed file main.%s", d->seeds[i].name);
        line(i + 1, d->nseeds, what, "RUN");
        int rc = dp_dbt_seed(s->project, &s->env, i, &rows, &e);
        t->total++;
        if (rc) {
            t->error++;
            snprintf(what, sizeof(what), "ERROR loading seed file main.%s", d->seeds[i].name);
            snprintf(status, sizeof(status), "ERROR in %.2fs", pd_mono_s() - t0);
            line(i + 1, d->nseeds, what, status);
            fprintf(cli_out, "  %s\n", e.msg);
        } else {
            t->pass++;
            snprintf(what, sizeof(what), "OK loaded seed file main.%s", d->seeds[i].name);
            snprintf(status, sizeof(status), "INSERT %lld in %.2fs", (long long)rows,
                     pd_mono_s() - t0);
            line(i + 1, d->nseeds, what, status);
        }
    }
    (void)err;
    return 0;
}

static int do_test(struct pd_assets *s, const struct cli_args *a, struct tally *t,
                   struct pd_err *err)
{
    const struct dp_dbt *d = dp_dbt_of(s->project);
    struct dp_plan *plan = NULL;
    size_t n = 0, k = 0;
    int nsel;
    cli_arg_all(a, "select", &nsel);
    if (nsel && compile(s, a, 1, &plan, err) != 0)
        return err->code;
    for (size_t i = 0; i < d->ntests; i++)
        n += selected_model(plan, d->tests[i].model);
    for (size_t i = 0; i < d->ntests; i++) {
        const struct dp_dbt_test *test = &d->tests[i];
        char what[300], status[64];
        int64_t failures = 0;
        struct pd_err e = PD_ERR_INIT;
        double t0 = pd_mono_s();
        if (!selected_model(plan, test->model))
            continue;
        k++;
        snprintf(what, sizeof(what), "START test %s", test->name);
        line(k, n, what, "RUN");
        int rc = dp_dbt_test(s->project, &s->env, i, &failures, &e);
        t->total++;
        if (rc) {
            t->error++;
            snprintf(what, sizeof(what), "ERROR %s", test->name);
            snprintf(status, sizeof(status), "ERROR in %.2fs", pd_mono_s() - t0);
            line(k, n, what, status);
            fprintf(cli_out, "  %s\n", e.msg);
        } else if (failures) {
            t->error++;
            snprintf(what, sizeof(what), "FAIL %lld %s", (long long)failures, test->name);
            snprintf(status, sizeof(status), "FAIL %lld in %.2fs", (long long)failures,
                     pd_mono_s() - t0);
            line(k, n, what, status);
        } else {
            t->pass++;
            snprintf(what, sizeof(what), "PASS %s", test->name);
            snprintf(status, sizeof(status), "PASS in %.2fs", pd_mono_s() - t0);
            line(k, n, what, status);
        }
    }
    dp_plan_free(plan);
    return 0;
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
        if (selected_model(plan, d->tests[i].model))
            fprintf(cli_out, "test.%s.%s\n", d->name, d->tests[i].name);
    dp_plan_free(plan);
    return 0;
}

int cmd_dbt(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0];
    const char *dir = cli_arg(a, "project-dir");
    struct pd_assets s;
    struct tally t = {0};
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
        header(s.project);
        if (!strcmp(action, "seed") || !strcmp(action, "build"))
            rc = do_seed(&s, &t, err);
        if (!rc && (!strcmp(action, "run") || !strcmp(action, "build")))
            rc = do_run(&s, a, &t, err);
        if (!rc && (!strcmp(action, "test") || !strcmp(action, "build")))
            rc = do_test(&s, a, &t, err);
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
