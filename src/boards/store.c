/*
 * store.c - boards and their items in _pluto.boards and _pluto.board_items:
 * create, read as JSON documents, change, delete, add items with their first
 * snapshot, refresh snapshots.
 */
#include "boards/internal.h"

#include "assets/projects.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "query/query.h"
#include "warehouse/warehouse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_JSON                                                                                  \
    "json_object('id', i.id, 'type', i.type, 'title', i.title, 'position', i.position, "           \
    "'payload', i.payload, 'render', i.render, 'snapshot', i.snapshot, 'snapshot_at', "            \
    "i.snapshot_at::VARCHAR, 'created_at', i.created_at::VARCHAR, 'updated_at', "                  \
    "i.updated_at::VARCHAR)"

#define BOARD_JSON                                                                                 \
    "SELECT json_object('id', b.id, 'project', b.project, 'name', b.name, 'description', "         \
    "b.description, 'filters', coalesce(b.filters, '[]')::JSON, 'created_at', "                     \
    "b.created_at::VARCHAR, 'updated_at', b.updated_at::VARCHAR, "                                 \
    "'items', coalesce((SELECT to_json(list(" ITEM_JSON " ORDER BY "                               \
    "(i.position->>'y')::INT, (i.position->>'x')::INT, i.created_at)) FROM _pluto.board_items i "  \
    "WHERE i.board_id = b.id), '[]'::JSON))::VARCHAR FROM _pluto.boards b WHERE b.id = $1"

static json_t *parse(const char *text, int *rc, struct pd_err *err)
{
    json_error_t jerr;
    json_t *v = text ? pd_json_loads_exact(text, 0, &jerr) : NULL;
    if (v == NULL)
        *rc = pd_fail(err, PD_EINTERNAL, "boards: unreadable document (%s)",
                      text ? jerr.text : "none");
    return v;
}

struct session {
    const struct pd_boards_env *e;
    duckdb_connection conn;
    const char *project;
    char *board_id;
    json_t *filter_values; /* what the board's filters give its items' queries (loaded when
                              a snapshot is first taken) */
    int writing;           /* holds board_writes */
};

/*
 * Changes to boards are read-modify-write: a new position is merged into the
 * stored one, a name is checked free before it is taken, the board's updated_at
 * is set. They run one at a time in the process that holds the warehouse (the
 * CLI goes through the server when one runs): two at once conflicted in DuckDB
 * ("Conflict on update", a 500) or lost one of the changes. A drag and a
 * resize in the web UI send two at once.
 */
static pthread_mutex_t board_writes = PTHREAD_MUTEX_INITIALIZER;

enum { READING, WRITING };

static void close_session(struct session *s)
{
    if (s->conn)
        pd_warehouse_release(s->e->wh, s->conn, 1);
    if (s->writing)
        pthread_mutex_unlock(&board_writes);
    free(s->board_id);
    json_decref(s->filter_values);
    memset(s, 0, sizeof(*s));
}

/* The values the board's filters give (an empty object when it has none). */
static int load_filter_values(struct session *s, struct pd_err *err)
{
    const char *vals[] = {s->board_id};
    int rc;
    char *text = pd_query_value_params(
        s->conn, "SELECT coalesce(filters, '[]') FROM _pluto.boards WHERE id = $1", vals, 1, &rc,
        err);
    json_t *filters = rc == 0 ? parse(text, &rc, err) : NULL;
    free(text);
    s->filter_values = filters ? board_filter_values(filters) : NULL;
    json_decref(filters);
    return rc;
}

/* Connect, check the project, find the board (when board is set); WRITING: one at a time. */
static int open_session(struct session *s, const struct pd_boards_env *e, const char *project,
                        const char *board, int mode, struct pd_err *err)
{
    int rc;
    memset(s, 0, sizeof(*s));
    s->e = e;
    s->project = project ? project : "default";
    if ((rc = pd_project_require(e->wh, e->home, s->project, err)) != 0)
        return rc;
    if (mode == WRITING) {
        pthread_mutex_lock(&board_writes);
        s->writing = 1;
    }
    if ((rc = pd_warehouse_acquire(e->wh, &s->conn, err)) != 0) {
        close_session(s);
        return rc;
    }
    if (board) {
        const char *vals[] = {s->project, board};
        s->board_id = pd_query_value_params(s->conn,
                                            "SELECT id FROM _pluto.boards WHERE project = $1 AND "
                                            "(id = $2 OR name = $2)",
                                            vals, 2, &rc, err);
        if (rc == 0 && s->board_id == NULL)
            rc = pd_fail(err, PD_ENOTFOUND,
                         "no board '%s' in project %s (see: pluto-duck board list)", board,
                         s->project);
    }
    if (rc)
        close_session(s);
    return rc;
}

