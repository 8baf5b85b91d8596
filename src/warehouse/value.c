/*
 * value.c - exact text and JSON for every DuckDB type (see value.h).
 */
#include "warehouse/value.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "warehouse/scalar.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum style { TEXT, NESTED, JSON };

/* ---- type compilation ---- */

static char *type_name(struct pd_coltype *t)
{
    static const struct {
        duckdb_type id;
        const char *name;
    } simple[] = {
        {DUCKDB_TYPE_BOOLEAN, "BOOLEAN"},         {DUCKDB_TYPE_TINYINT, "TINYINT"},
        {DUCKDB_TYPE_SMALLINT, "SMALLINT"},       {DUCKDB_TYPE_INTEGER, "INTEGER"},
        {DUCKDB_TYPE_BIGINT, "BIGINT"},           {DUCKDB_TYPE_UTINYINT, "UTINYINT"},
        {DUCKDB_TYPE_USMALLINT, "USMALLINT"},     {DUCKDB_TYPE_UINTEGER, "UINTEGER"},
        {DUCKDB_TYPE_UBIGINT, "UBIGINT"},         {DUCKDB_TYPE_FLOAT, "FLOAT"},
        {DUCKDB_TYPE_DOUBLE, "DOUBLE"},           {DUCKDB_TYPE_TIMESTAMP, "TIMESTAMP"},
        {DUCKDB_TYPE_DATE, "DATE"},               {DUCKDB_TYPE_TIME, "TIME"},
        {DUCKDB_TYPE_INTERVAL, "INTERVAL"},       {DUCKDB_TYPE_HUGEINT, "HUGEINT"},
        {DUCKDB_TYPE_UHUGEINT, "UHUGEINT"},       {DUCKDB_TYPE_VARCHAR, "VARCHAR"},
        {DUCKDB_TYPE_BLOB, "BLOB"},               {DUCKDB_TYPE_TIMESTAMP_S, "TIMESTAMP_S"},
        {DUCKDB_TYPE_TIMESTAMP_MS, "TIMESTAMP_MS"}, {DUCKDB_TYPE_TIMESTAMP_NS, "TIMESTAMP_NS"},
        {DUCKDB_TYPE_UUID, "UUID"},               {DUCKDB_TYPE_BIT, "BIT"},
        {DUCKDB_TYPE_TIME_TZ, "TIME WITH TIME ZONE"},
        {DUCKDB_TYPE_TIMESTAMP_TZ, "TIMESTAMP WITH TIME ZONE"},
        {DUCKDB_TYPE_BIGNUM, "BIGNUM"},           {DUCKDB_TYPE_SQLNULL, "NULL"},
        {DUCKDB_TYPE_TIME_NS, "TIME_NS"},         {DUCKDB_TYPE_ENUM, "ENUM"},
    };
    struct pd_buf b = PD_BUF_INIT;

    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (simple[i].id == t->id)
            return xstrdup(simple[i].name);
    switch (t->id) {
    case DUCKDB_TYPE_DECIMAL:
        return xasprintf("DECIMAL(%u,%u)", t->width, t->scale);
    case DUCKDB_TYPE_LIST:
        return xasprintf("%s[]", t->children[0]->name);
    case DUCKDB_TYPE_ARRAY:
        return xasprintf("%s[%llu]", t->children[0]->name, (unsigned long long)t->array_size);
    case DUCKDB_TYPE_MAP:
        return xasprintf("MAP(%s, %s)", t->children[0]->name, t->children[1]->name);
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION:
        pd_buf_adds(&b, t->id == DUCKDB_TYPE_STRUCT ? "STRUCT(" : "UNION(");
        for (idx_t i = 0; i < t->n_children; i++)
            pd_buf_addf(&b, "%s%s %s", i ? ", " : "", t->labels[i], t->children[i]->name);
        pd_buf_addc(&b, ')');
        return pd_buf_detach(&b, NULL);
    default:
        return xasprintf("TYPE%d", (int)t->id);
    }
}

