/*
 * dbt_run.c - seeds, models and tests of a dbt-style project, one node at a
 * time, each reported when it starts and ends (see dbt_run.h).
 */
#include "assets/dbt_run.h"

#include "assets/assets.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "duckpipe/dbt.h"

#include <string.h>

static void report(const struct pd_dbt_opts *o, struct pd_dbt_node *n)
{
    if (o->on_node)
        o->on_node(o->arg, n);
}

static void count(struct pd_dbt_tally *t, enum pd_dbt_outcome outcome)
{
    t->total++;
    if (outcome == PD_DBT_PASS)
        t->pass++;
    else if (outcome == PD_DBT_SKIP)
        t->skip++;
    else
        t->error++;
}

static int plan(struct pd_assets *s, const struct pd_dbt_opts *o, struct dp_plan **out,
                struct pd_err *err)
{
    struct dp_compile_opts co = {.select = o->select, .nselect = o->nselect, .force = 1,
                                 .full_refresh = o->full_refresh};
    return dp_compile(s->project, &s->env, &co, out, err);
}

static void seeds(struct pd_assets *s, const struct pd_dbt_opts *o, struct pd_dbt_tally *t)
{
    const struct dp_dbt *d = dp_dbt_of(s->project);
    for (size_t i = 0; i < d->nseeds; i++) {
        struct pd_dbt_node n = {.kind = PD_DBT_NODE_SEED, .name = d->seeds[i].name,
                                .index = i + 1, .total = d->nseeds};
        struct pd_err e = PD_ERR_INIT;
        double t0 = pd_mono_s();
        report(o, &n);
        n.outcome = dp_dbt_seed(s->project, &s->env, i, &n.count, &e) ? PD_DBT_ERROR : PD_DBT_PASS;
        n.seconds = pd_mono_s() - t0;
        n.error = n.outcome == PD_DBT_ERROR ? e.msg : NULL;
        count(t, n.outcome);
        report(o, &n);
    }
}

struct model_view {
    const struct pd_dbt_opts *o;
    struct pd_dbt_tally *t;
};

static void on_step(void *arg, const struct dp_step *st, size_t index, size_t total,
                    const struct dp_step_result *r)
{
    struct model_view *v = arg;
    struct pd_dbt_node n = {.kind = PD_DBT_NODE_MODEL, .name = st->a->id,
                            .materialized = dp_materialize_name(st->a->materialize),
                            .index = index, .total = total};
    if (r) {
        n.outcome = r->status == DP_S_OK        ? PD_DBT_PASS
                    : r->status == DP_S_SKIPPED ? PD_DBT_SKIP
                                                : PD_DBT_ERROR;
        n.count = r->rows;
        n.seconds = r->seconds;
        n.error = r->error;
        count(v->t, n.outcome);
    }
    report(v->o, &n);
}

static int models(struct pd_assets *s, const struct pd_dbt_opts *o, struct pd_dbt_tally *t,
                  struct pd_err *err)
{
    struct dp_plan *p = NULL;
    struct model_view view = {o, t};
    struct dp_run_opts ro = {.run_id = o->run_id, .continue_on_failure = 1, .on_step = on_step,
                             .arg = &view};
    struct dp_run_result res;
    int rc = plan(s, o, &p, err);
    if (rc)
        return rc;
    rc = dp_run(p, &s->env, &ro, &res, err);
    dp_run_result_clear(&res);
    dp_plan_free(p);
    if (rc && rc != PD_ECANCELED) {
        pd_err_clear(err); /* reported per model */
        rc = 0;
    }
    return rc;
}

int pd_dbt_selected(const struct dp_plan *p, const char *model)
{
    const struct dp_step *st = p ? dp_plan_find(p, model) : NULL;
    return !p || (st && st->selected);
}

static int tests(struct pd_assets *s, const struct pd_dbt_opts *o, struct pd_dbt_tally *t,
                 struct pd_err *err)
{
    const struct dp_dbt *d = dp_dbt_of(s->project);
    struct dp_plan *p = NULL;
    size_t total = 0, k = 0;
    if (o->nselect && plan(s, o, &p, err) != 0)
        return err->code;
    for (size_t i = 0; i < d->ntests; i++)
        total += pd_dbt_selected(p, d->tests[i].model);
    for (size_t i = 0; i < d->ntests; i++) {
        struct pd_dbt_node n = {.kind = PD_DBT_NODE_TEST, .name = d->tests[i].name,
                                .total = total};
        struct pd_err e = PD_ERR_INIT;
        double t0;
        if (!pd_dbt_selected(p, d->tests[i].model))
            continue;
        n.index = ++k;
        report(o, &n);
        t0 = pd_mono_s();
        if (dp_dbt_test(s->project, &s->env, i, &n.count, &e) != 0) {
            n.outcome = PD_DBT_ERROR;
            n.error = e.msg;
        } else {
            n.outcome = n.count ? PD_DBT_FAIL : PD_DBT_PASS;
        }
        n.seconds = pd_mono_s() - t0;
        count(t, n.outcome);
        report(o, &n);
        if (s->env.cancel && *s->env.cancel) {
            dp_plan_free(p);
            return pd_fail(err, PD_ECANCELED, "cancelled");
        }
    }
    dp_plan_free(p);
    return 0;
}

int pd_dbt_execute(struct pd_assets *s, const struct pd_dbt_opts *o, struct pd_dbt_tally *tally,
                   struct pd_err *err)
{
    int rc = 0;
    memset(tally, 0, sizeof(*tally));
    if (o->action == PD_DBT_SEED || o->action == PD_DBT_BUILD)
        seeds(s, o, tally);
    if (s->env.cancel && *s->env.cancel)
        return pd_fail(err, PD_ECANCELED, "cancelled");
    if (o->action == PD_DBT_RUN || o->action == PD_DBT_BUILD)
        rc = models(s, o, tally, err);
    if (!rc && (o->action == PD_DBT_TEST || o->action == PD_DBT_BUILD))
        rc = tests(s, o, tally, err);
    return rc;
}

static const char *const action_names[] = {"seed", "run", "test", "build"};

const char *pd_dbt_action_name(enum pd_dbt_action a)
{
    return action_names[a];
}

int pd_dbt_action_parse(const char *s, enum pd_dbt_action *out)
{
    for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
        if (strcmp(s, action_names[i]) == 0) {
            *out = (enum pd_dbt_action)i;
            return 0;
        }
    return -1;
}

const char *pd_dbt_kind_name(enum pd_dbt_kind k)
{
    return k == PD_DBT_NODE_SEED ? "seed" : k == PD_DBT_NODE_MODEL ? "model" : "test";
}

const char *pd_dbt_outcome_name(enum pd_dbt_outcome o)
{
    static const char *const names[] = {"started", "pass", "fail", "error", "skip"};
    return names[o];
}
