/*
 * treescan.c - the relations a parse tree reads, straight from its JSON text.
 *
 * json_serialize_sql writes a tree of thousands of nodes for a short query;
 * building it as jansson objects only to look at a few of them was most of a
 * project's compile. This reads the text once, keeping per object only the
 * string fields that matter, and decides what an object is when it closes:
 *   - BASE_TABLE {catalog_name, schema_name, table_name, alias}: a relation;
 *   - SHOW_REF {table_name}: a relation (SHOW TABLES and the like);
 *   - TABLE_FUNCTION {function: {function_name, children: [{value: {value}}]}}:
 *     a function called, and a relation when it is read_* / parquet_scan of a
 *     constant path;
 *   - cte_map: {map: [{key}]}: the names a WITH defines.
 * Relations keep the order a walk from the root meets them (an object's own
 * before those nested in it), as the tree walk this replaced did.
 */
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 4096 /* far deeper than any tree DuckDB's parser accepts */

enum field { F_TYPE, F_CATALOG, F_SCHEMA, F_TABLE, F_ALIAS, F_FUNCTION_NAME, F_KEY, F_VALUE,
             F_ERROR_MESSAGE, F_COUNT };

static const char *const field_names[F_COUNT] = {
    "type", "catalog_name", "schema_name", "table_name", "alias", "function_name", "key", "value",
    "error_message",
};

/* What an object leaves its parent: its string fields and what its children said. */
struct node {
    char *f[F_COUNT];
    char *value_value;   /* "value": {"value": "<string>"} (a constant) */
    char *first_arg;     /* "children": [{"value": {"value": "<string>"}}, ...] */
    char *fn_name, *fn_first_arg; /* "function": {...} of a TABLE_FUNCTION */
    int error;           /* "error": true at the top */
};

struct scan {
    const char *p, *end;
    struct dp_refs *r;
    int depth, bad;
};

static void node_clear(struct node *n)
{
    for (int i = 0; i < F_COUNT; i++)
        free(n->f[i]);
    free(n->value_value);
    free(n->first_arg);
    free(n->fn_name);
    free(n->fn_first_arg);
    memset(n, 0, sizeof(*n));
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
        s->p++;
}

static void put_utf8(struct pd_buf *b, unsigned cp)
{
    char u[4];
    int n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    pd_buf_add(b, u, (size_t)n);
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* A string at s->p (its opening quote): its text into *out (heap) when out is given. */
static void scan_string(struct scan *s, char **out)
{
    struct pd_buf b = PD_BUF_INIT;
    s->p++;
    while (s->p < s->end && *s->p != '"') {
        const char *run = s->p;
        while (s->p < s->end && *s->p != '"' && *s->p != '\\')
            s->p++;
        if (out)
            pd_buf_add(&b, run, (size_t)(s->p - run));
        if (s->p >= s->end || *s->p == '"')
            break;
        if (s->end - s->p < 2) {
            s->bad = 1;
            break;
        }
        char c = s->p[1];
        s->p += 2;
        if (c == 'u') {
            unsigned cp, lo;
            if (s->end - s->p < 4 || hex4(s->p, &cp)) {
                s->bad = 1;
                break;
            }
            s->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
                s->p[1] == 'u' && hex4(s->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s->p += 6;
            }
            if (out)
                put_utf8(&b, cp);
        } else {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *at = c ? strchr(from, c) : NULL;
            if (at == NULL)
                s->bad = 1;
            else if (out)
                pd_buf_addc(&b, to[at - from]);
        }
    }
    if (s->p >= s->end)
        s->bad = 1;
    else
        s->p++;
    if (out && !s->bad)
        *out = pd_buf_detach(&b, NULL);
    else
        pd_buf_release(&b);
}

static void scan_value(struct scan *s, struct node *into, const char *key, int in_cte_map);

static void add_ref_at(struct dp_refs *r, size_t at, const char *catalog, const char *schema,
                       const char *table, const char *alias, int is_file)
{
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    memmove(r->v + at + 1, r->v + at, (r->n - at) * sizeof(*r->v));
    r->v[at].catalog = xstrdup(catalog ? catalog : "");
    r->v[at].schema = xstrdup(schema ? schema : "");
    r->v[at].table = xstrdup(table ? table : "");
    r->v[at].alias = xstrdup(alias ? alias : "");
    r->v[at].is_file = is_file;
    r->n++;
}

/* An object closed: what it is, and what its parent keeps of it (under key). */
static void object_done(struct scan *s, struct node *n, size_t refs_at, struct node *parent,
                        const char *key, int cte_entry)
{
    const char *type = n->f[F_TYPE];
    if (type && strcmp(type, "BASE_TABLE") == 0 && n->f[F_TABLE]) {
        const char *schema = n->f[F_SCHEMA] ? n->f[F_SCHEMA] : "";
        add_ref_at(s->r, refs_at, n->f[F_CATALOG], schema, n->f[F_TABLE], n->f[F_ALIAS],
                   !*schema && dp_looks_like_file(n->f[F_TABLE]));
    } else if (type && strcmp(type, "SHOW_REF") == 0 && n->f[F_TABLE] && *n->f[F_TABLE]) {
        add_ref_at(s->r, refs_at, n->f[F_CATALOG], n->f[F_SCHEMA], n->f[F_TABLE], "", 0);
    } else if (type && strcmp(type, "TABLE_FUNCTION") == 0 && n->fn_name) {
        char *lower = dp_lower(n->fn_name);
        if (!pd_strv_has(&s->r->functions, lower))
            pd_strv_push(&s->r->functions, lower);
        free(lower);
        if ((strncmp(n->fn_name, "read_", 5) == 0 || strcmp(n->fn_name, "parquet_scan") == 0) &&
            n->fn_first_arg)
            add_ref_at(s->r, refs_at, "", "", n->fn_first_arg, n->f[F_ALIAS], 1);
    }
    if (cte_entry && n->f[F_KEY] && !pd_strv_has(&s->r->ctes, n->f[F_KEY]))
        pd_strv_push(&s->r->ctes, n->f[F_KEY]);
    if (parent == NULL || key == NULL)
        return;
    if (strcmp(key, "value") == 0 && n->f[F_VALUE] && !parent->value_value) {
        parent->value_value = n->f[F_VALUE];
        n->f[F_VALUE] = NULL;
    } else if (strcmp(key, "function") == 0) {
        free(parent->fn_name);
        free(parent->fn_first_arg);
        parent->fn_name = n->f[F_FUNCTION_NAME];
        parent->fn_first_arg = n->first_arg;
        n->f[F_FUNCTION_NAME] = NULL;
        n->first_arg = NULL;
    }
}

/* At an object's or array's opening: 1 when an item follows, 0 when it closes at once. */
static int opens(struct scan *s, char close)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    return 1;
}