static struct pd_coltype *child(duckdb_logical_type lt)
{
    struct pd_coltype *c = pd_coltype_new(lt);
    duckdb_destroy_logical_type(&lt);
    return c;
}

struct pd_coltype *pd_coltype_new(duckdb_logical_type lt)
{
    struct pd_coltype *t = xcalloc(1, sizeof(*t));
    idx_t n;

    t->id = duckdb_get_type_id(lt);
    switch (t->id) {
    case DUCKDB_TYPE_DECIMAL:
        t->width = duckdb_decimal_width(lt);
        t->scale = duckdb_decimal_scale(lt);
        t->internal = duckdb_decimal_internal_type(lt);
        break;
    case DUCKDB_TYPE_ENUM:
        t->internal = duckdb_enum_internal_type(lt);
        t->n_labels = duckdb_enum_dictionary_size(lt);
        t->labels = xcalloc(t->n_labels, sizeof(char *));
        for (idx_t i = 0; i < t->n_labels; i++) {
            char *s = duckdb_enum_dictionary_value(lt, i);
            t->labels[i] = xstrdup(s ? s : "");
            duckdb_free(s);
        }
        break;
    case DUCKDB_TYPE_LIST:
        t->n_children = 1;
        t->children = xcalloc(1, sizeof(*t->children));
        t->children[0] = child(duckdb_list_type_child_type(lt));
        break;
    case DUCKDB_TYPE_ARRAY:
        t->n_children = 1;
        t->array_size = duckdb_array_type_array_size(lt);
        t->children = xcalloc(1, sizeof(*t->children));
        t->children[0] = child(duckdb_array_type_child_type(lt));
        break;
    case DUCKDB_TYPE_MAP:
        t->n_children = 2;
        t->children = xcalloc(2, sizeof(*t->children));
        t->children[0] = child(duckdb_map_type_key_type(lt));
        t->children[1] = child(duckdb_map_type_value_type(lt));
        break;
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION:
        n = t->id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_count(lt)
                                        : duckdb_union_type_member_count(lt);
        t->n_children = t->n_labels = n;
        t->children = xcalloc(n, sizeof(*t->children));
        t->labels = xcalloc(n, sizeof(char *));
        for (idx_t i = 0; i < n; i++) {
            char *s = t->id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_name(lt, i)
                                                  : duckdb_union_type_member_name(lt, i);
            t->labels[i] = xstrdup(s ? s : "");
            duckdb_free(s);
            t->children[i] = child(t->id == DUCKDB_TYPE_STRUCT
                                       ? duckdb_struct_type_child_type(lt, i)
                                       : duckdb_union_type_member_type(lt, i));
        }
        break;
    default:
        break;
    }
    t->name = type_name(t);
    return t;
}

void pd_coltype_free(struct pd_coltype *t)
{
    if (t == NULL)
        return;
    for (idx_t i = 0; i < t->n_children; i++)
        pd_coltype_free(t->children[i]);
    for (idx_t i = 0; i < t->n_labels; i++)
        free(t->labels[i]);
    free(t->children);
    free(t->labels);
    free(t->name);
    free(t);
}

int pd_coltype_is_numeric(const struct pd_coltype *t)
{
    switch (t->id) {
    case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL: case DUCKDB_TYPE_BIGNUM:
        return 1;
    default:
        return 0;
    }
}

/* ---- intervals ---- */

