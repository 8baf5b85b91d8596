/*
 * cmd_analysis.c - `pluto-duck analysis new|list|show|compile|run|preview|
 * lineage|freshness|history|delete`: saved analyses through duckpipe.
 */
#include "cli/cli.h"
#include "base/path.h"
#include "cli/records.h"

#include "assets/assets.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/json.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(const char *sub, const char *what, struct pd_err *err)
{
    return pd_fail(err, PD_EUSAGE, "analysis %s: %s (see: pluto-duck analysis --help)", sub, what);
}

static int parse_params(const struct cli_args *a, struct dp_args *args, struct pd_err *err)
{
    int n;
    const char *const *all = cli_arg_all(a, "params", &n);
    for (int i = 0; i < n; i++) {
        int rc = dp_args_parse(args, all[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static void fmt_ms(int64_t ms, char *out, size_t size)
{
    if (ms <= 0)
        snprintf(out, size, "%s", "");
    else
        pd_time_iso(ms, out, size);
}

/* Compile the session's project with the command's selectors and parameters. */
static int plan_for(struct pd_assets *s, const struct cli_args *a, int first_pos, int force,
                    struct dp_args *args, struct dp_plan **plan, struct pd_err *err)
{
    struct dp_compile_opts o = {
        .select = (const char *const *)a->pos + first_pos,
        .nselect = a->npos > first_pos ? (size_t)(a->npos - first_pos) : 0,
        .args = args,
        .force = force,
        .full_refresh = cli_given(a, "full-refresh"),
    };
    return dp_compile(s->project, &s->env, &o, plan, err);
}

/* ---------- new ---------- */

static int read_sql(const struct cli_args *a, char **out, struct pd_err *err)
{
    const char *sql = cli_arg(a, "sql"), *file = cli_arg(a, "file");
    if (sql && file)
        return pd_fail(err, PD_EUSAGE, "analysis new: give --sql or --file, not both");
    if (sql) {
        *out = xstrdup(sql);
        return 0;
    }
    if (!file)
        return usage("new", "give the SQL with --sql TEXT or --file FILE", err);
    struct pd_buf b = PD_BUF_INIT;
    if (strcmp(file, "-") == 0) {
        int rc = cli_read_stream(cli_in, "standard input", &b, err);
        if (rc) {
            pd_buf_release(&b);
            return rc;
        }
    } else if (pd_buf_read_file(&b, file) != 0) {
        pd_buf_release(&b);
        return pd_fail(err, PD_EIO, "cannot read %s", file);
    }
    *out = pd_buf_detach(&b, NULL);
    return 0;
}

static int build_analysis(const struct cli_args *a, const char *id, struct dp_analysis **out,
                          struct pd_err *err)
{
    struct dp_analysis *an = xcalloc(1, sizeof(*an));
    const char *m = cli_arg(a, "materialize");
    int n, rc = 0;
    const char *const *v;

    an->id = xstrdup(id);
    if ((rc = read_sql(a, &an->sql, err)) != 0)
        goto fail;
    an->name = cli_arg(a, "name") ? xstrdup(cli_arg(a, "name")) : NULL;
    an->description = cli_arg(a, "description") ? xstrdup(cli_arg(a, "description")) : NULL;
    an->unique_key = cli_arg(a, "unique-key") ? xstrdup(cli_arg(a, "unique-key")) : NULL;
    /* typed on a command line: relative to where it was typed */
    an->path = cli_arg(a, "path") ? pd_path_absolute(cli_arg(a, "path")) : NULL;
    an->freshness = cli_arg(a, "freshness") ? xstrdup(cli_arg(a, "freshness")) : NULL;
    if (an->freshness && strcmp(an->freshness, "assume_fresh") && strcmp(an->freshness, "default")) {
        rc = pd_fail(err, PD_EUSAGE, "--freshness must be assume_fresh or default");
        goto fail;
    }
    if (m && dp_materialize_parse(m, &an->materialize) != 0) {
        rc = pd_fail(err, PD_EUSAGE,
                     "--materialize must be view, table, append, incremental, parquet or "
                     "ephemeral, got '%s'",
                     m);
        goto fail;
    }
    if (!m && an->unique_key)
        an->materialize = DP_INCREMENTAL;
    v = cli_arg_all(a, "tag", &n);
    for (int i = 0; i < n; i++)
        pd_strv_push(&an->tags, v[i]);
    v = cli_arg_all(a, "depends-on", &n);
    for (int i = 0; i < n; i++)
        pd_strv_push(&an->depends_on, v[i]);
    v = cli_arg_all(a, "param", &n);
    an->params = xcalloc((size_t)n + 1, sizeof(*an->params));
    for (int i = 0; i < n; i++) {
        if ((rc = dp_param_parse_spec(v[i], &an->params[an->nparams], err)) != 0)
            goto fail;
        an->nparams++;
    }
    if (!m && an->nparams)
        an->materialize = DP_TABLE; /* a view cannot keep parameter values */
    *out = an;
    return 0;
fail:
    dp_analysis_free(an);
    return rc;
}

static int analysis_new(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                        struct pd_err *err)
{
    struct dp_analysis *an = NULL;
    struct dp_analysis *old;
    int rc;

    if (a->npos != 2)
        return usage("new", "give the analysis id: analysis new ID --sql ...", err);
    if ((rc = dp_id_check("analysis", a->pos[1], err)) != 0)
        return rc;
    old = dp_project_find(s->project, a->pos[1]);
    if (old && !cli_given(a, "replace"))
        return pd_fail(err, PD_EEXIST,
                       "analysis %s exists already (%s): use --replace to overwrite it", a->pos[1],
                       old->file);
    if ((rc = build_analysis(a, a->pos[1], &an, err)) != 0)
        return rc;
    if (old) {
        an->created_at = old->created_at ? xstrdup(old->created_at) : NULL;
        an->updated_at = old->updated_at ? xstrdup(old->updated_at) : NULL;
    }
    if ((rc = pd_assets_save(s, an, NULL, err)) != 0)
        return rc;
    if (!rc && ctx->format == PD_FORMAT_TABLE)
        fprintf(cli_out, "%s analysis %s (%s, %s)\n", old ? "replaced" : "created", an->id,
               dp_materialize_name(an->materialize), an->file);
    else if (!rc) {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, "{\"id\":");
        pd_json_add_string(&b, an->id, strlen(an->id));
        pd_buf_addf(&b, ",\"materialize\":\"%s\",\"file\":", dp_materialize_name(an->materialize));
        pd_json_add_string(&b, an->file, strlen(an->file));
        pd_buf_adds(&b, "}\n");
        fputs(b.ptr, cli_out);
        pd_buf_release(&b);
    }
    return rc;
}

/* ---------- list / show / freshness ---------- */

static void join_strv(const struct pd_strv *v, struct pd_buf *b)
{
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            pd_buf_adds(b, ", ");
        pd_buf_adds(b, v->v[i]);
    }
}

static int analysis_list(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                         struct pd_err *err)
{
    static const char *const cols[] = {"id", "name", "materialize", "tags", "status", "reason",
                                       "last_success"};
    struct cli_records rec;
    struct dp_plan *plan = NULL;
    const char *tag = cli_arg(a, "tag");
    struct dp_args args = {0};
    int rc = plan_for(s, a, 99, 0, &args, &plan, err);

    if (rc)
        return rc;
    cli_records_init(&rec, 7, cols);
    for (size_t i = 0; i < s->project->n; i++) {
        const struct dp_analysis *an = s->project->items[i];
        const struct dp_step *st = dp_plan_find(plan, an->id);
        struct pd_buf tags = PD_BUF_INIT;
        char when[40];
        int stale = st->run;
        if (tag && !pd_strv_has(&an->tags, tag))
            continue;
        if (cli_given(a, "stale") && !stale)
            continue;
        join_strv(&an->tags, &tags);
        fmt_ms(st->last_success_ms, when, sizeof(when));
        const char *row[] = {an->id, an->name ? an->name : "", dp_materialize_name(an->materialize),
                             tags.ptr ? tags.ptr : "",
                             an->materialize == DP_EPHEMERAL ? "ephemeral"
                             : stale                         ? "stale"
                                                             : "fresh",
                             dp_reason_text(st->reason), when};
        cli_records_add(&rec, row);
        pd_buf_release(&tags);
    }
    cli_records_print(ctx, &rec);
    dp_plan_free(plan);
    return 0;
}

static int need_id(struct pd_assets *s, const struct cli_args *a, const char *sub,
                   struct dp_analysis **out, struct pd_err *err)
{
    if (a->npos < 2)
        return usage(sub, "give the analysis id", err);
    *out = dp_project_find(s->project, a->pos[1]);
    if (!*out)
        return pd_fail(err, PD_ENOTFOUND, "no analysis '%s' in project %s (see: pluto-duck analysis list)",
                       a->pos[1], s->project->name);
    return 0;
}

static int analysis_show(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                         struct pd_err *err)
{
    static const char *const cols[] = {"field", "value"};
    struct dp_analysis *an;
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    struct cli_records rec;
    struct pd_buf b = PD_BUF_INIT;
    char when[40];
    int rc;

    if ((rc = need_id(s, a, "show", &an, err)) != 0 || (rc = plan_for(s, a, 99, 0, &args, &plan, err)) != 0)
        return rc;
    const struct dp_step *st = dp_plan_find(plan, an->id);
    cli_records_init(&rec, 2, cols);
#define ROW(k, v)                                        \
    do {                                                 \
        const char *r_[] = {(k), (v)};                   \
        cli_records_add(&rec, r_);                       \
    } while (0)
    ROW("id", an->id);
    ROW("name", an->name);
    ROW("description", an->description);
    ROW("file", an->file);
    ROW("materialize", dp_materialize_name(an->materialize));
    ROW("unique_key", an->unique_key);
    ROW("path", an->path);
    ROW("freshness", an->freshness ? an->freshness : "default");
    join_strv(&an->tags, &b);
    ROW("tags", b.ptr);
    pd_buf_reset(&b);
    for (size_t i = 0; i < an->nparams; i++) {
        const struct dp_param *p = &an->params[i];
        pd_buf_addf(&b, "%s%s:%s%s%s%s", i ? ", " : "", p->name, dp_ptype_name(p->type),
                    p->def ? "=" : "", p->def ? p->def : "", p->required ? " (required)" : "");
    }
    ROW("parameters", b.ptr);
    pd_buf_reset(&b);
    for (size_t i = 0; i < st->ninputs; i++)
        pd_buf_addf(&b, "%s%s", i ? ", " : "", st->inputs[i].key);
    ROW("reads", b.ptr);
    ROW("status", st->run ? "stale" : "fresh");
    ROW("reason", dp_reason_text(st->reason));
    fmt_ms(st->last_success_ms, when, sizeof(when));
    ROW("last_success", when);
    fmt_ms(st->last_failure_ms, when, sizeof(when));
    ROW("last_failure", when);
    ROW("sql", an->sql);
#undef ROW
    cli_records_print(ctx, &rec);
    pd_buf_release(&b);
    dp_plan_free(plan);
    return 0;
}

static int analysis_freshness(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                              struct pd_err *err)
{
    static const char *const cols[] = {"analysis", "status", "reason", "last_success",
                                       "last_failure"};
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    struct cli_records rec;
    int rc = plan_for(s, a, 1, 0, &args, &plan, err);
    if (rc)
        return rc;
    cli_records_init(&rec, 5, cols);
    for (size_t i = 0; i < plan->n; i++) {
        const struct dp_step *st = &plan->steps[i];
        char ok[40], bad[40];
        if (!st->selected)
            continue;
        fmt_ms(st->last_success_ms, ok, sizeof(ok));
        fmt_ms(st->last_failure_ms, bad, sizeof(bad));
        const char *row[] = {st->a->id,
                             st->a->materialize == DP_EPHEMERAL ? "ephemeral"
                             : st->run                          ? "stale"
                                                                : "fresh",
                             dp_reason_text(st->reason), ok, bad};
        cli_records_add(&rec, row);
    }
    cli_records_print(ctx, &rec);
    dp_plan_free(plan);
    return 0;
}

/* ---------- compile ---------- */

static int analysis_compile(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                            struct pd_err *err)
{
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    int rc = parse_params(a, &args, err);
    size_t k = 0;

    if (!rc)
        rc = plan_for(s, a, 1, cli_given(a, "force"), &args, &plan, err);
    dp_args_clear(&args);
    if (rc)
        return rc;
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, ctx->format == PD_FORMAT_JSON ? "[" : "");
        for (size_t i = 0; i < plan->n; i++) {
            const struct dp_step *st = &plan->steps[i];
            if (!st->selected)
                continue;
            if (k++ && ctx->format == PD_FORMAT_JSON)
                pd_buf_addc(&b, ',');
            pd_buf_adds(&b, "{\"analysis\":");
            pd_json_add_string(&b, st->a->id, strlen(st->a->id));
            pd_buf_addf(&b, ",\"step\":%zu,\"materialize\":\"%s\",\"action\":\"%s\",\"reason\":\"%s\",\"sql\":",
                        k, dp_materialize_name(st->a->materialize), st->run ? "run" : "skip",
                        dp_reason_text(st->reason));
            pd_json_add_string(&b, st->sql, strlen(st->sql));
            pd_buf_adds(&b, ",\"reads\":[");
            for (size_t j = 0; j < st->ninputs; j++) {
                pd_buf_adds(&b, j ? "," : "");
                pd_json_add_string(&b, st->inputs[j].key, strlen(st->inputs[j].key));
            }
            pd_buf_adds(&b, "]}");
            if (ctx->format == PD_FORMAT_JSONL)
                pd_buf_addc(&b, '\n');
        }
        pd_buf_adds(&b, ctx->format == PD_FORMAT_JSON ? "]\n" : "");
        fputs(b.ptr, cli_out);
        pd_buf_release(&b);
    } else {
        static const char *const cols[] = {"step", "analysis", "materialize", "action", "reason"};
        struct cli_records rec;
        cli_records_init(&rec, 5, cols);
        for (size_t i = 0; i < plan->n; i++) {
            const struct dp_step *st = &plan->steps[i];
            char num[24];
            if (!st->selected)
                continue;
            snprintf(num, sizeof(num), "%zu", ++k);
            const char *row[] = {num, st->a->id, dp_materialize_name(st->a->materialize),
                                 st->run ? "run" : "skip", dp_reason_text(st->reason)};
            cli_records_add(&rec, row);
        }
        cli_records_print(ctx, &rec);
        if (ctx->format == PD_FORMAT_TABLE && !cli_given(a, "plan-only"))
            for (size_t i = 0; i < plan->n; i++) {
                const struct dp_step *st = &plan->steps[i];
                if (st->selected)
                    fprintf(cli_out, "\n-- %s (%s)\n%s\n", st->a->id, dp_materialize_name(st->a->materialize),
                           st->sql);
            }
    }
    dp_plan_free(plan);
    return 0;
}

