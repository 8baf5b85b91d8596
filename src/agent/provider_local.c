/*
 * provider_local.c - the offline provider: it plays the model's part with the
 * same tools a model has. It lists the tables, describes them, looks up the
 * question's words among the values of text columns (one run_sql), plans the
 * SQL (local.c), runs it with run_sql and answers in words - or says plainly
 * that it cannot answer. "save it as analysis NAME" saves the conversation's
 * last answer with save_analysis (which the user approves first).
 */
#include "agent/agent.h"
#include "agent/local.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/strv.h"

#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TABLES 32
#define MAX_COLS 64

struct local {
    struct ag_provider base;
    struct ag_plan plan;
    /* the schema as describe_table gave it */
    struct ag_table tables[MAX_TABLES];
    struct ag_col cols[MAX_TABLES][MAX_COLS];
    struct ag_schema schema;
    json_t *values; /* rows [table, column, value] of the lookup */
};

static void schema_clear(struct local *l)
{
    for (size_t t = 0; t < l->schema.n; t++) {
        free((char *)l->tables[t].schema);
        free((char *)l->tables[t].name);
        for (size_t c = 0; c < l->tables[t].ncols; c++) {
            free((char *)l->cols[t][c].name);
            free((char *)l->cols[t][c].type);
        }
    }
    memset(l->tables, 0, sizeof(l->tables));
    l->schema.n = 0;
    json_decref(l->values);
    l->values = NULL;
}

static json_t *tool_call(const char *id, const char *name, json_t *args)
{
    char *text = pd_json_dumps_exact(args, JSON_COMPACT);
    json_t *c = json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", id, "type", "function", "function",
                          "name", name, "arguments", text);
    free(text);
    json_decref(args);
    return c;
}

static json_t *say(const char *text)
{
    return json_pack("{s:s, s:s}", "role", "assistant", "content", text);
}

/* A final message without an answer: text says why. */
static json_t *cannot(const char *text)
{
    json_t *m = say(text);
    json_object_set_new(m, "pd_unanswered", json_true());
    return m;
}

/* The tool results since the last assistant message that called tools: [name, parsed result]. */
static const json_t *last_calls(const json_t *messages, size_t *first)
{
    size_t n = json_array_size(messages);
    for (size_t i = n; i-- > 0;) {
        const json_t *m = json_array_get(messages, i);
        if (strcmp(json_string_value(json_object_get(m, "role")), "assistant") == 0) {
            *first = i + 1;
            return json_object_get(m, "tool_calls");
        }
        if (strcmp(json_string_value(json_object_get(m, "role")), "user") == 0)
            return NULL;
    }
    return NULL;
}

/* The parsed content of the tool message answering call id. */
static json_t *result_of(const json_t *messages, size_t from, const char *id)
{
    for (size_t i = from; i < json_array_size(messages); i++) {
        const json_t *m = json_array_get(messages, i);
        const char *cid = json_string_value(json_object_get(m, "tool_call_id"));
        if (cid && strcmp(cid, id) == 0)
            return pd_json_loads_exact(json_string_value(json_object_get(m, "content")), 0, NULL);
    }
    return NULL;
}

/*
 * The question (the last user message) and its context: the question before
 * it with the follow-ups that came after that one, one per line (heap; NULL
 * when the question is the first). Questions that got no answer are left
 * out: their words would be read again, and refused again, in every turn.
 */
static const char *question_of(const json_t *messages, char **previous)
{
    const char **asked = xcalloc(json_array_size(messages) + 1, sizeof(*asked));
    const char *q = "";
    struct pd_buf chain = PD_BUF_INIT;
    size_t i, n = 0, start;
    int open = 0; /* the last question counted has had no reply yet */
    json_t *m;
    json_array_foreach(messages, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        if (strcmp(role, "user") == 0) {
            asked[n++] = json_string_value(json_object_get(m, "content"));
            open = 1;
        } else if (open && json_is_true(json_object_get(m, "pd_unanswered"))) {
            n--; /* the question this reply refused */
            open = 0;
        }
    }
    *previous = NULL;
    if (n > 0)
        q = asked[n - 1];
    /* back from the question before this one to the last that stood alone */
    start = n > 1 ? n - 2 : 0;
    while (start > 0 && ag_local_follows_up(asked[start]))
        start--;
    for (i = start; n > 1 && i + 1 < n; i++) {
        pd_buf_adds(&chain, chain.len ? "\n" : "");
        for (const char *c = asked[i]; *c; c++)
            pd_buf_addc(&chain, *c == '\n' || *c == '\r' ? ' ' : *c);
    }
    if (chain.len)
        *previous = pd_buf_detach(&chain, NULL);
    pd_buf_release(&chain);
    free(asked);
    return q;
}

