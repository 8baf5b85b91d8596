/*
 * cmd_cloud.c - `pluto-duck cloud`: sign in to Pluto Cloud with the device
 * grant, see the session, choose a workspace, push and pull pipelines, sign
 * out.
 */
#include "cli/cli.h"
#include "cli/records.h"

#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "base/buf.h"
#include "base/httpc.h"
#include "cli/remote.h"
#include "sync/cloud.h"
#include "sync/outbox.h"
#include "sync/pipelines.h"
#include "warehouse/home.h"
#include "warehouse/warehouse.h"

#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Open url in the browser, when this machine has a desktop to show it on. */
static void open_browser(const char *url)
{
    char *argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        return;
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) == 0)
        waitpid(pid, NULL, WNOHANG);
}

static int do_login(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *home = pd_config_home(ctx->cfg);
    struct pd_cloud_session old;
    struct pd_cloud_login l;
    struct pd_err ignored = PD_ERR_INIT;
    int rc;
    if (a->npos >= 2)
        rc = pd_cloud_login_start(a->pos[1], cli_arg(a, "name"), &l, err);
    else if (pd_cloud_load(home, &old, &ignored) == 0)
        rc = pd_cloud_login_start(old.url, cli_arg(a, "name"), &l, err);
    else
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck cloud login URL (the Pluto Cloud server)");
    if (rc != 0)
        return rc;
    fprintf(cli_err, "To sign in, open %s\nand enter the code %s\n(or open %s)\n",
            l.d.verification_uri, l.d.user_code, l.d.verification_uri_complete);
    fflush(cli_err);
    if (!cli_given(a, "no-browser"))
        open_browser(l.d.verification_uri_complete);
    do {
        /* Wait in small steps, so Ctrl-C ends the wait at once. */
        while (pd_cloud_login_wait(&l) > 0) {
            if (ctx->interrupted && *ctx->interrupted)
                return pd_fail(err, PD_ECANCELED, "sign-in cancelled");
            usleep(100 * 1000);
        }
    } while ((rc = pd_cloud_login_poll(home, &l, err)) == 1);
    if (rc == 0) {
        struct pd_cloud_session s;
        if (pd_cloud_load(home, &s, err) != 0)
            return err->code;
        fprintf(cli_out, "signed in to %s as %s%s%s%s\n", s.url, s.email,
                s.workspace_name[0] ? " (workspace " : "", s.workspace_name,
                s.workspace_name[0] ? ")" : "");
        if (!s.workspace_name[0])
            fprintf(cli_out, "choose a workspace: pluto-duck cloud workspace list, then "
                             "pluto-duck cloud workspace use NAME\n");
    }
    return rc;
}

static const char *when(int64_t ms, char *buf, size_t size)
{
    if (ms <= 0)
        return NULL;
    return pd_time_iso(ms, buf, size);
}

/*
 * What the outbox still holds: asked of the server for this data home when one
 * runs (it holds the warehouse), else counted in the warehouse. "unknown" when
 * neither answers.
 */
static void pending_uploads(struct cli_ctx *ctx, char out[32])
{
    const char *home = pd_config_home(ctx->cfg);
    struct cli_remote remote;
    struct pd_warehouse *wh = NULL;
    struct pd_err e = PD_ERR_INIT;
    snprintf(out, 32, "unknown");
    if (cli_remote_find(home, &remote)) {
        char url[400];
        struct pd_httpc_req req = {.method = "GET", .url = url, .bearer = remote.token,
                                   .timeout_s = 10, .direct = 1};
        struct pd_httpc_resp resp;
        snprintf(url, sizeof(url), "%s/api/v1/cloud/status", remote.url);
        if (pd_httpc_do(&req, &resp, &e) == 0 && resp.status == 200) {
            json_t *doc = json_loadb(resp.body.ptr, resp.body.len, 0, NULL);
            json_t *n = json_object_get(json_object_get(doc, "outbox"), "pending");
            if (json_is_integer(n))
                snprintf(out, 32, "%lld", (long long)json_integer_value(n));
            json_decref(doc);
        }
        pd_httpc_release(&resp);
        cli_remote_release(&remote);
    } else if (pd_home_open_warehouse(ctx->cfg, &wh, &e) == 0) {
        duckdb_connection conn;
        struct pd_outbox_counts c;
        if (pd_warehouse_acquire(wh, &conn, &e) == 0) {
            if (pd_outbox_counts(conn, &c, &e) == 0 && c.failed)
                snprintf(out, 32, "%lld (%lld refused)", (long long)c.pending,
                         (long long)c.failed);
            else if (e.code == 0)
                snprintf(out, 32, "%lld", (long long)c.pending);
            pd_warehouse_release(wh, conn, 1);
        }
        pd_warehouse_close(wh);
    }
}