/* ---------- run ---------- */

static void on_step(void *arg, const struct dp_step *st, size_t index, size_t total,
                    const struct dp_step_result *r)
{
    const struct cli_ctx *ctx = arg;
    if (ctx->format != PD_FORMAT_TABLE)
        return;
    if (!r) {
        if (ctx->tty_err)
            fprintf(cli_err, "%zu/%zu %s: running (%s)...\r", index, total, st->a->id,
                    dp_reason_text(st->reason));
        return;
    }
    if (ctx->tty_err)
        fprintf(cli_err, "\r\033[K");
    if (r->status == DP_S_OK && r->rows >= 0)
        fprintf(cli_out, "%zu/%zu %s: ok, %lld rows (%s) in %.2f s\n", index, total, st->a->id,
               (long long)r->rows, dp_materialize_name(st->a->materialize), r->seconds);
    else if (r->status == DP_S_OK)
        fprintf(cli_out, "%zu/%zu %s: ok (%s) in %.2f s\n", index, total, st->a->id,
               dp_materialize_name(st->a->materialize), r->seconds);
    else if (r->status == DP_S_SKIPPED)
        fprintf(cli_out, "%zu/%zu %s: skipped, %s\n", index, total, st->a->id, r->reason);
    else
        fprintf(cli_out, "%zu/%zu %s: %s: %s\n", index, total, st->a->id, dp_step_status_name(r->status),
               r->error ? r->error : "");
    fflush(cli_out);
}