/*
 * A note item's text as HTML, by the one renderer the export uses too, so that a
 * page shows it as the exported report does.
 */
static void note_html(json_t *item)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *text = json_string_value(json_object_get(json_object_get(item, "payload"), "text"));
    if (!type || strcmp(type, "markdown") || !text)
        return;
    struct pd_buf html = PD_BUF_INIT;
    board_markdown_html(&html, text);
    json_object_set_new(item, "html", json_string(html.len ? html.ptr : ""));
    pd_buf_release(&html);
}

/* A board's or an item's document with its snapshots (kept as text) embedded, notes as HTML. */
static char *with_snapshots(char *text, int board)
{
    json_t *doc = text ? pd_json_loads_exact(text, 0, NULL) : NULL, *item;
    size_t i;
    if (doc == NULL)
        return text;
    if (board) {
        json_array_foreach(json_object_get(doc, "items"), i, item)
        {
            pd_json_unembed(item, "snapshot");
            note_html(item);
        }
    } else {
        pd_json_unembed(doc, "snapshot");
        note_html(doc);
    }
    free(text);
    text = pd_json_dumps_exact(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

static char *board_text(struct session *s, int *rc, struct pd_err *err)
{
    const char *vals[] = {s->board_id};
    return with_snapshots(pd_query_value_params(s->conn, BOARD_JSON, vals, 1, rc, err), 1);
}

static int board_doc(struct session *s, char **out, struct pd_err *err)
{
    int rc;
    *out = board_text(s, &rc, err);
    return rc;
}

static int item_text(struct session *s, const char *item, char **out, struct pd_err *err)
{
    const char *vals[] = {s->board_id, item};
    int rc;
    *out = with_snapshots(pd_query_value_params(s->conn,
                                                "SELECT " ITEM_JSON "::VARCHAR FROM "
                                                "_pluto.board_items i "
                                                "WHERE i.board_id = $1 AND i.id = $2",
                                                vals, 2, &rc, err),
                          0);
    if (rc == 0 && *out == NULL)
        rc = pd_fail(err, PD_ENOTFOUND, "no item '%s' on board %s", item, s->board_id);
    return rc;
}

static int item_doc(struct session *s, const char *item, json_t **out, struct pd_err *err)
{
    char *text;
    int rc = item_text(s, item, &text, err);
    if (rc == 0)
        *out = parse(text, &rc, err);
    free(text);
    return rc;
}

static int touch(struct session *s, struct pd_err *err)
{
    const char *vals[] = {s->board_id};
    return pd_exec_params(s->conn, "UPDATE _pluto.boards SET updated_at = now() WHERE id = $1",
                          vals, 1, NULL, err);
}

int pd_boards_list(const struct pd_boards_env *e, const char *project, struct pd_sink *sink,
                   struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "boards"};
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_query *q;
    int rc;
    if (!project)
        project = "default";
    if ((rc = pd_project_require(e->wh, e->home, project, err)) != 0)
        return rc;
    pd_buf_adds(&sql, "SELECT b.id, b.name, b.description, (SELECT count(*) FROM "
                      "_pluto.board_items i WHERE i.board_id = b.id) AS items, b.created_at, "
                      "b.updated_at FROM _pluto.boards b WHERE b.project = ");
    pd_sql_literal(&sql, project);
    pd_buf_adds(&sql, " ORDER BY b.name");
    q = pd_query_new(e->wh, &o);
    rc = pd_query_run(q, sql.ptr, sink, NULL, err);
    pd_query_free(q);
    pd_buf_release(&sql);
    return rc;
}

/* PD_EEXIST when another board of the project has name. */
static int name_free(struct session *s, const char *name, struct pd_err *err)
{
    const char *vals[] = {s->project, name};
    int rc;
    char *id;
    if ((rc = pd_name_check("board", name, err)) != 0)
        return rc;
    id = pd_query_value_params(s->conn,
                               "SELECT id FROM _pluto.boards WHERE project = $1 AND name = $2",
                               vals, 2, &rc, err);
    if (rc == 0 && id)
        rc = pd_fail(err, PD_EEXIST, "project %s has a board named %s already", s->project, name);
    free(id);
    return rc;
}

int pd_board_create(const struct pd_boards_env *e, const char *project, const char *name,
                    const char *description, char **out, struct pd_err *err)
{
    struct session s;
    char id[PD_UUID_LEN + 1];
    int rc;
    if ((rc = pd_name_check("board", name, err)) != 0 ||
        (rc = open_session(&s, e, project, NULL, WRITING, err)) != 0)
        return rc;
    if ((rc = name_free(&s, name, err)) == 0) {
        const char *vals[] = {pd_uuid7(id), s.project, name, description};
        rc = pd_exec_params(
            s.conn,
            "INSERT INTO _pluto.boards (id, project, name, description) VALUES ($1, $2, $3, $4)",
            vals, 4, NULL, err);
        s.board_id = xstrdup(id);
    }
    if (rc == 0)
        rc = board_doc(&s, out, err);
    close_session(&s);
    return rc;
}

int pd_board_get(const struct pd_boards_env *e, const char *project, const char *board, char **out,
                 struct pd_err *err)
{
    struct session s;
    int rc = open_session(&s, e, project, board, READING, err);
    if (rc == 0)
        rc = board_doc(&s, out, err);
    close_session(&s);
    return rc;
}

int pd_board_update(const struct pd_boards_env *e, const char *project, const char *board,
                    const json_t *changes, char **out, struct pd_err *err)
{
    struct session s;
    json_t *name = json_object_get(changes, "name"),
           *desc = json_object_get(changes, "description"),
           *filters = json_object_get(changes, "filters");
    int rc;
    if (name && !json_is_string(name))
        return pd_fail(err, PD_EINVAL, "field 'name' must be a string");
    if (filters && (rc = board_filters_check(filters, err)) != 0)
        return rc;
    if (desc && !json_is_string(desc) && !json_is_null(desc))
        return pd_fail(err, PD_EINVAL, "field 'description' must be a string");
    if ((rc = open_session(&s, e, project, board, WRITING, err)) != 0)
        return rc;
    if (name) {
        const char *vals[] = {json_string_value(name), s.board_id};
        char *old = pd_query_value_params(
            s.conn, "SELECT name FROM _pluto.boards WHERE id = $2 AND name = $1", vals, 2, &rc,
            err);
        if (rc == 0 && old == NULL && (rc = name_free(&s, vals[0], err)) == 0)
            rc = pd_exec_params(s.conn, "UPDATE _pluto.boards SET name = $1 WHERE id = $2", vals, 2,
                                NULL, err);
        free(old);
    }
    if (rc == 0 && desc) {
        const char *vals[] = {json_string_value(desc), s.board_id};
        rc = pd_exec_params(s.conn, "UPDATE _pluto.boards SET description = $1 WHERE id = $2", vals,
                            2, NULL, err);
    }
    if (rc == 0 && filters) {
        char *text = pd_json_dumps_exact(filters, JSON_COMPACT);
        const char *vals[] = {text, s.board_id};
        rc = pd_exec_params(s.conn, "UPDATE _pluto.boards SET filters = $1 WHERE id = $2", vals, 2,
                            NULL, err);
        free(text);
    }
    if (rc == 0 && (rc = touch(&s, err)) == 0)
        rc = board_doc(&s, out, err);
    close_session(&s);
    return rc;
}

int pd_board_delete(const struct pd_boards_env *e, const char *project, const char *board,
                    struct pd_err *err)
{
    struct session s;
    int rc = open_session(&s, e, project, board, WRITING, err);
    const char *vals[] = {s.board_id};
    if (rc)
        return rc;
    if ((rc = pd_exec(s.conn, "BEGIN TRANSACTION", err)) == 0) {
        if ((rc = pd_exec_params(s.conn, "DELETE FROM _pluto.board_items WHERE board_id = $1", vals,
                                 1, NULL, err)) == 0 &&
            (rc = pd_exec_params(s.conn, "DELETE FROM _pluto.boards WHERE id = $1", vals, 1, NULL,
                                 err)) == 0)
            rc = pd_exec(s.conn, "COMMIT", err);
        if (rc)
            pd_exec(s.conn, "ROLLBACK", NULL);
    }
    close_session(&s);
    return rc;
}

/* JSON text of v (heap), or NULL for NULL / null. */
static char *text_of(const json_t *v)
{
    return v && !json_is_null(v) ? pd_json_dumps_exact(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Take the item's snapshot (as text in *snap) and check its render config against it. */
static int snapshot_checked(struct session *s, const json_t *item, char **snap, struct pd_err *err)
{
    json_t *doc = NULL;
    int rc = s->filter_values ? 0 : load_filter_values(s, err);
    if (rc == 0)
        rc = board_snapshot(s->e, s->project, item, s->filter_values, &doc, snap, err);
    if (rc == 0 && doc && (rc = board_render_check(item, doc, err)) != 0) {
        free(*snap);
        *snap = NULL;
    }
    json_decref(doc);
    return rc;
}

int pd_board_item_add(const struct pd_boards_env *e, const char *project, const char *board,
                      const json_t *spec, char **out, struct pd_err *err)
{
    struct session s;
    json_t *item;
    char id[PD_UUID_LEN + 1], *bottom, *pos = NULL, *payload = NULL, *render = NULL, *snap = NULL;
    int rc;
    if (!json_is_object(spec))
        return pd_fail(err, PD_EINVAL,
                       "an item must be an object {type, title, position, payload, render}");
    if ((rc = open_session(&s, e, project, board, WRITING, err)) != 0)
        return rc;
    item = json_deep_copy(spec);
    {
        const char *vals[] = {s.board_id};
        bottom =
            pd_query_value_params(s.conn,
                                  "SELECT max((position->>'y')::BIGINT + (position->>'h')::BIGINT) "
                                  "FROM _pluto.board_items WHERE board_id = $1",
                                  vals, 1, &rc, err);
    }
    if (rc == 0 && !json_object_get(item, "position"))
        json_object_set_new(
            item, "position",
            board_item_default_position(json_string_value(json_object_get(item, "type")),
                                        bottom ? atol(bottom) : 0));
    if (rc == 0 && (rc = board_item_check(item, err)) == 0 &&
        (rc = snapshot_checked(&s, item, &snap, err)) == 0) {
        const char *vals[] = {pd_uuid7(id),
                              s.board_id,
                              json_string_value(json_object_get(item, "type")),
                              json_string_value(json_object_get(item, "title")),
                              pos = text_of(json_object_get(item, "position")),
                              payload = text_of(json_object_get(item, "payload")),
                              render = text_of(json_object_get(item, "render")),
                              snap};
        rc = pd_exec_params(
            s.conn,
            "INSERT INTO _pluto.board_items (id, board_id, type, title, position, payload, "
            "render, snapshot, snapshot_at) VALUES ($1, $2, $3, $4, $5::JSON, $6::JSON, "
            "$7::JSON, $8, CASE WHEN $8 IS NULL THEN NULL ELSE now() END)",
            vals, 8, NULL, err);
        if (rc == 0 && (rc = touch(&s, err)) == 0)
            rc = item_text(&s, id, out, err);
    }
    free(bottom);
    free(pos);
    free(payload);
    free(render);
    free(snap);
    json_decref(item);
    close_session(&s);
    return rc;
}

/* Store a new snapshot of item. */
static int store_snapshot(struct session *s, const char *item, const char *snap, struct pd_err *err)
{
    const char *vals[] = {snap, item};
    return pd_exec_params(s->conn,
                          "UPDATE _pluto.board_items SET snapshot = $1, snapshot_at = now() "
                          "WHERE id = $2",
                          vals, 2, NULL, err);
}

int pd_board_item_update(const struct pd_boards_env *e, const char *project, const char *board,
                         const char *item_id, const json_t *changes, char **out, struct pd_err *err)
{
    static const char *const fields[] = {"title", "position", "payload", "render"};
    struct session s;
    json_t *old = NULL, *item = NULL, *type = json_object_get(changes, "type");
    char *texts[4] = {0}, *snap = NULL;
    int rc;
    if (!json_is_object(changes))
        return pd_fail(err, PD_EINVAL,
                       "the changes must be an object {title, position, payload, render}");
    if ((rc = open_session(&s, e, project, board, WRITING, err)) != 0)
        return rc;
    if ((rc = item_doc(&s, item_id, &old, err)) != 0)
        goto out;
    if (type && !json_equal(type, json_object_get(old, "type"))) {
        rc = pd_fail(err, PD_EINVAL, "field 'type': an item's type cannot change (add a new item)");
        goto out;
    }
    item = json_pack("{s:O, s:O, s:O, s:O, s:O}", "type", json_object_get(old, "type"), "title",
                     json_object_get(old, "title"), "position", json_object_get(old, "position"),
                     "payload", json_object_get(old, "payload"), "render",
                     json_object_get(old, "render"));
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(changes, fields[i]);
        if (v && i == 1 && json_is_object(v)) /* position: the given coordinates only */
            json_object_update(json_object_get(item, "position"), v);
        else if (v)
            json_object_set(item, fields[i], v);
    }
    if ((rc = board_item_check(item, err)) != 0)
        goto out;
    if (!json_equal(json_object_get(item, "payload"), json_object_get(old, "payload"))) {
        if ((rc = snapshot_checked(&s, item, &snap, err)) != 0)
            goto out;
    } else if ((rc = board_render_check(item, json_object_get(old, "snapshot"), err)) != 0) {
        goto out;
    }
    for (int i = 0; i < 4; i++)
        texts[i] = text_of(json_object_get(item, fields[i]));
    {
        const char *vals[] = {texts[0], texts[1], texts[2], texts[3], item_id};
        if (texts[0]) { /* the title is a plain string, not JSON */
            free(texts[0]);
            texts[0] = xstrdup(json_string_value(json_object_get(item, "title")));
            vals[0] = texts[0];
        }
        if ((rc = pd_exec(s.conn, "BEGIN TRANSACTION", err)) != 0)
            goto out;
        rc = pd_exec_params(
            s.conn,
            "UPDATE _pluto.board_items SET title = $1, position = $2::JSON, payload = "
            "$3::JSON, render = $4::JSON, updated_at = now() WHERE id = $5",
            vals, 5, NULL, err);
        if (rc == 0 && snap)
            rc = store_snapshot(&s, item_id, snap, err);
        if (rc == 0)
            rc = touch(&s, err);
        if (rc == 0)
            rc = pd_exec(s.conn, "COMMIT", err);
        else
            pd_exec(s.conn, "ROLLBACK", NULL);
    }
    if (rc == 0)
        rc = item_text(&s, item_id, out, err);
out:
    for (int i = 0; i < 4; i++)
        free(texts[i]);
    json_decref(old);
    json_decref(item);
    free(snap);
    close_session(&s);
    return rc;
}

int pd_board_item_delete(const struct pd_boards_env *e, const char *project, const char *board,
                         const char *item, struct pd_err *err)
{
    struct session s;
    json_t *old = NULL;
    int rc = open_session(&s, e, project, board, WRITING, err);
    if (rc)
        return rc;
    if ((rc = item_doc(&s, item, &old, err)) == 0) {
        const char *vals[] = {item};
        rc = pd_exec_params(s.conn, "DELETE FROM _pluto.board_items WHERE id = $1", vals, 1, NULL,
                            err);
        if (rc == 0)
            rc = touch(&s, err);
    }
    json_decref(old);
    close_session(&s);
    return rc;
}

int pd_board_refresh(const struct pd_boards_env *e, const char *project, const char *board,
                     const char *item_id, char **out, struct pd_err *err)
{
    struct session s;
    json_t *doc = NULL, *item, *errors;
    char *text = NULL;
    size_t i;
    int rc = open_session(&s, e, project, board, READING, err);
    if (rc)
        return rc;
    if (item_id && (rc = item_doc(&s, item_id, &item, err)) == 0)
        json_decref(item); /* it exists */
    if (rc == 0 && (text = board_text(&s, &rc, err)) != NULL)
        doc = parse(text, &rc, err);
    free(text);
    errors = json_array();
    json_array_foreach(rc == 0 ? json_object_get(doc, "items") : NULL, i, item)
    {
        struct pd_err e1 = PD_ERR_INIT;
        char *snap = NULL;
        const char *id = json_string_value(json_object_get(item, "id"));
        if ((item_id && strcmp(id, item_id) != 0) ||
            !board_item_has_query(json_string_value(json_object_get(item, "type"))))
            continue;
        if (snapshot_checked(&s, item, &snap, &e1) == 0) { /* the query runs unlocked */
            pthread_mutex_lock(&board_writes);
            store_snapshot(&s, id, snap, &e1);
            pthread_mutex_unlock(&board_writes);
        }
        if (e1.code && item_id)
            rc = pd_fail(err, e1.code, "%s", e1.msg);
        else if (e1.code)
            json_array_append_new(errors,
                                  json_pack("{s:s, s:O, s:s}", "item", id, "title",
                                            json_object_get(item, "title"), "error", e1.msg));
        free(snap);
    }
    json_decref(doc);
    if (rc == 0) {
        pthread_mutex_lock(&board_writes);
        rc = touch(&s, err);
        pthread_mutex_unlock(&board_writes);
    }
    if (rc == 0 && (text = board_text(&s, &rc, err)) != NULL) {
        /* the board document with refresh_errors added before its closing brace */
        char *errs = pd_json_dumps_exact(errors, JSON_COMPACT);
        size_t n = strlen(text);
        *out = xasprintf("%.*s,\"refresh_errors\":%s}", (int)(n - 1), text, errs);
        free(errs);
        free(text);
    }
    json_decref(errors);
    close_session(&s);
    return rc;
}