/* After an item: 1 when another follows (its comma read), 0 at the close (read) or bad text. */
static int another(struct scan *s, char close)
{
    skip_ws(s);
    if (s->bad || s->p >= s->end || (*s->p != ',' && *s->p != close)) {
        s->bad = 1;
        return 0;
    }
    return *s->p++ == ',';
}

/* The members of the object at s->p into n (key: where the object sits, for cte_map). */
static void scan_members(struct scan *s, struct node *n, const char *key, int in_cte_map)
{
    if (!opens(s, '}'))
        return;
    do {
        char *k = NULL;
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"') {
            s->bad = 1;
            return;
        }
        scan_string(s, &k);
        skip_ws(s);
        if (s->bad || s->p >= s->end || *s->p != ':') {
            free(k);
            s->bad = 1;
            return;
        }
        s->p++;
        skip_ws(s);
        scan_value(s, n, k, in_cte_map || (key && strcmp(key, "cte_map") == 0));
        free(k);
    } while (another(s, '}'));
}

/*
 * An object at s->p. parent/key: where it sits; cte_entry: an item of a
 * cte_map's map (its "key" is a CTE's name); first_child: the first item of a
 * "children" array (its constant is the parent's first argument).
 */
static void scan_object(struct scan *s, struct node *parent, const char *key, int in_cte_map,
                        int cte_entry, int first_child)
{
    struct node n = {0};
    size_t refs_at = s->r->n;

    if (++s->depth > MAX_DEPTH) {
        s->bad = 1;
        return;
    }
    scan_members(s, &n, key, in_cte_map);
    s->depth--;
    if (!s->bad) {
        object_done(s, &n, refs_at, parent, key, cte_entry);
        if (first_child && parent && n.value_value && !parent->first_arg) {
            parent->first_arg = n.value_value;
            n.value_value = NULL;
        }
    }
    node_clear(&n);
}

static void scan_array(struct scan *s, struct node *parent, const char *key, int in_cte_map)
{
    int first = 1;
    int cte_items = in_cte_map && key && strcmp(key, "map") == 0;
    int children = key && strcmp(key, "children") == 0;

    if (++s->depth > MAX_DEPTH) {
        s->bad = 1;
        return;
    }
    if (opens(s, ']'))
        do {
            skip_ws(s);
            if (s->p < s->end && *s->p == '{')
                scan_object(s, parent, NULL, 0, cte_items, children && first);
            else
                scan_value(s, NULL, NULL, 0);
            first = 0;
        } while (another(s, ']'));
    s->depth--;
}

/* A value at s->p, the field key of into (both NULL in an array). */
static void scan_value(struct scan *s, struct node *into, const char *key, int in_cte_map)
{
    if (s->p >= s->end) {
        s->bad = 1;
        return;
    }
    switch (*s->p) {
    case '{':
        scan_object(s, into, key, in_cte_map, 0, 0);
        return;
    case '[':
        scan_array(s, into, key, in_cte_map);
        return;
    case '"': {
        int f = F_COUNT;
        if (into && key)
            for (f = 0; f < F_COUNT && strcmp(field_names[f], key) != 0; f++)
                ;
        if (f < F_COUNT && into->f[f] == NULL)
            scan_string(s, &into->f[f]);
        else
            scan_string(s, NULL);
        return;
    }
    default: { /* a number, true, false or null */
        const char *start = s->p;
        while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' && *s->p != ' ' &&
               *s->p != '\n')
            s->p++;
        if (s->p == start)
            s->bad = 1;
        else if (into && key && strcmp(key, "error") == 0 && s->p - start == 4 &&
                 memcmp(start, "true", 4) == 0)
            into->error = 1;
        return;
    }
    }
}

int dp_refs_from_tree(const char *text, size_t len, struct dp_refs *out, char **error)
{
    struct scan s = {.p = text, .end = text + len, .r = out};
    struct node top = {0};

    *error = NULL;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{') {
        *error = xstrdup("cannot read the parse tree: it is not a JSON object");
        return -1;
    }
    scan_members(&s, &top, NULL, 0); /* the top object's own fields: error, error_message */
    if (s.bad) {
        *error = xstrdup("cannot read the parse tree");
    } else if (top.error) {
        const char *m = top.f[F_ERROR_MESSAGE];
        *error = xstrdup(m && *m ? m : "the SQL does not parse");
    }
    node_clear(&top);
    return s.bad || *error ? -1 : 0;
}