static int do_status(struct cli_ctx *ctx, struct pd_err *err)
{
    static const char *const cols[] = {"key", "value"};
    const char *home = pd_config_home(ctx->cfg);
    struct pd_cloud_session s;
    struct cli_records r;
    json_t *me = NULL;
    long status = 0;
    char a[40], b[40], c[40], pending[32];
    const char *state = "signed in";
    int rc = pd_cloud_load(home, &s, err);
    if (rc != 0)
        return rc;
    /* Ask the server: a revoked sign-in or a lost workspace shows here, not at the next sync. */
    if (pd_cloud_call(home, "GET", "/me", NULL, &me, &status, err) != 0) {
        int offline = err->code == PD_EUNAVAIL || err->code == PD_EIO || err->code == PD_ETIMEOUT;
        state = err->code == PD_EAUTH ? "signed out (sign in again)"
                : offline             ? "offline (the server does not answer)"
                                      : "error";
        if (err->code != PD_EAUTH && !offline) {
            json_decref(me);
            return err->code;
        }
        pd_err_clear(err);
    }
    json_decref(me);
    pd_cloud_load(home, &s, err); /* a refresh may have moved the expiry */
    pending_uploads(ctx, pending);
    cli_records_init(&r, 2, cols);
    {
        const char *rows[][2] = {
            {"server", s.url},
            {"user", s.email},
            {"state", state},
            {"workspace", s.workspace_name[0] ? s.workspace_name : NULL},
            {"workspace_id", s.workspace_id[0] ? s.workspace_id : NULL},
            {"token_expires", when(s.access_expires_ms, a, sizeof(a))},
            {"signed_in", when(s.signed_in_ms, b, sizeof(b))},
            {"last_sync", when(s.last_sync_ms, c, sizeof(c))},
            {"pending_uploads", pending},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
            cli_records_add(&r, rows[i]);
    }
    cli_records_print(ctx, &r);
    return 0;
}

static int do_workspace(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const cols[] = {"name", "id", "role", "in_use"};
    const char *home = pd_config_home(ctx->cfg), *action = a->npos >= 2 ? a->pos[1] : "list";
    struct cli_records r;
    json_t *list = NULL, *w;
    size_t i;
    int rc;
    if (strcmp(action, "list") != 0 && strcmp(action, "use") != 0)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck cloud workspace list | use NAME");
    if (strcmp(action, "use") == 0) {
        if (a->npos != 3)
            return pd_fail(err, PD_EUSAGE,
                           "usage: pluto-duck cloud workspace use NAME (or its id)");
        if ((rc = pd_cloud_use_workspace(home, a->pos[2], &w, err)) == 0)
            fprintf(cli_out, "using workspace %s (%s)\n",
                    json_string_value(json_object_get(w, "name")),
                    json_string_value(json_object_get(w, "role")));
        json_decref(rc == 0 ? w : NULL);
        return rc;
    }
    if ((rc = pd_cloud_workspaces(home, &list, err)) != 0)
        return rc;
    cli_records_init(&r, 4, cols);
    json_array_foreach(list, i, w) {
        const char *row[] = {json_string_value(json_object_get(w, "name")),
                             json_string_value(json_object_get(w, "id")),
                             json_string_value(json_object_get(w, "role")),
                             json_is_true(json_object_get(w, "in_use")) ? "yes" : "no"};
        cli_records_add(&r, row);
    }
    cli_records_print(ctx, &r);
    json_decref(list);
    return 0;
}

static int do_push(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *project = a->npos >= 2 ? a->pos[1] : "default";
    json_t *out = NULL;
    int rc = pd_sync_push(pd_config_home(ctx->cfg), project, cli_arg(a, "message"), &out, err);
    if (rc == 0) {
        json_t *v = json_object_get(out, "version");
        long long n = (long long)json_integer_value(json_object_get(v, "number"));
        if (json_is_false(json_object_get(out, "created")))
            fprintf(cli_out, "unchanged: %s is version %lld of its pipeline\n", project, n);
        else
            fprintf(cli_out, "pushed %s as version %lld\n", project, n);
        if (json_string_value(json_object_get(out, "note")))
            fprintf(cli_err, "note: %s\n", json_string_value(json_object_get(out, "note")));
    }
    json_decref(out);
    return rc;
}

static int do_pull(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const cols[] = {"project", "pipeline", "version", "status"};
    json_t *out = NULL, *row;
    struct cli_records r;
    size_t i, edits = 0;
    int rc = pd_sync_pull(pd_config_home(ctx->cfg), cli_given(a, "discard"), &out, err);
    if (rc != 0)
        return rc;
    cli_records_init(&r, 4, cols);
    json_array_foreach(out, i, row) {
        char version[24];
        const char *status = json_string_value(json_object_get(row, "status"));
        const char *cells[] = {json_string_value(json_object_get(row, "project")),
                               json_string_value(json_object_get(row, "pipeline")), version,
                               status};
        snprintf(version, sizeof(version), "%lld",
                 (long long)json_integer_value(json_object_get(row, "version")));
        cli_records_add(&r, cells);
        edits += strcmp(status, "local_edits") == 0;
    }
    cli_records_print(ctx, &r);
    if (edits)
        fprintf(cli_err,
                "%zu project%s kept %s local edits: see them with pluto-duck cloud diff PROJECT, "
                "then cloud push PROJECT (a new version) or cloud pull --discard\n",
                edits, edits == 1 ? "" : "s", edits == 1 ? "its" : "their");
    json_decref(out);
    return 0;
}

static int do_diff(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_buf out = PD_BUF_INIT;
    int rc;
    if (a->npos != 2)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck cloud diff PROJECT");
    rc = pd_sync_diff(pd_config_home(ctx->cfg), a->pos[1], &out, err);
    if (rc == 0)
        fwrite(out.ptr ? out.ptr : "", 1, out.len, cli_out);
    pd_buf_release(&out);
    return rc;
}

/*
 * The sign-in or the workspace changed: a `pluto-duck run` or `agent` of this data
 * home starts, moves or stops running the workspace's schedules now, not at its
 * next start.
 */
static int tell_server(struct cli_ctx *ctx, int rc)
{
    if (rc == 0)
        cli_remote_post(pd_config_home(ctx->cfg), "/api/v1/cloud/reload");
    return rc;
}

int cmd_cloud(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0];
    if (strcmp(action, "login") == 0)
        return tell_server(ctx, do_login(ctx, a, err));
    if (strcmp(action, "status") == 0)
        return do_status(ctx, err);
    if (strcmp(action, "workspace") == 0)
        return tell_server(ctx, do_workspace(ctx, a, err));
    if (strcmp(action, "push") == 0)
        return do_push(ctx, a, err);
    if (strcmp(action, "pull") == 0)
        return do_pull(ctx, a, err);
    if (strcmp(action, "diff") == 0)
        return do_diff(ctx, a, err);
    if (strcmp(action, "logout") == 0) {
        int rc = pd_cloud_logout(pd_config_home(ctx->cfg), err);
        if (rc == 0)
            fprintf(cli_out, "signed out\n");
        return tell_server(ctx, rc);
    }
    return pd_fail(err, PD_EUSAGE,
                   "unknown action '%s': login, logout, status, workspace, push, pull or diff",
                   action);
}