static void add_interval(struct pd_buf *out, duckdb_interval iv)
{
    int32_t years = iv.months / 12, months = iv.months % 12;
    int any = 0;

    if (years) {
        pd_buf_addf(out, "%d year%s", years, years == 1 || years == -1 ? "" : "s");
        any = 1;
    }
    if (months) {
        pd_buf_addf(out, "%s%d month%s", any ? " " : "", months,
                    months == 1 || months == -1 ? "" : "s");
        any = 1;
    }
    if (iv.days) {
        pd_buf_addf(out, "%s%d day%s", any ? " " : "", iv.days,
                    iv.days == 1 || iv.days == -1 ? "" : "s");
        any = 1;
    }
    if (iv.micros || !any) {
        char tmp[40];
        if (any)
            pd_buf_addc(out, ' ');
        if (iv.micros < 0) {
            pd_buf_addc(out, '-');
            /* INT64_MIN cannot be negated; DuckDB never stores it in an interval */
            iv.micros = -iv.micros;
        }
        pd_buf_add(out, tmp, (size_t)(pd_put_hms(tmp, iv.micros, 6) - tmp));
    }
}

/* ---- blobs, bits, bignums ---- */

static void blob_text(struct pd_buf *out, const unsigned char *p, uint32_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'' && p[i] != '"') {
            pd_buf_addc(out, (char)p[i]);
        } else {
            char e[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};
            pd_buf_add(out, e, 4);
        }
    }
}

static void bit_text(struct pd_buf *out, const unsigned char *p, uint32_t n)
{
    unsigned pad = n ? p[0] : 0;
    for (uint32_t i = 1; i < n; i++)
        for (int b = 7; b >= 0; b--) {
            if (i == 1 && (unsigned)(7 - b) < pad)
                continue;
            pd_buf_addc(out, (p[i] >> b) & 1 ? '1' : '0');
        }
}

/*
 * A BIGNUM's digits. DuckDB keeps it as 3 header bytes (the byte count with
 * bit 23 set, all inverted when negative) and the magnitude big-endian
 * (inverted too when negative).
 */
static void bignum_text(struct pd_buf *out, const unsigned char *p, uint32_t n)
{
    int negative = n >= 3 && !(p[0] & 0x80);
    uint32_t len = n >= 3 ? n - 3 : 0, nlimbs = 0;
    uint32_t *limbs = xcalloc(len / 3 + 2, sizeof(uint32_t)); /* base 10^9 (3.7 bytes a limb) */
    for (uint32_t i = 0; i < len; i++) { /* limbs = limbs * 256 + byte */
        uint64_t carry = negative ? (unsigned char)~p[3 + i] : p[3 + i];
        for (uint32_t k = 0; k < nlimbs; k++) {
            uint64_t x = (uint64_t)limbs[k] * 256 + carry;
            limbs[k] = (uint32_t)(x % 1000000000u);
            carry = x / 1000000000u;
        }
        while (carry) {
            limbs[nlimbs++] = (uint32_t)(carry % 1000000000u);
            carry /= 1000000000u;
        }
    }
    /* the top limb has no leading zeros (a limb is only added for a carry) */
    if (nlimbs == 0) {
        pd_buf_addc(out, '0');
    } else {
        pd_buf_addf(out, "%s%u", negative ? "-" : "", limbs[nlimbs - 1]);
        for (uint32_t k = nlimbs - 1; k > 0; k--)
            pd_buf_addf(out, "%09u", limbs[k - 1]);
    }
    free(limbs);
}

/* ---- the cell writer ---- */

int pd_value_is_null(duckdb_vector v, idx_t row)
{
    uint64_t *valid = duckdb_vector_get_validity(v);
    return valid && !duckdb_validity_row_is_valid(valid, row);
}

static void cell(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row,
                 enum style st);

static uint64_t enum_index(const struct pd_coltype *t, void *data, idx_t row)
{
    switch (t->internal) {
    case DUCKDB_TYPE_UTINYINT:
        return ((uint8_t *)data)[row];
    case DUCKDB_TYPE_USMALLINT:
        return ((uint16_t *)data)[row];
    default:
        return ((uint32_t *)data)[row];
    }
}

/* Write a text-ish value into a scratch buffer, then emit it quoted (JSON) or raw. */
static void emit_text(struct pd_buf *out, struct pd_buf *scratch, enum style st)
{
    if (st == JSON)
        pd_json_add_string(out, scratch->ptr, scratch->len);
    else
        pd_buf_add(out, scratch->ptr, scratch->len);
    pd_buf_release(scratch);
}

