/*
 * jschema.c - the JSON Schema subset checker (see jschema.h). It walks the
 * value only where the schema describes it, so its depth is the schema's,
 * whatever a request nests.
 */
#include "base/jschema.h"

#include "base/buf.h"
#include "base/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where in the value we are, as a user reads it: "config.dsn", "tags[2]". */
struct place {
    char text[256];
};

/* "field 'config.dsn'" or, at the top, "the body", for messages: "%s%s%s" */
#define WHERE(p) (p)->text[0] ? "field '" : "the body", (p)->text, (p)->text[0] ? "'" : ""

/* A place too long to print whole is cut: the start still says where. */
static void place_field(struct place *out, const struct place *in, const char *key)
{
    if (snprintf(out->text, sizeof(out->text), "%s%s%s", in->text, in->text[0] ? "." : "", key) < 0)
        out->text[0] = '\0';
}

static void place_index(struct place *out, const struct place *in, size_t i)
{
    if (snprintf(out->text, sizeof(out->text), "%s[%zu]", in->text, i) < 0)
        out->text[0] = '\0';
}

static int type_is(const json_t *v, const char *type, int *known)
{
    *known = 1;
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v) ||
               (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    *known = 0;
    return 0;
}

static const char *article(const char *type)
{
    return strchr("aeiou", type[0]) ? "an" : "a";
}

static int check_type(const json_t *type, const json_t *v, const struct place *at,
                      struct pd_err *err)
{
    struct pd_buf names = PD_BUF_INIT;
    size_t i;
    json_t *t;
    int known, ok = 0;
    if (type == NULL)
        return 0;
    if (json_is_string(type)) {
        if (type_is(v, json_string_value(type), &known))
            return 0;
        if (!known)
            return pd_fail(err, PD_EINTERNAL, "schema: unknown type '%s'", json_string_value(type));
        return pd_fail(err, PD_EINVAL, "%s%s%s must be %s %s", WHERE(at),
                       article(json_string_value(type)), json_string_value(type));
    }
    json_array_foreach(type, i, t) {
        known = 0;
        if (json_is_string(t))
            ok |= type_is(v, json_string_value(t), &known);
        if (!known) {
            pd_buf_release(&names);
            return pd_fail(err, PD_EINTERNAL, "schema: a type list holds '%s', not a type name",
                           json_is_string(t) ? json_string_value(t) : "a non-string");
        }
        pd_buf_addf(&names, "%s%s", i == 0 ? "" : i + 1 == json_array_size(type) ? " or " : ", ",
                    json_string_value(t));
    }
    if (!ok)
        pd_fail(err, PD_EINVAL, "%s%s%s must be %s %s", WHERE(at),
                article(names.len ? names.ptr : "x"), names.len ? names.ptr : "nothing");
    pd_buf_release(&names);
    return ok ? 0 : PD_EINVAL;
}

static int check_enum(const json_t *choices, const json_t *v, const struct place *at,
                      struct pd_err *err)
{
    struct pd_buf list = PD_BUF_INIT;
    size_t i;
    json_t *c;
    if (choices == NULL)
        return 0;
    json_array_foreach(choices, i, c) {
        char *text;
        if (json_equal(c, v)) {
            pd_buf_release(&list);
            return 0;
        }
        text = json_dumps(c, JSON_ENCODE_ANY);
        pd_buf_addf(&list, "%s%s", i ? ", " : "", text ? text : "?");
        free(text);
    }
    pd_fail(err, PD_EINVAL, "%s%s%s must be one of %s", WHERE(at),
            list.len ? list.ptr : "(nothing)");
    pd_buf_release(&list);
    return PD_EINVAL;
}

static int check_range(const json_t *schema, const json_t *v, const struct place *at,
                       struct pd_err *err)
{
    const json_t *min = json_object_get(schema, "minimum"), *max = json_object_get(schema, "maximum");
    if (!json_is_number(v))
        return 0;
    if (min && json_number_value(v) < json_number_value(min))
        return pd_fail(err, PD_EINVAL, "%s%s%s must be at least %g", WHERE(at),
                       json_number_value(min));
    if (max && json_number_value(v) > json_number_value(max))
        return pd_fail(err, PD_EINVAL, "%s%s%s must be at most %g", WHERE(at),
                       json_number_value(max));
    return 0;
}

