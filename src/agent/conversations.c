/*
 * conversations.c - conversations, their messages and run events in _pluto,
 * and their work zones (see conversations.h).
 */
#include "agent/conversations.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "warehouse/journal.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>

#define TITLE_MAX 80 /* characters of the first question kept as the title */

#define CONV_JSON                                                                                  \
    "json_object('id', c.id, 'project', c.project, 'title', c.title, 'created_at', "              \
    "c.created_at::VARCHAR, 'updated_at', coalesce((SELECT max(m.created_at) FROM "               \
    "_pluto.messages m WHERE m.conversation_id = c.id), c.created_at)::VARCHAR, 'messages', "     \
    "(SELECT count(*) FROM _pluto.messages m WHERE m.conversation_id = c.id))"

void ag_work_schema(const char *conversation_id, char out[AG_WORK_SCHEMA_MAX])
{
    size_t n = strlen("work_");
    memcpy(out, "work_", n);
    for (const char *c = conversation_id; *c && n < AG_WORK_SCHEMA_MAX - 1; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))
            out[n++] = *c;
    out[n] = '\0';
}

/* Run a statement whose one value is a JSON document; *out gets it parsed (NULL: no row). */
static int query_doc(struct pd_warehouse *wh, const char *sql, const char *const *vals, int n,
                     json_t **out, struct pd_err *err)
{
    duckdb_connection conn;
    char *text;
    int rc;
    *out = NULL;
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    text = pd_query_value_params(conn, sql, vals, n, &rc, err);
    pd_warehouse_release(wh, conn, 1);
    if (rc == 0 && text && (*out = pd_json_loads_exact(text, JSON_DECODE_ANY, NULL)) == NULL)
        rc = pd_fail(err, PD_EINTERNAL, "conversations: an unreadable document");
    free(text);
    return rc;
}

/* Messages keep their data as text (exact numbers): embed it. */
static void unembed_data(json_t *messages)
{
    json_t *m;
    size_t i;
    json_array_foreach(messages, i, m) pd_json_unembed(m, "data");
}

int ag_conv_create(struct pd_warehouse *wh, const char *project, const char *title, char *id,
                   struct pd_err *err)
{
    duckdb_connection conn;
    char cut[TITLE_MAX * 4 + 4];
    size_t n = 0, chars = 0;
    int rc;
    /* the title: the first line of the question, TITLE_MAX characters at most */
    while (title[n] && title[n] != '\n' && n < sizeof(cut) - 4) {
        if (((unsigned char)title[n] & 0xc0) != 0x80 && ++chars > TITLE_MAX)
            break;
        n++;
    }
    memcpy(cut, title, n);
    strcpy(cut + n, title[n] && title[n] != '\n' ? "…" : "");
    pd_uuid7(id);
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    const char *vals[] = {id, project ? project : "default", cut};
    rc = pd_exec_params(conn,
                        "INSERT INTO _pluto.conversations (id, project, title) VALUES ($1, $2, $3)",
                        vals, 3, NULL, err);
    pd_warehouse_release(wh, conn, 1);
    return rc;
}

int ag_conv_get(struct pd_warehouse *wh, const char *id, json_t **out, struct pd_err *err)
{
    const char *vals[] = {id};
    int rc = query_doc(wh, "SELECT " CONV_JSON "::VARCHAR FROM _pluto.conversations c WHERE c.id = $1",
                       vals, 1, out, err);
    if (rc == 0 && *out == NULL)
        rc = pd_fail(err, PD_ENOTFOUND,
                     "no conversation '%s' (list them with pluto-duck chat --list or GET "
                     "/api/v1/chat/sessions)",
                     id);
    return rc;
}

int ag_conv_list(struct pd_warehouse *wh, const char *project, json_t **out, struct pd_err *err)
{
    const char *vals[] = {project};
    int rc = query_doc(wh,
                       "SELECT coalesce(to_json(list(doc ORDER BY doc->>'updated_at' DESC)), "
                       "'[]')::VARCHAR FROM (SELECT " CONV_JSON " AS doc FROM "
                       "_pluto.conversations c WHERE $1 IS NULL OR c.project = $1)",
                       vals, 1, out, err);
    if (rc == 0 && *out == NULL)
        *out = json_array();
    return rc;
}