static void nested_key(struct pd_buf *out, const char *name, enum style st)
{
    if (st == JSON) {
        pd_json_add_string(out, name, strlen(name));
        pd_buf_addc(out, ':');
    } else {
        pd_buf_addf(out, "'%s': ", name);
    }
}

/*
 * A scalar inside a nested value, as DuckDB's cast to VARCHAR writes it: its
 * text, in single quotes (with \' and \\ escaped) when it is empty, is NULL, has
 * space at an end, or holds one of the characters that delimit nested text.
 */
static void nested_scalar(struct pd_buf *out, const char *p, size_t n)
{
    int quote = n == 0 || (n == 4 && strncasecmp(p, "null", 4) == 0) ||
                isspace((unsigned char)p[0]) || isspace((unsigned char)p[n - 1]);
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] && strchr("\"'(),:=[]{}", p[i]) != NULL;
    if (!quote) {
        pd_buf_add(out, p, n);
        return;
    }
    pd_buf_addc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\'' || p[i] == '\\')
            pd_buf_addc(out, '\\');
        pd_buf_addc(out, p[i]);
    }
    pd_buf_addc(out, '\'');
}

static int is_nested(duckdb_type id)
{
    return id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY || id == DUCKDB_TYPE_STRUCT ||
           id == DUCKDB_TYPE_MAP || id == DUCKDB_TYPE_UNION;
}

static void list_items(struct pd_buf *out, const struct pd_coltype *et, duckdb_vector child,
                       idx_t offset, idx_t length, enum style st)
{
    pd_buf_addc(out, '[');
    for (idx_t i = 0; i < length; i++) {
        if (i)
            pd_buf_adds(out, st == JSON ? "," : ", ");
        cell(out, et, child, offset + i, st == JSON ? JSON : NESTED);
    }
    pd_buf_addc(out, ']');
}

static void cell(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row,
                 enum style st)
{
    void *data;
    struct pd_buf s = PD_BUF_INIT;
    struct pd_scalar_writer w;