/* After list_tables: describe each table. */
static json_t *describe_all(const json_t *listing)
{
    json_t *calls = json_array(), *row;
    size_t i;
    json_array_foreach(json_object_get(listing, "rows"), i, row) {
        char id[32];
        if (i == MAX_TABLES)
            break;
        snprintf(id, sizeof(id), "describe_%zu", i);
        char *name = xasprintf("%s.%s", json_string_value(json_array_get(row, 0)),
                               json_string_value(json_array_get(row, 1)));
        json_array_append_new(calls, tool_call(id, "describe_table",
                                               json_pack("{s:s}", "table", name)));
        free(name);
    }
    return json_pack("{s:s, s:s, s:o}", "role", "assistant", "content",
                     "Looking at the tables' columns.", "tool_calls", calls);
}

/* describe_table results (rows: schema, table, column, type, ...) into the schema. */
static void learn(struct local *l, const json_t *described)
{
    json_t *row;
    size_t i;
    json_array_foreach(json_object_get(described, "rows"), i, row) {
        const char *schema = json_string_value(json_array_get(row, 0));
        const char *table = json_string_value(json_array_get(row, 1));
        size_t t;
        for (t = 0; t < l->schema.n; t++)
            if (strcmp(l->tables[t].schema, schema) == 0 && strcmp(l->tables[t].name, table) == 0)
                break;
        if (t == l->schema.n) {
            if (t == MAX_TABLES)
                return;
            l->tables[t].schema = xstrdup(schema);
            l->tables[t].name = xstrdup(table);
            l->tables[t].cols = l->cols[t];
            l->schema.n++;
        }
        if (l->tables[t].ncols < MAX_COLS) {
            l->cols[t][l->tables[t].ncols].name = xstrdup(json_string_value(json_array_get(row, 2)));
            l->cols[t][l->tables[t].ncols].type = xstrdup(json_string_value(json_array_get(row, 3)));
            l->tables[t].ncols++;
        }
    }
    l->schema.tables = l->tables;
}

/* One SELECT finding which candidate words are values of which text columns. */
static char *lookup_sql(const struct local *l, const struct pd_strv *words)
{
    struct pd_buf sql = PD_BUF_INIT, in = PD_BUF_INIT;
    for (size_t i = 0; i < words->n; i++) {
        char *lower = xstrdup(words->v[i]);
        for (char *c = lower; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        pd_buf_adds(&in, i ? ", " : "");
        pd_sql_literal(&in, lower);
        free(lower);
    }
    for (size_t t = 0; t < l->schema.n; t++)
        for (size_t c = 0; c < l->tables[t].ncols; c++) {
            if (strncmp(l->cols[t][c].type, "VARCHAR", 7) != 0 || strchr(l->cols[t][c].type, '['))
                continue; /* text only: lower() of a list is an error */
            pd_buf_adds(&sql, sql.len ? " UNION " : "");
            pd_buf_adds(&sql, "SELECT DISTINCT ");
            pd_sql_literal(&sql, l->tables[t].name);
            pd_buf_adds(&sql, " AS t, ");
            pd_sql_literal(&sql, l->cols[t][c].name);
            pd_buf_adds(&sql, " AS c, ");
            pd_sql_ident(&sql, l->cols[t][c].name);
            pd_buf_adds(&sql, " AS v FROM ");
            pd_sql_ident(&sql, l->tables[t].schema);
            pd_buf_addc(&sql, '.');
            pd_sql_ident(&sql, l->tables[t].name);
            pd_buf_adds(&sql, " WHERE lower(");
            pd_sql_ident(&sql, l->cols[t][c].name);
            pd_buf_addf(&sql, ") IN (%s)", in.ptr);
        }
    pd_buf_release(&in);
    return sql.len ? pd_buf_detach(&sql, NULL) : NULL;
}

static int lookup(void *arg, const struct ag_table *t, const char *column, const char *text,
                  char **exact)
{
    struct local *l = arg;
    json_t *row;
    size_t i;
    json_array_foreach(json_object_get(l->values, "rows"), i, row)
        if (strcmp(json_string_value(json_array_get(row, 0)), t->name) == 0 &&
            strcmp(json_string_value(json_array_get(row, 1)), column) == 0 &&
            strcasecmp(json_string_value(json_array_get(row, 2)), text) == 0) {
            *exact = xstrdup(json_string_value(json_array_get(row, 2)));
            return 1;
        }
    return 0;
}

/*
 * Plan and run the answer's SQL, or say why not. A question after another is
 * read with it when it reads as a follow-up, or when it cannot be answered
 * alone ("how many orders in 2024" then "and in 2023?").
 */
static json_t *plan(struct local *l, const char *previous, const char *question)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    ag_plan_clear(&l->plan);
    if (previous && ag_local_follows_up(question)) {
        rc = ag_local_plan(previous, question, &l->schema, lookup, l, &l->plan, &err);
    } else if ((rc = ag_local_plan(NULL, question, &l->schema, lookup, l, &l->plan, &err)) != 0 &&
               previous) {
        struct pd_err with_context = PD_ERR_INIT;
        if (ag_local_plan(previous, question, &l->schema, lookup, l, &l->plan, &with_context) == 0)
            rc = 0;
    }
    if (rc)
        return cannot(err.msg);
    char *content = xasprintf("Computing %s.", l->plan.explanation);
    json_t *m = json_pack("{s:s, s:s, s:[o]}", "role", "assistant", "content", content,
                          "tool_calls",
                          tool_call("answer", "run_sql", json_pack("{s:s}", "sql", l->plan.sql)));
    free(content);
    return m;
}