static void print_run_json(const struct cli_ctx *ctx, const struct dp_plan *plan,
                           const struct dp_run_result *res)
{
    struct pd_buf b = PD_BUF_INIT;
    int first = 1;
    if (ctx->format == PD_FORMAT_JSON)
        pd_buf_addf(&b, "{\"run_id\":\"%s\",\"ok\":%d,\"failed\":%d,\"skipped\":%d,\"steps\":[",
                    res->run_id, res->ok, res->failed, res->skipped);
    for (size_t i = 0; i < res->n; i++) {
        const struct dp_step_result *r = &res->steps[i];
        const struct dp_step *st = &plan->steps[i];
        if (!st->selected)
            continue;
        if (!first && ctx->format == PD_FORMAT_JSON)
            pd_buf_addc(&b, ',');
        first = 0;
        pd_buf_adds(&b, "{\"analysis\":");
        pd_json_add_string(&b, r->id, strlen(r->id));
        pd_buf_addf(&b, ",\"run_id\":\"%s\",\"status\":\"%s\",\"reason\":", res->run_id,
                    r->status == DP_S_PENDING ? "fresh" : dp_step_status_name(r->status));
        pd_json_add_string(&b, r->reason, strlen(r->reason));
        if (r->rows >= 0)
            pd_buf_addf(&b, ",\"rows\":%lld", (long long)r->rows);
        else
            pd_buf_adds(&b, ",\"rows\":null");
        pd_buf_addf(&b, ",\"seconds\":%.3f,\"error\":", r->seconds);
        pd_json_add_nullable(&b, r->error);
        pd_buf_addc(&b, '}');
        if (ctx->format == PD_FORMAT_JSONL)
            pd_buf_addc(&b, '\n');
    }
    if (ctx->format == PD_FORMAT_JSON)
        pd_buf_adds(&b, "]}\n");
    fputs(b.ptr ? b.ptr : "", cli_out);
    pd_buf_release(&b);
}

