/*
 * yaml.c - walk a YAML mapping tree into dotted leaves (see yaml.h).
 */
#include "base/yaml.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int node_line(struct fy_node *n)
{
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    return m ? m->line + 1 : 0;
}

static int walk(struct fy_node *node, struct pd_buf *key, const char *label, pd_yaml_leaf_fn fn,
                void *ctx, struct pd_err *err)
{
    struct fy_node_pair *pair;
    void *iter = NULL;
    int rc = 0;

    while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
        const char *ks = k ? fy_node_get_scalar0(k) : NULL;
        size_t saved = key->len;

        if (ks == NULL)
            return pd_fail(err, PD_ECONFIG, "%s:%d: keys must be plain names", label,
                           k ? node_line(k) : 0);
        if (key->len)
            pd_buf_addc(key, '.');
        pd_buf_adds(key, ks);
        if (v == NULL || fy_node_is_null(v)) {
            rc = fn(ctx, key->ptr, "", node_line(k), err);
        } else if (fy_node_is_scalar(v)) {
            rc = fn(ctx, key->ptr, fy_node_get_scalar0(v), node_line(v), err);
        } else if (fy_node_is_mapping(v) && fy_node_mapping_item_count(v) > 0) {
            rc = walk(v, key, label, fn, ctx, err);
        } else {
            rc = fn(ctx, key->ptr, NULL, node_line(k), err);
        }
        pd_buf_truncate(key, saved);
        if (rc)
            return rc;
    }
    return 0;
}

static int walk_document(struct fy_document *doc, struct fy_diag *diag, const char *label,
                         pd_yaml_leaf_fn fn, void *ctx, struct pd_err *err)
{
    struct fy_node *root;
    struct pd_buf key = PD_BUF_INIT;
    int rc;

    if (doc == NULL) {
        void *iter = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &iter);
        if (e)
            return pd_fail(err, PD_ECONFIG, "%s:%d: %s", label, e->line + 1, e->msg);
        return 0; /* no document at all: an empty or comment-only file */
    }
    root = fy_document_root(doc);
    if (root == NULL || fy_node_is_null(root))
        return 0;
    if (!fy_node_is_mapping(root))
        return pd_fail(err, PD_ECONFIG, "%s:%d: expected a mapping of settings (key: value)",
                       label, node_line(root) ? node_line(root) : 1);
    rc = walk(root, &key, label, fn, ctx, err);
    pd_buf_release(&key);
    return rc;
}

static struct fy_diag *quiet_diag(void)
{
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag;

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    diag = fy_diag_create(&dcfg);
    if (diag == NULL)
        PD_BUG("fy_diag_create failed");
    fy_diag_set_collect_errors(diag, true);
    return diag;
}

/*
 * YAML is Unicode: refuse bytes that are not UTF-8 before libfyaml sees them
 * (0.8 loops for ever on one in a directive, such as "%i\x9a").
 */
static int check_utf8(const char *text, const char *label, struct pd_err *err)
{
    size_t n = strlen(text), ok = pd_utf8_valid_prefix(text, n);
    int line = 1;
    if (ok == n)
        return 0;
    for (size_t i = 0; i < ok; i++)
        line += text[i] == '\n';
    return pd_fail(err, PD_ECONFIG, "%s:%d: not valid UTF-8 (byte 0x%02X): save the file as UTF-8",
                   label, line, (unsigned char)text[ok]);
}

/*
 * Refuse explicit keys ("? key" opening a line, after any "- "): no setting or
 * file here has a key that needs one, and libfyaml 0.8 crashes on some of them
 * ("? a:\t? b"). Lines inside block scalars (after "key: |" or ">") are text.
 */