int ag_conv_messages(struct pd_warehouse *wh, const char *id, json_t **out, struct pd_err *err)
{
    const char *vals[] = {id};
    int rc = query_doc(wh,
                       "SELECT coalesce(to_json(list(json_object('role', role, 'content', "
                       "content, 'run_id', run_id, 'data', data, 'created_at', "
                       "created_at::VARCHAR) ORDER BY created_at, rowid)), '[]')::VARCHAR FROM "
                       "_pluto.messages WHERE conversation_id = $1",
                       vals, 1, out, err);
    if (rc == 0 && *out == NULL)
        *out = json_array();
    unembed_data(*out);
    return rc;
}

int ag_conv_add(struct pd_warehouse *wh, const char *id, const char *run_id, const char *role,
                const char *content, const json_t *data, struct pd_err *err)
{
    duckdb_connection conn;
    char *doc = data ? pd_json_dumps_exact(data, JSON_COMPACT) : NULL;
    int rc;
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) == 0) {
        const char *vals[] = {id, run_id, role, content, doc};
        rc = pd_exec_params(conn,
                            "INSERT INTO _pluto.messages (conversation_id, run_id, role, content, "
                            "data) VALUES ($1, $2, $3, $4, $5)",
                            vals, 5, NULL, err);
        pd_warehouse_release(wh, conn, 1);
    }
    free(doc);
    return rc;
}

/* In one transaction on conn: the rows of conversation id and its work zone. */
static int delete_on(duckdb_connection conn, const char *id, struct pd_err *err)
{
    char schema[AG_WORK_SCHEMA_MAX];
    struct pd_buf drop = PD_BUF_INIT;
    const char *vals[] = {id};
    int rc;
    ag_work_schema(id, schema);
    pd_buf_adds(&drop, "DROP SCHEMA IF EXISTS ");
    pd_sql_ident(&drop, schema);
    pd_buf_adds(&drop, " CASCADE");
    if ((rc = pd_exec(conn, drop.ptr, err)) == 0 &&
        (rc = pd_exec_params(conn,
                             "DELETE FROM _pluto.agent_events WHERE run_id IN (SELECT run_id FROM "
                             "_pluto.messages WHERE conversation_id = $1)",
                             vals, 1, NULL, err)) == 0 &&
        (rc = pd_exec_params(conn, "DELETE FROM _pluto.messages WHERE conversation_id = $1", vals,
                             1, NULL, err)) == 0)
        rc = pd_exec_params(conn, "DELETE FROM _pluto.conversations WHERE id = $1", vals, 1, NULL,
                            err);
    pd_buf_release(&drop);
    return rc;
}

/* Delete each of ids in one transaction. */
static int delete_all(struct pd_warehouse *wh, json_t *ids, struct pd_err *err)
{
    duckdb_connection conn;
    json_t *id;
    size_t i;
    int rc;
    /* stored events may still be queued: they must not outlive their conversation */
    pd_journal_flush(pd_warehouse_journal(wh));
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    rc = pd_exec(conn, "BEGIN", err);
    json_array_foreach(ids, i, id) {
        if (rc == 0)
            rc = delete_on(conn, json_string_value(id), err);
    }
    if (rc == 0)
        rc = pd_exec(conn, "COMMIT", err);
    if (rc)
        duckdb_query(conn, "ROLLBACK", NULL);
    pd_warehouse_release(wh, conn, rc == 0);
    return rc;
}

int ag_conv_delete(struct pd_warehouse *wh, const char *id, struct pd_err *err)
{
    json_t *doc, *ids;
    int rc;
    if ((rc = ag_conv_get(wh, id, &doc, err)) != 0)
        return rc;
    json_decref(doc);
    ids = json_pack("[s]", id);
    rc = delete_all(wh, ids, err);
    json_decref(ids);
    return rc;
}

