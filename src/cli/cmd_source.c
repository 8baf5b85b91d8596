/*
 * cmd_source.c - `pluto-duck source ACTION ...`: attach, list, show, tables,
 * refresh, detach, estimate, cache, types.
 */
#include "cli/cli.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "sources/cache.h"
#include "sources/secrets.h"
#include "sources/sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options that become the source's config, and the config key each one sets. */
static const struct {
    const char *opt, *key;
} config_opts[] = {
    {"dsn", "dsn"},   {"path", "path"},   {"url", "url"},
    {"schema", "schema"}, {"table", "table"}, {"file-format", "file_format"},
};

/* The password: --password-stdin, else --password (with a warning), else NULL. */
static int read_password(const struct cli_ctx *ctx, const struct cli_args *a, char **out,
                         struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    char chunk[4096];
    size_t n;

    *out = NULL;
    if (cli_given(a, "password-stdin")) {
        if (ctx->tty_in)
            fputs("password: ", cli_err);
        while ((n = fread(chunk, 1, sizeof(chunk), cli_in)) > 0)
            pd_buf_add(&b, chunk, n);
        while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
            b.len--;
        if (!b.len) {
            pd_buf_release(&b);
            return pd_fail(err, PD_EUSAGE, "--password-stdin: standard input was empty");
        }
        pd_buf_addc(&b, 0);
        *out = pd_buf_detach(&b, NULL);
        return 0;
    }
    if (cli_arg(a, "password")) {
        cli_warn("a password on the command line can be seen by other users of this machine; "
                 "prefer --password-stdin");
        *out = xstrdup(cli_arg(a, "password"));
    }
    return 0;
}

static void print_report(const char *what, const char *name, const struct pd_attach_report *rep)
{
    for (size_t i = 0; i < rep->warnings.n; i++)
        cli_warn("%s", rep->warnings.v[i]);
    fprintf(cli_out, "%s %s: %zu table%s", what, name, rep->tables.n, rep->tables.n == 1 ? "" : "s");
    if (rep->added.n || rep->dropped.n)
        fprintf(cli_out, " (%zu added, %zu dropped)", rep->added.n, rep->dropped.n);
    fputc('\n', cli_out);
    for (size_t i = 0; i < rep->added.n; i++)
        fprintf(cli_out, "  + %s.%s\n", name, rep->added.v[i]);
    for (size_t i = 0; i < rep->dropped.n; i++)
        fprintf(cli_out, "  - %s.%s\n", name, rep->dropped.v[i]);
}

/* --option NAME=VALUE (repeatable) into config's "options", as text (the connector checks). */
static int reader_options(const struct cli_args *a, json_t *config, struct pd_err *err)
{
    int n;
    const char *const *all = cli_arg_all(a, "option", &n);
    json_t *opts = n ? json_object() : NULL;
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(all[i], '=');
        if (!eq || eq == all[i]) {
            json_decref(opts);
            return pd_fail(err, PD_EUSAGE, "--option takes NAME=VALUE, got '%s'", all[i]);
        }
        char *name = xstrndup(all[i], (size_t)(eq - all[i]));
        json_object_set_new(opts, name, json_string(eq + 1));
        free(name);
    }
    if (opts)
        json_object_set_new(config, "options", opts);
    return 0;
}

static int do_attach(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_attach_req req = {0};
    struct pd_attach_report rep = {0};
    char *password = NULL;
    int rc;

    if (a->npos != 2)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck source attach NAME --type TYPE ...");
    if (!cli_arg(a, "type"))
        return pd_fail(err, PD_EUSAGE, "source attach needs --type (one of: %s)",
                       pd_connector_names());
    if ((rc = read_password(ctx, a, &password, err)) != 0)
        return rc;
    req.name = a->pos[1];
    req.type = cli_arg(a, "type");
    req.description = cli_arg(a, "description");
    req.secret = password;
    req.config = json_object();
    for (size_t i = 0; i < sizeof(config_opts) / sizeof(config_opts[0]); i++)
        if (cli_arg(a, config_opts[i].opt))
            json_object_set_new(req.config, config_opts[i].key,
                                json_string(cli_arg(a, config_opts[i].opt)));
    if ((rc = reader_options(a, req.config, err)) != 0) {
        json_decref(req.config);
        free(password);
        return rc;
    }
    rc = pd_source_attach(ctx->sources, &req, &rep, err);
    if (rc == 0)
        print_report("attached", req.name, &rep);
    pd_attach_report_clear(&rep);
    json_decref(req.config);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return rc;
}

static int do_refresh(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_attach_report rep = {0};
    int rc = pd_source_refresh(ctx->sources, a->pos[1], &rep, err);

    if (rc == 0)
        print_report("refreshed", a->pos[1], &rep);
    pd_attach_report_clear(&rep);
    return rc;
}

