/*
 * h_boards.c - /boards: boards of a project (?project=, default: default),
 * their items with query snapshots, refresh, and export as HTML or Markdown.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/buf.h"
#include "boards/boards.h"

#include <stdlib.h>
#include <string.h>

static const char *project_of(struct http_req *r)
{
    const char *p = http_query(r, "project");
    return p ? p : "default";
}

static struct pd_boards_env env_of(struct http_req *r)
{
    const struct pd_config *cfg = srv_config(srv_of(r));
    struct pd_boards_env e = {.wh = srv_warehouse(srv_of(r)), .home = pd_config_home(cfg),
                              .timeout_s = pd_config_seconds(cfg, "query.timeout"),
                              .history = srv_history(srv_of(r))};
    return e;
}

/* The answer for a service call: doc (JSON text, freed) with status, or the error (PD_EINVAL as 422). */
static void answer(struct http_req *r, int rc, unsigned status, char *doc,
                   const struct pd_err *err)
{
    if (rc == 0)
        http_reply_bytes(r, status, "application/json", doc, strlen(doc));
    else if (rc == PD_EINVAL)
        http_reply_status(r, 422, "invalid_field", "%s", err->msg);
    else
        http_reply_err(r, err);
    free(doc);
}

static int list(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    struct pd_boards_env e = env_of(r);
    return pd_boards_list(&e, project_of(r), sink, err);
}

void h_boards_list(struct http_req *r)
{
    srv_reply_rows(r, list, r, 0);
}

void h_board_create(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    const char *name = NULL, *description = NULL, *project = project_of(r);
    char *doc = NULL;
    if (http_arg_string(r, "name", 1, &name) || http_arg_string(r, "description", 0, &description) ||
        http_arg_string(r, "project", 0, &project))
        return;
    int rc = pd_board_create(&e, project, name, description, &doc, &err);
    answer(r, rc, 201, doc, &err);
}

void h_board_get(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    char *doc = NULL;
    int rc = pd_board_get(&e, project_of(r), http_param(r, "id"), &doc, &err);
    answer(r, rc, 200, doc, &err);
}

void h_board_update(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    char *doc = NULL;
    int rc = pd_board_update(&e, project_of(r), http_param(r, "id"), r->body, &doc, &err);
    answer(r, rc, 200, doc, &err);
}

void h_board_delete(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    int rc = pd_board_delete(&e, project_of(r), http_param(r, "id"), &err);
    answer(r, rc, 200, rc ? NULL : xasprintf("{\"id\":\"%s\",\"deleted\":true}", http_param(r, "id")),
           &err);
}

void h_board_item_add(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    char *doc = NULL;
    int rc = pd_board_item_add(&e, project_of(r), http_param(r, "id"), r->body, &doc, &err);
    answer(r, rc, 201, doc, &err);
}

void h_board_item_update(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    char *doc = NULL;
    int rc = pd_board_item_update(&e, project_of(r), http_param(r, "id"), http_param(r, "item"),
                                  r->body, &doc, &err);
    answer(r, rc, 200, doc, &err);
}

void h_board_item_delete(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    int rc = pd_board_item_delete(&e, project_of(r), http_param(r, "id"), http_param(r, "item"),
                                  &err);
    answer(r, rc, 200,
           rc ? NULL : xasprintf("{\"id\":\"%s\",\"deleted\":true}", http_param(r, "item")),
           &err);
}

void h_board_refresh(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    const char *item = NULL;
    char *doc = NULL;
    if (http_arg_string(r, "item", 0, &item))
        return;
    int rc = pd_board_refresh(&e, project_of(r), http_param(r, "id"), item, &doc, &err);
    answer(r, rc, 200, doc, &err);
}

void h_board_export(struct http_req *r)
{
    struct pd_boards_env e = env_of(r);
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf out = PD_BUF_INIT;
    const char *fmt_s = http_query(r, "format");
    enum pd_report_format fmt = PD_REPORT_HTML;
    if (fmt_s && pd_report_format_parse(fmt_s, &fmt) != 0) {
        http_reply_status(r, 422, "invalid_field", "format must be html or md, got '%s'", fmt_s);
        return;
    }
    if (pd_board_export(&e, project_of(r), http_param(r, "id"), fmt, &out, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_bytes(r, 200,
                        fmt == PD_REPORT_HTML ? "text/html; charset=utf-8"
                                              : "text/markdown; charset=utf-8",
                        out.ptr, out.len);
    pd_buf_release(&out);
}