static int check_explicit_keys(const char *text, const char *label, struct pd_err *err)
{
    int line = 0, block = -1; /* the indentation of the line that opened a block scalar */
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n'), *end = eol ? eol : p + strlen(p), *q = p, *e, *h;
        int indent = 0;
        line++;
        while (q < end && *q == ' ')
            q++, indent++;
        if (block >= 0 && (q == end || *q == '\r' || *q == '#' || indent > block)) {
            p = eol ? eol + 1 : end;
            continue;
        }
        block = -1;
        while (q + 1 < end && q[0] == '-' && (q[1] == ' ' || q[1] == '\t'))
            for (q += 2; q < end && (*q == ' ' || *q == '\t');)
                q++;
        if (q < end && *q == '?' && (q + 1 == end || q[1] == ' ' || q[1] == '\t' || q[1] == '\r'))
            return pd_fail(err, PD_ECONFIG,
                           "%s:%d: explicit keys (? key) are not supported: write key: value",
                           label, line);
        for (e = end; e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');)
            e--;
        for (h = e; h > q && (h[-1] == '-' || h[-1] == '+' || (h[-1] >= '0' && h[-1] <= '9'));)
            h--;
        if (h > q && (h[-1] == '|' || h[-1] == '>') && (h - 1 == q || h[-2] == ' '))
            block = indent;
        p = eol ? eol + 1 : end;
    }
    return 0;
}

/* 0 when text may go to libfyaml, else the code of the failure (err says why and where). */
static int text_ok(const char *text, const char *label, struct pd_err *err)
{
    if (check_utf8(text, label, err) != 0 || check_explicit_keys(text, label, err) != 0)
        return err->code;
    return 0;
}

int pd_yaml_walk_string(const char *text, const char *label, pd_yaml_leaf_fn fn, void *ctx,
                        struct pd_err *err)
{
    if (text_ok(text, label, err) != 0)
        return err->code;
    struct fy_diag *diag = quiet_diag();
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, FY_NT);
    int rc = walk_document(doc, diag, label, fn, ctx, err);
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return rc;
}

int pd_yaml_walk_file(const char *path, const char *label, pd_yaml_leaf_fn fn, void *ctx,
                      struct pd_err *err)
{
    struct pd_buf text = PD_BUF_INIT;
    int rc;

    pd_buf_init(&text, 16 << 20);
    rc = pd_buf_read_file(&text, path);
    if (rc == PD_EIO) {
        pd_buf_release(&text);
        return pd_fail(err, PD_ENOTFOUND, "%s: cannot read '%s'", label, path);
    }
    if (rc == PD_ETOOBIG) {
        pd_buf_release(&text);
        return pd_fail(err, PD_ECONFIG, "%s: larger than 16 MiB", label);
    }
    rc = pd_yaml_walk_string(text.ptr, label, fn, ctx, err);
    pd_buf_release(&text);
    return rc;
}

static int plain_safe(const char *s)
{
    static const char *const reserved[] = {"true", "false", "yes", "no", "on", "off",
                                           "null", "~", "y", "n"};
    if (*s == '\0')
        return 0;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(s, reserved[i]) == 0)
            return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_./%+@-", c)))
            return 0;
    }
    return s[0] != '-' && s[0] != '@' && s[0] != '%';
}

void pd_yaml_quote(struct pd_buf *out, const char *value)
{
    if (plain_safe(value)) {
        pd_buf_adds(out, value);
        return;
    }
    pd_buf_addc(out, '"');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\')
            pd_buf_addf(out, "\\%c", *p);
        else if (*p == '\n')
            pd_buf_adds(out, "\\n");
        else if (*p == '\t')
            pd_buf_adds(out, "\\t");
        else if (*p < 0x20)
            pd_buf_addf(out, "\\x%02x", *p);
        else
            pd_buf_addc(out, (char)*p);
    }
    pd_buf_addc(out, '"');
}

/* A YAML node as JSON: mappings become objects, sequences arrays, scalars strings. */
/*
 * Turning a document into JSON: aliases are followed (so a file may share a
 * block with &name / *name and merge it with <<), within a budget of values and
 * of depth, so that neither a few lines that expand a billion times nor an
 * alias inside itself can take the process down.
 */
struct to_json {
    struct fy_node *bad; /* the first node with no JSON form */
    const char *why;
    size_t budget;       /* values still allowed */
    int depth;
};

#define YAML_MAX_VALUES 1000000
#define YAML_MAX_DEPTH 200

static json_t *node_json(struct fy_node *n, struct to_json *t);

static void json_fail(struct to_json *t, struct fy_node *n, const char *why)
{
    if (!t->bad) {
        t->bad = n;
        t->why = why;
    }
}