static int do_estimate(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_cache_estimate est;
    int rc;

    if (a->npos != 3)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck source estimate NAME TABLE");
    if ((rc = pd_cache_estimate(ctx->sources, a->pos[1], a->pos[2], &est, err)) != 0)
        return rc;
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, "{\"source\":");
        pd_json_add_string(&b, a->pos[1], strlen(a->pos[1]));
        pd_buf_adds(&b, ",\"table\":");
        pd_json_add_string(&b, a->pos[2], strlen(a->pos[2]));
        pd_buf_addf(&b, ",\"rows\":%lld,\"bytes\":%lld,\"recommend_cache\":%s,\"reason\":",
                    (long long)est.rows, (long long)est.bytes, est.recommend ? "true" : "false");
        pd_json_add_string(&b, est.reason, strlen(est.reason));
        pd_buf_adds(&b, "}\n");
        fputs(b.ptr, cli_out);
        pd_buf_release(&b);
        return 0;
    }
    if (est.rows >= 0)
        fprintf(cli_out, "rows:      %lld\n", (long long)est.rows);
    else
        fprintf(cli_out, "rows:      unknown\n");
    if (est.bytes >= 0)
        fprintf(cli_out, "size:      %.1f MB\n", (double)est.bytes / 1e6);
    else
        fprintf(cli_out, "size:      unknown\n");
    fprintf(cli_out, "cache it:  %s (%s)\n", est.recommend ? "yes" : "no", est.reason);
    return 0;
}

static int do_cache(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_cache_req req = {0};
    struct pd_cache_result res = {0};
    int rc;

    if (a->npos != 3)
        return pd_fail(err, PD_EUSAGE,
                       "usage: pluto-duck source cache NAME TABLE [--as LOCAL] [--where SQL] "
                       "[--ttl DURATION]");
    req.source = a->pos[1];
    req.table = a->pos[2];
    req.local = cli_arg(a, "as");
    req.where = cli_arg(a, "where");
    req.ttl = cli_arg(a, "ttl");
    req.interrupted = ctx->interrupted;
    req.progress = ctx->tty_err ? cli_progress : NULL;
    rc = pd_cache_create(ctx->sources, &req, &res, err);
    if (ctx->tty_err)
        cli_progress_done();
    if (rc == 0)
        fprintf(cli_out, "cached %s.%s as cache.%s: %lld rows in %.2f s\n", req.source, req.table,
               res.local, (long long)res.rows, res.seconds);
    for (size_t i = 0; rc == 0 && i < res.warnings.n; i++)
        cli_notice(NULL, res.warnings.v[i]);
    pd_cache_result_clear(&res);
    return rc;
}

static int do_types(struct cli_ctx *ctx, struct pd_err *err)
{
    const struct pd_connector *c;

    (void)ctx;
    (void)err;
    for (size_t i = 0; (c = pd_connector_at(i)) != NULL; i++)
        fprintf(cli_out, "%-9s %s\n          options: %s%s%s\n", c->type, c->summary, c->options,
               c->query_function ? "\n          pass-through: " : "",
               c->query_function ? c->query_function : "");
    return 0;
}

int cmd_source(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0];
    struct pd_sink *sink;
    int rc;

    if (!strcmp(action, "attach"))
        return do_attach(ctx, a, err);
    if (!strcmp(action, "types"))
        return do_types(ctx, err);
    if (!strcmp(action, "estimate"))
        return do_estimate(ctx, a, err);
    if (!strcmp(action, "cache"))
        return do_cache(ctx, a, err);
    if (!strcmp(action, "list")) {
        sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_source_list(ctx->sources, cli_given(a, "all"), sink, err);
        pd_sink_free(sink);
        return rc;
    }
    if (strcmp(action, "show") && strcmp(action, "tables") && strcmp(action, "refresh") &&
        strcmp(action, "detach"))
        return pd_fail(err, PD_EUSAGE,
                       "unknown action '%s': attach, list, show, tables, refresh, detach, "
                       "estimate, cache or types",
                       action);
    if (a->npos != 2)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck source %s NAME", action);
    if (!strcmp(action, "refresh"))
        return do_refresh(ctx, a, err);
    if (!strcmp(action, "detach")) {
        if ((rc = pd_source_detach(ctx->sources, a->pos[1], err)) == 0)
            fprintf(cli_out, "detached %s\n", a->pos[1]);
        return rc;
    }
    sink = cli_sink(ctx, ctx->format, 0);
    rc = !strcmp(action, "show") ? pd_source_show(ctx->sources, a->pos[1], sink, err)
                                 : pd_source_tables(ctx->sources, a->pos[1], sink, err);
    pd_sink_free(sink);
    return rc;
}