/* minLength and maxLength count characters (code points), as JSON Schema does. */
static int check_length(const json_t *schema, const json_t *v, const struct place *at,
                        struct pd_err *err)
{
    const json_t *min = json_object_get(schema, "minLength"), *max = json_object_get(schema, "maxLength");
    const char *p;
    json_int_t n = 0;
    if (!json_is_string(v) || (min == NULL && max == NULL))
        return 0;
    for (p = json_string_value(v); p < json_string_value(v) + json_string_length(v); p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    if (min && n < json_integer_value(min))
        return pd_fail(err, PD_EINVAL, "%s%s%s must have at least %lld characters", WHERE(at),
                       (long long)json_integer_value(min));
    if (max && n > json_integer_value(max))
        return pd_fail(err, PD_EINVAL, "%s%s%s must have at most %lld characters", WHERE(at),
                       (long long)json_integer_value(max));
    return 0;
}

static int check_at(const json_t *schema, const json_t *v, const struct place *at,
                    struct pd_err *err);

static int check_object(const json_t *schema, const json_t *v, const struct place *at,
                        struct pd_err *err)
{
    const json_t *props = json_object_get(schema, "properties");
    const json_t *req = json_object_get(schema, "required");
    const json_t *extra = json_object_get(schema, "additionalProperties");
    const char *key;
    json_t *fv, *rq;
    size_t i;
    struct place sub;
    int rc;
    if (!json_is_object(v))
        return 0;
    json_array_foreach(req, i, rq) {
        if (json_object_get(v, json_string_value(rq)) == NULL) {
            place_field(&sub, at, json_string_value(rq));
            return pd_fail(err, PD_EINVAL, "field '%s' is required", sub.text);
        }
    }
    json_object_foreach((json_t *)v, key, fv) {
        const json_t *ps = json_object_get(props, key);
        place_field(&sub, at, key);
        if (ps || json_is_object(extra)) { /* its own schema, or the one of every other */
            if ((rc = check_at(ps ? ps : extra, fv, &sub, err)) != 0)
                return rc;
        } else if (json_is_false(extra)) {
            struct pd_buf names = PD_BUF_INIT;
            const char *k;
            json_t *unused;
            json_object_foreach((json_t *)props, k, unused)
                pd_buf_addf(&names, "%s%s", names.len ? ", " : "", k);
            pd_fail(err, PD_EINVAL, "unknown field '%s' (allowed: %s)", sub.text,
                    names.len ? names.ptr : "none");
            pd_buf_release(&names);
            return PD_EINVAL;
        }
    }
    return 0;
}

static int check_at(const json_t *schema, const json_t *v, const struct place *at,
                    struct pd_err *err)
{
    const json_t *items = json_object_get(schema, "items");
    int rc;
    if (!json_is_object(schema))
        return pd_fail(err, PD_EINTERNAL, "schema: not an object at %s%s%s", WHERE(at));
    if (json_object_get(schema, "$ref"))
        return pd_fail(err, PD_EINTERNAL, "schema: $ref is not supported at %s%s%s", WHERE(at));
    if ((rc = check_type(json_object_get(schema, "type"), v, at, err)) != 0 ||
        (rc = check_enum(json_object_get(schema, "enum"), v, at, err)) != 0 ||
        (rc = check_range(schema, v, at, err)) != 0 || (rc = check_length(schema, v, at, err)) != 0 ||
        (rc = check_object(schema, v, at, err)) != 0)
        return rc;
    if (items && json_is_array(v)) {
        size_t i;
        json_t *e;
        struct place sub;
        json_array_foreach(v, i, e) {
            place_index(&sub, at, i);
            if ((rc = check_at(items, e, &sub, err)) != 0)
                return rc;
        }
    }
    return 0;
}

int pd_jschema_check(const json_t *schema, const json_t *value, struct pd_err *err)
{
    struct place top = {{0}};
    return check_at(schema, value, &top, err);
}