/*
 * A value for the answer's words: a fraction rounded to what a reader takes
 * in (2 decimals, or 3 significant digits below 1); the result keeps it whole.
 */
static char *display(const json_t *v)
{
    const char *digits = pd_json_number_text(v);
    /* (past 1e15 a double no longer holds every digit before the point: left as it is) */
    if ((json_is_real(v) || (digits && strpbrk(digits, ".eE"))) &&
        fabs(pd_json_number_value(v)) < 1e15) {
        double d = pd_json_number_value(v);
        char buf[64];
        if (fabs(d) >= 1 || d == 0)
            snprintf(buf, sizeof(buf), "%.2f", d);
        else
            snprintf(buf, sizeof(buf), "%.3g", d);
        if (strchr(buf, '.') && !strchr(buf, 'e')) { /* 12.50 -> 12.5, 3.00 -> 3 */
            char *end = buf + strlen(buf) - 1;
            while (*end == '0')
                *end-- = '\0';
            if (*end == '.')
                *end = '\0';
        }
        return xstrdup(buf);
    }
    return pd_json_dumps_exact(v, JSON_ENCODE_ANY);
}

static json_t *answer(struct local *l, const json_t *result)
{
    const char *error = json_string_value(json_object_get(result, "error"));
    json_t *rows = json_object_get(result, "rows"), *m;
    char *text;
    if (error)
        return cannot(error);
    long long n = json_integer_value(json_object_get(result, "row_count"));
    if (n == 1 && json_array_size(json_array_get(rows, 0)) == 1) {
        char *v = display(json_array_get(json_array_get(rows, 0), 0));
        text = xasprintf("The %s is %s.", l->plan.explanation, v);
        free(v);
    } else {
        text = xasprintf("Here is the %s: %lld row%s.", l->plan.explanation, n, n == 1 ? "" : "s");
    }
    m = say(text);
    free(text);
    if (l->plan.chart)
        json_object_set_new(m, "pd_chart", json_pack("{s:s, s:s, s:s}", "type", l->plan.chart,
                                                     "x", l->plan.x, "y", l->plan.y));
    return m;
}

/*
 * "save it as analysis top_customers", "keep this as top_customers": the name
 * to save the conversation's last answer under, or 0.
 */
static int save_request(const char *question, char *name, size_t size)
{
    static const char *const filler[] = {"it", "this", "that", "the", "answer", "result",
                                         "query", "sql", "as", "an", "analysis", "named",
                                         "called", "please", NULL};
    char word[64];
    const char *p = question;
    int n = 0, k;
    *name = '\0';
    while (sscanf(p, " %63[A-Za-z0-9_]%n", word, &k) == 1) {
        int skip = 0;
        p += k;
        while (*p && !isalnum((unsigned char)*p) && *p != '_' && *p != ' ')
            p++;
        if (n++ == 0) {
            if (strcasecmp(word, "save") != 0 && strcasecmp(word, "keep") != 0)
                return 0;
            continue;
        }
        for (const char *const *f = filler; *f; f++)
            skip |= strcasecmp(word, *f) == 0;
        if (!skip) {
            if (*name) /* more than one name: not a plain request */
                return 0;
            snprintf(name, size, "%s", word);
        }
    }
    return *p == '\0' && *name && !isdigit((unsigned char)*name);
}

/* The SQL of the conversation's last answer (heap), or NULL. */
static char *last_answer_sql(const json_t *messages)
{
    for (size_t i = json_array_size(messages); i-- > 0;) {
        const json_t *m = json_array_get(messages, i);
        const char *text = json_string_value(json_object_get(m, "content"));
        const char *sql = text ? strstr(text, "\n\nSQL used:\n") : NULL;
        if (strcmp(json_string_value(json_object_get(m, "role")), "assistant") == 0 && sql)
            return xstrdup(sql + strlen("\n\nSQL used:\n"));
    }
    return NULL;
}