static int analysis_run(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                        struct pd_err *err)
{
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    struct dp_run_result res;
    struct dp_run_opts o = {.continue_on_failure = cli_given(a, "continue-on-failure"),
                            .on_step = on_step, .arg = ctx};
    const char *timeout = cli_arg(a, "timeout");
    double t0 = pd_mono_s();
    int rc;

    if (timeout && pd_duration_parse(timeout, &o.timeout_s) != 0)
        return pd_fail(err, PD_EUSAGE, "--timeout: '%s' is not a duration (30s, 5m)", timeout);
    if (!timeout)
        o.timeout_s = pd_config_seconds(ctx->cfg, "query.timeout");
    rc = parse_params(a, &args, err);
    if (!rc)
        rc = plan_for(s, a, 1, cli_given(a, "force"), &args, &plan, err);
    dp_args_clear(&args);
    if (rc)
        return rc;
    rc = dp_run(plan, &s->env, &o, &res, err);
    if (ctx->format != PD_FORMAT_TABLE) {
        print_run_json(ctx, plan, &res);
    } else {
        int fresh = 0;
        for (size_t i = 0; i < plan->n; i++)
            if (plan->steps[i].selected && !plan->steps[i].run)
                fresh++;
        fprintf(cli_out, "Done: %d ok, %d failed, %d skipped, %d fresh in %.2f s (run %s)\n", res.ok,
               res.failed, res.skipped, fresh, pd_mono_s() - t0, res.run_id);
    }
    dp_run_result_clear(&res);
    dp_plan_free(plan);
    return rc;
}

