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

int pd_yaml_walk_string(const char *text, const char *label, pd_yaml_leaf_fn fn, void *ctx,
                        struct pd_err *err)
{
    if (check_utf8(text, label, err) != 0)
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
static json_t *node_json(struct fy_node *n)
{
    json_t *out;

    if (n == NULL || fy_node_is_null(n))
        return json_null();
    if (fy_node_is_scalar(n))
        return json_string(fy_node_get_scalar0(n));
    if (fy_node_is_sequence(n)) {
        void *iter = NULL;
        struct fy_node *item;
        out = json_array();
        while ((item = fy_node_sequence_iterate(n, &iter)) != NULL)
            json_array_append_new(out, node_json(item));
        return out;
    }
    out = json_object();
    {
        void *iter = NULL;
        struct fy_node_pair *pair;
        while ((pair = fy_node_mapping_iterate(n, &iter)) != NULL) {
            struct fy_node *k = fy_node_pair_key(pair);
            const char *ks = k ? fy_node_get_scalar0(k) : NULL;
            if (ks)
                json_object_set_new(out, ks, node_json(fy_node_pair_value(pair)));
        }
    }
    return out;
}

json_t *pd_yaml_load_json_string(const char *text, const char *label, struct pd_err *err)
{
    if (check_utf8(text, label, err) != 0)
        return NULL;
    struct fy_diag *diag = quiet_diag();
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, FY_NT);
    json_t *out = NULL;
    if (doc == NULL) {
        void *iter = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &iter);
        if (e)
            pd_fail(err, PD_ECONFIG, "%s:%d: %s", label, e->line + 1, e->msg);
        else
            out = json_null();
    } else {
        out = node_json(fy_document_root(doc));
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