/* Saving the last answer as an analysis (the loop asks the user first). */
static json_t *save(const json_t *messages, const char *name, const char *previous)
{
    char *sql = last_answer_sql(messages);
    json_t *m;
    if (sql == NULL)
        return cannot("There is no answer with SQL in this conversation to save yet: ask a "
                      "question first.");
    m = json_pack("{s:s, s:s, s:[o]}", "role", "assistant", "content",
                  "Saving the last answer as an analysis.", "tool_calls",
                  tool_call("save", "save_analysis",
                            json_pack("{s:s, s:s, s:s?}", "id", name, "sql", sql, "description",
                                      previous)));
    free(sql);
    return m;
}

/* The next message, after the tool results (if any) at the end of messages. */
static json_t *step(struct local *l, const json_t *messages, const char *previous,
                    const char *question)
{
    size_t from = 0;
    const json_t *calls = last_calls(messages, &from);
    const char *last = json_string_value(
        json_object_get(json_object_get(json_array_get(calls, 0), "function"), "name"));
    const char *id = json_string_value(json_object_get(json_array_get(calls, 0), "id"));
    json_t *result, *reply;

    char name[64];
    if (!last && save_request(question, name, sizeof(name)))
        return save(messages, name, previous);
    if (last && strcmp(last, "save_analysis") == 0) {
        const char *error;
        result = result_of(messages, from, id);
        error = json_string_value(json_object_get(result, "error"));
        if (error) {
            char *text = xasprintf("Not saved: %s", error);
            reply = cannot(text);
            free(text);
        } else {
            char *text = xasprintf("Saved as analysis %s (project %s).",
                                   json_string_value(json_object_get(result, "saved")),
                                   json_string_value(json_object_get(result, "project")));
            reply = say(text);
            free(text);
        }
        json_decref(result);
        return reply;
    }
    if (!last) { /* a new question */
        schema_clear(l);
        reply = json_pack("{s:s, s:s, s:[o]}", "role", "assistant", "content",
                           "Looking at the tables in the warehouse.", "tool_calls",
                           tool_call("tables", "list_tables", json_object()));
        return reply;
    }
    if (strcmp(last, "list_tables") == 0) {
        result = result_of(messages, from, id);
        reply = describe_all(result);
        json_decref(result);
        if (json_array_size(json_object_get(reply, "tool_calls")) == 0) {
            json_decref(reply);
            reply = cannot("The warehouse has no tables to answer from yet.");
        }
        return reply;
    }
    if (strcmp(last, "describe_table") == 0) {
        struct pd_strv words = {0};
        size_t i;
        json_t *c;
        json_array_foreach(calls, i, c) {
            result = result_of(messages, from, json_string_value(json_object_get(c, "id")));
            learn(l, result);
            json_decref(result);
        }
        char *both = xasprintf("%s %s", previous ? previous : "", question);
        ag_local_candidates(both, &l->schema, &words);
        free(both);
        char *sql = words.n ? lookup_sql(l, &words) : NULL;
        pd_strv_clear(&words);
        if (sql) {
            reply = json_pack("{s:s, s:s, s:[o]}", "role", "assistant", "content",
                               "Looking up the question's words among the values.", "tool_calls",
                               tool_call("lookup", "run_sql", json_pack("{s:s}", "sql", sql)));
            free(sql);
        } else {
            reply = plan(l, previous, question);
        }
        return reply;
    }
    result = result_of(messages, from, id);
    if (id && strcmp(id, "lookup") == 0) {
        json_decref(l->values);
        l->values = json_incref(result);
        reply = plan(l, previous, question);
    } else {
        reply = answer(l, result);
    }
    json_decref(result);
    return reply;
}

static int next(struct ag_provider *p, const json_t *messages, const json_t *tools,
                json_t **reply, struct pd_err *err)
{
    char *previous;
    const char *question = question_of(messages, &previous);
    (void)tools;
    (void)err;
    *reply = step((struct local *)p, messages, previous, question);
    free(previous);
    return 0;
}

static void local_free(struct ag_provider *p)
{
    struct local *l = (struct local *)p;
    schema_clear(l);
    ag_plan_clear(&l->plan);
    free(l);
}

struct ag_provider *ag_provider_local(void)
{
    struct local *l = xcalloc(1, sizeof(*l));
    l->base.name = "local";
    l->base.next = next;
    l->base.free = local_free;
    return &l->base;
}