/* ---------- preview / lineage / history / delete ---------- */

static int analysis_preview(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                            struct pd_err *err)
{
    struct dp_analysis *an;
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    struct pd_result_end end;
    duckdb_result res;
    long limit;
    int rc;

    if ((rc = need_id(s, a, "preview", &an, err)) != 0 ||
        (rc = cli_arg_long(a, "limit", 1, &limit, err)) != 0 || (rc = parse_params(a, &args, err)) != 0)
        return rc;
    rc = plan_for(s, a, 99, 0, &args, &plan, err);
    dp_args_clear(&args);
    if (rc)
        return rc;
    double t0 = pd_mono_s();
    rc = dp_preview(plan, dp_plan_find(plan, an->id), &s->env, limit ? limit : 20, &res, err);
    if (!rc) {
        struct pd_sink *sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_sink_result(sink, &res, "SELECT", 0, t0, &end, err);
        pd_sink_free(sink);
        duckdb_destroy_result(&res);
    }
    dp_plan_free(plan);
    return rc;
}

static int analysis_lineage(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                            struct pd_err *err)
{
    struct dp_plan *plan = NULL;
    struct dp_args args = {0};
    struct pd_buf out = PD_BUF_INIT;
    enum dp_graph_format fmt = DP_GRAPH_MERMAID;
    int rc;

    if (ctx->format_given && dp_graph_format_parse(ctx->format_name, &fmt) != 0)
        return pd_fail(err, PD_EUSAGE, "analysis lineage: --format must be mermaid, dot or json");
    if ((rc = plan_for(s, a, 99, 0, &args, &plan, err)) != 0)
        return rc;
    if (a->npos > 1 && cli_given(a, "columns")) {
        const struct dp_step *st = dp_plan_find(plan, a->pos[1]);
        rc = st ? dp_column_lineage(st, &s->env, &out, err)
                : pd_fail(err, PD_ENOTFOUND, "no analysis '%s'", a->pos[1]);
        if (!rc)
            pd_buf_addc(&out, '\n');
    } else {
        rc = dp_lineage(plan, &s->env, a->npos > 1 ? a->pos[1] : NULL, fmt, &out, err);
    }
    if (!rc)
        fputs(out.ptr, cli_out);
    pd_buf_release(&out);
    dp_plan_free(plan);
    return rc;
}