    if (pd_value_is_null(v, row) || t->id == DUCKDB_TYPE_SQLNULL) {
        pd_buf_adds(out, st == JSON ? "null" : "NULL");
        return;
    }
    if (st == NESTED && !is_nested(t->id)) {
        cell(&s, t, v, row, TEXT);
        nested_scalar(out, s.ptr ? s.ptr : "", s.len);
        pd_buf_release(&s);
        return;
    }
    data = duckdb_vector_get_data(v);
    if (pd_scalar_pick(t, st == JSON, &w) == 0) {
        if (pd_buf_grow(out, pd_scalar_room(&w, data, row)) == 0)
            pd_buf_set_end(out, w.put(out->ptr + out->len, t, data, row));
        return;
    }
    switch (t->id) {
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_BIT: {
        const char *p;
        uint32_t n;
        pd_string_at(data, row, &p, &n);
        if (t->id == DUCKDB_TYPE_BLOB)
            blob_text(&s, (const unsigned char *)p, n);
        else
            bit_text(&s, (const unsigned char *)p, n);
        emit_text(out, &s, st);
        break;
    }
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct tz = duckdb_from_time_tz(((duckdb_time_tz *)data)[row]);
        int32_t off = tz.offset;
        int64_t micros = (((int64_t)tz.time.hour * 60 + tz.time.min) * 60 + tz.time.sec) * 1000000 +
                         tz.time.micros;
        char tmp[48], *e = pd_put_hms(tmp, micros, 6);
        *e++ = off < 0 ? '-' : '+';
        off = off < 0 ? -off : off;
        e = pd_put_2(e, (unsigned)(off / 3600));
        if (off % 3600) {
            *e++ = ':';
            e = pd_put_2(e, (unsigned)(off / 60 % 60));
        }
        if (off % 60) { /* +15:59:59 */
            *e++ = ':';
            e = pd_put_2(e, (unsigned)(off % 60));
        }
        pd_buf_add(&s, tmp, (size_t)(e - tmp));
        emit_text(out, &s, st);
        break;
    }
    case DUCKDB_TYPE_INTERVAL:
        add_interval(&s, ((duckdb_interval *)data)[row]);
        emit_text(out, &s, st);
        break;
    case DUCKDB_TYPE_ENUM: {
        uint64_t i = enum_index(t, data, row);
        const char *label = i < t->n_labels ? t->labels[i] : "";
        if (st == JSON)
            pd_json_add_string(out, label, strlen(label));
        else
            pd_buf_adds(out, label);
        break;
    }
    case DUCKDB_TYPE_LIST: {
        duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
        list_items(out, t->children[0], duckdb_list_vector_get_child(v), e.offset, e.length, st);
        break;
    }
    case DUCKDB_TYPE_ARRAY:
        list_items(out, t->children[0], duckdb_array_vector_get_child(v), row * t->array_size,
                   t->array_size, st);
        break;
    case DUCKDB_TYPE_STRUCT:
        pd_buf_addc(out, '{');
        for (idx_t i = 0; i < t->n_children; i++) {
            if (i)
                pd_buf_adds(out, st == JSON ? "," : ", ");
            nested_key(out, t->labels[i], st);
            cell(out, t->children[i], duckdb_struct_vector_get_child(v, i), row,
                 st == JSON ? JSON : NESTED);
        }
        pd_buf_addc(out, '}');
        break;
    case DUCKDB_TYPE_MAP: {
        duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
        duckdb_vector entries = duckdb_list_vector_get_child(v);
        duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
        duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
        pd_buf_addc(out, '{');
        for (idx_t i = 0; i < e.length; i++) {
            if (i)
                pd_buf_adds(out, st == JSON ? "," : ", ");
            if (st == JSON) {
                /* JSON keys are strings: use the key's text form. */
                struct pd_buf k = PD_BUF_INIT;
                cell(&k, t->children[0], keys, e.offset + i, TEXT);
                pd_json_add_string(out, k.ptr, k.len);
                pd_buf_release(&k);
                pd_buf_addc(out, ':');
            } else {
                cell(out, t->children[0], keys, e.offset + i, NESTED);
                pd_buf_addc(out, '=');
            }
            cell(out, t->children[1], vals, e.offset + i, st == JSON ? JSON : NESTED);
        }
        pd_buf_addc(out, '}');
        break;
    }
    case DUCKDB_TYPE_UNION: {
        uint8_t tag = ((uint8_t *)duckdb_vector_get_data(duckdb_struct_vector_get_child(v, 0)))[row];
        if (tag >= t->n_children) {
            pd_buf_adds(out, st == JSON ? "null" : "NULL");
        } else if (st == JSON) { /* {"member": value}: which member it is, not only its value */
            pd_buf_addc(out, '{');
            pd_json_add_string(out, t->labels[tag], strlen(t->labels[tag]));
            pd_buf_addc(out, ':');
            cell(out, t->children[tag], duckdb_struct_vector_get_child(v, tag + 1), row, st);
            pd_buf_addc(out, '}');
        } else {
            cell(out, t->children[tag], duckdb_struct_vector_get_child(v, tag + 1), row, st);
        }
        break;
    }
    case DUCKDB_TYPE_BIGNUM: { /* digits, unquoted in JSON too: exact like a HUGEINT */
        const char *p;
        uint32_t n;
        pd_string_at(data, row, &p, &n);
        bignum_text(out, (const unsigned char *)p, n);
        break;
    }
    default:
        pd_buf_addf(&s, "(%s value)", t->name);
        emit_text(out, &s, st);
        break;
    }
}

void pd_value_text(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row)
{
    cell(out, t, v, row, TEXT);
}

void pd_value_json(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row)
{
    cell(out, t, v, row, JSON);
}