int ag_conv_expire(struct pd_warehouse *wh, double ttl_s, int *deleted, struct pd_err *err)
{
    char seconds[32];
    json_t *ids;
    int rc;
    *deleted = 0;
    if (ttl_s <= 0)
        return 0;
    snprintf(seconds, sizeof(seconds), "%.0f", ttl_s);
    const char *vals[] = {seconds};
    rc = query_doc(wh,
                   "SELECT to_json(list(c.id))::VARCHAR FROM _pluto.conversations c WHERE "
                   "coalesce((SELECT max(m.created_at) FROM _pluto.messages m WHERE "
                   "m.conversation_id = c.id), c.created_at) < now() - to_seconds($1::DOUBLE)",
                   vals, 1, &ids, err);
    if (rc == 0 && json_array_size(ids) > 0 && (rc = delete_all(wh, ids, err)) == 0)
        *deleted = (int)json_array_size(ids);
    json_decref(ids);
    return rc;
}

int ag_conv_run(struct pd_warehouse *wh, const char *run_id, json_t **out, struct pd_err *err)
{
    const char *vals[] = {run_id};
    json_t *doc, *data, *q, *a;
    int rc = query_doc(wh,
                       "SELECT to_json(list(json_object('role', role, 'content', content, "
                       "'conversation_id', conversation_id, 'data', data) ORDER BY created_at, "
                       "rowid))::VARCHAR FROM _pluto.messages WHERE run_id = $1",
                       vals, 1, &doc, err);
    if (rc)
        return rc;
    unembed_data(doc);
    q = json_array_get(doc, 0);
    a = json_array_get(doc, 1);
    if (q == NULL) {
        json_decref(doc);
        return pd_fail(err, PD_ENOTFOUND, "no agent run '%s'", run_id);
    }
    data = json_object_get(a, "data");
    *out = json_pack("{s:s, s:s, s:O, s:O}", "run_id", run_id, "kind", "agent", "conversation_id",
                     json_object_get(q, "conversation_id"), "question",
                     json_object_get(q, "content"));
    if (a == NULL) { /* the process ended during the run */
        json_object_set_new(*out, "status", json_string("interrupted"));
    } else if (json_object_get(data, "error")) {
        json_object_set_new(*out, "status", json_string("failed"));
        json_object_set_new(*out, "error",
                            json_pack("{s:O, s:O}", "code", json_object_get(data, "error"),
                                      "message", json_object_get(a, "content")));
    } else {
        json_object_set_new(*out, "status", json_string("completed"));
        json_object_set_new(*out, "result",
                            json_pack("{s:s, s:O, s:O, s:O?, s:O?, s:O?, s:O}", "run_id", run_id,
                                      "conversation_id", json_object_get(q, "conversation_id"),
                                      "answer", json_object_get(a, "content"), "sql",
                                      json_object_get(data, "sql"), "result",
                                      json_object_get(data, "result"), "chart",
                                      json_object_get(data, "chart"), "answered",
                                      json_object_get(data, "answered")));
    }
    json_decref(doc);
    return 0;
}

void ag_events_store(struct pd_warehouse *wh, const json_t *event)
{
    const json_t *meta = json_object_get(event, "metadata");
    char *doc = pd_json_dumps_exact(event, JSON_COMPACT);
    const struct pd_jcell row[] = {
        PD_JCELL_TEXT(json_string_value(json_object_get(meta, "run_id"))),
        PD_JCELL_INT(json_integer_value(json_object_get(meta, "sequence"))),
        PD_JCELL_TEXT(doc),
    };
    pd_journal_add_row(pd_warehouse_journal(wh), "agent_events", row, sizeof(row) / sizeof(row[0]));
    free(doc);
}

int ag_events_read(struct pd_warehouse *wh, const char *run_id, json_t **out, struct pd_err *err)
{
    const char *vals[] = {run_id};
    int rc;
    pd_journal_flush(pd_warehouse_journal(wh));
    rc = query_doc(wh,
                   "SELECT coalesce(to_json(list(event ORDER BY sequence)), '[]')::VARCHAR FROM "
                   "_pluto.agent_events WHERE run_id = $1",
                   vals, 1, out, err);
    if (rc == 0 && *out == NULL)
        *out = json_array();
    pd_json_unembed_all(*out);
    return rc;
}