static int analysis_history(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                            struct pd_err *err)
{
    long limit;
    int rc = cli_arg_long(a, "limit", 1, &limit, err);
    if (rc)
        return rc;
    struct pd_sink *sink = cli_sink(ctx, ctx->format, 0);
    rc = pd_assets_history(s, a->npos > 1 ? a->pos[1] : NULL, limit ? limit : 20, sink, err);
    pd_sink_free(sink);
    return rc;
}

static int analysis_delete(struct cli_ctx *ctx, struct pd_assets *s, const struct cli_args *a,
                           struct pd_err *err)
{
    struct dp_analysis *an;
    int rc;

    if ((rc = need_id(s, a, "delete", &an, err)) != 0)
        return rc;
    if ((rc = pd_assets_delete(s, an->id, cli_given(a, "force"), err)) != 0)
        return rc;
    if (ctx->format == PD_FORMAT_TABLE)
        fprintf(cli_out, "deleted analysis %s\n", a->pos[1]);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct cli_ctx *, struct pd_assets *, const struct cli_args *, struct pd_err *);
} subs[] = {
    {"new", analysis_new},         {"list", analysis_list},       {"show", analysis_show},
    {"compile", analysis_compile}, {"run", analysis_run},         {"preview", analysis_preview},
    {"lineage", analysis_lineage}, {"freshness", analysis_freshness},
    {"history", analysis_history}, {"delete", analysis_delete},
};

int cmd_analysis(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_assets s;
    int rc;

    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(a->pos[0], subs[i].name) != 0)
            continue;
        rc = pd_assets_open(ctx->wh, pd_config_home(ctx->cfg), cli_arg(a, "project"),
                            ctx->interrupted, &s, err);
        if (rc)
            return rc;
        rc = subs[i].fn(ctx, &s, a, err);
        pd_assets_close(&s);
        return rc;
    }
    return pd_fail(err, PD_EUSAGE,
                   "analysis: unknown subcommand '%s' (new, list, show, compile, run, preview, "
                   "lineage, freshness, history, delete)",
                   a->pos[0]);
}