/* Keys of each mapping in m (a mapping or a list of them) that out does not have yet. */
static void merge_into(json_t *out, const json_t *m)
{
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_array(m)) {
        json_array_foreach(m, i, v)
            merge_into(out, v);
        return;
    }
    json_object_foreach((json_t *)m, k, v)
        if (!json_object_get(out, k))
            json_object_set(out, k, v);
}

static json_t *mapping_json(struct fy_node *n, struct to_json *t)
{
    json_t *out = json_object(), *merges = json_array();
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(n, &iter)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pair);
        const char *ks = k && !fy_node_is_alias(k) ? fy_node_get_scalar0(k) : NULL;
        if (!ks)
            json_fail(t, k ? k : n, "a key that is not a plain name");
        else if (strcmp(ks, "<<") == 0)
            json_array_append_new(merges, node_json(fy_node_pair_value(pair), t));
        else
            json_object_set_new(out, ks, node_json(fy_node_pair_value(pair), t));
    }
    merge_into(out, merges); /* the mapping's own keys win */
    json_decref(merges);
    return out;
}

static json_t *node_json(struct fy_node *n, struct to_json *t)
{
    json_t *out;

    if (t->bad)
        return json_null();
    if (t->budget == 0 || t->depth >= YAML_MAX_DEPTH) {
        json_fail(t, n, t->budget == 0 ? "aliases that expand to over a million values"
                                       : "nesting deeper than 200 levels (an alias inside itself?)");
        return json_null();
    }
    t->budget--;
    if (n == NULL || fy_node_is_null(n))
        return json_null();
    t->depth++;
    if (fy_node_is_alias(n)) {
        struct fy_node *target = fy_node_resolve_alias(n);
        if (target)
            out = node_json(target, t);
        else
            json_fail(t, n, "an alias (*name) to no anchor, or to itself"), out = json_null();
    } else if (fy_node_is_scalar(n)) {
        const char *v = fy_node_get_scalar0(n);
        if ((out = v ? json_string(v) : NULL) == NULL)
            json_fail(t, n, "a value that is not text"), out = json_null();
    } else if (fy_node_is_sequence(n)) {
        void *iter = NULL;
        struct fy_node *item;
        out = json_array();
        while ((item = fy_node_sequence_iterate(n, &iter)) != NULL)
            json_array_append_new(out, node_json(item, t));
    } else {
        out = mapping_json(n, t);
    }
    t->depth--;
    return out;
}

json_t *pd_yaml_load_json_string(const char *text, const char *label, struct pd_err *err)
{
    json_t *out;
    if (text_ok(text, label, err) != 0)
        return NULL;
    if ((out = pd_yaml_load_simple(text)) != NULL)
        return out;
    return pd_yaml_load_libfyaml(text, label, err);
}

json_t *pd_yaml_load_libfyaml(const char *text, const char *label, struct pd_err *err)
{
    json_t *out;
    if (text_ok(text, label, err) != 0)
        return NULL;
    struct fy_diag *diag = quiet_diag();
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, FY_NT);
    out = NULL;
    if (doc == NULL) {
        void *iter = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &iter);
        if (e)
            pd_fail(err, PD_ECONFIG, "%s:%d: %s", label, e->line + 1, e->msg);
        else
            out = json_null();
    } else {
        struct to_json t = {.budget = YAML_MAX_VALUES};
        out = node_json(fy_document_root(doc), &t);
        if (t.bad) {
            pd_fail(err, PD_ECONFIG, "%s:%d: %s is not supported here", label, node_line(t.bad),
                    t.why);
            json_decref(out);
            out = NULL;
        }
    }
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return out;
}

json_t *pd_yaml_load_json(const char *path, const char *label, struct pd_err *err)
{
    struct pd_buf text = PD_BUF_INIT;
    json_t *out;

    pd_buf_init(&text, 16 << 20);
    if (pd_buf_read_file(&text, path) != 0) {
        pd_buf_release(&text);
        pd_fail(err, PD_ENOTFOUND, "%s: cannot read '%s' (missing, or larger than 16 MiB)", label,
                path);
        return NULL;
    }
    out = pd_yaml_load_json_string(text.ptr ? text.ptr : "", label, err);
    pd_buf_release(&text);
    return out;
}
