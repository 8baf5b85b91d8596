/*
 * yaml_simple.c - the YAML that Pluto Duck writes, read without libfyaml.
 *
 * Building a libfyaml document was most of loading a large project. The
 * files Pluto Duck writes (and most that people write by hand) are a flat
 * mapping of names to plain or double-quoted one-line values, literal blocks
 * (|, |-, |+) and lists of such values. This reads exactly that and gives up
 * (NULL) on anything else, which then goes to libfyaml: a nested mapping,
 * flow collections, anchors, tags, single quotes, multi-line plain values,
 * comments after values, a key given twice, tabs or CRs. What it accepts
 * it reads as libfyaml would (tests/fuzz/fuzz_yaml.c checks that on any input).
 */
#include "base/yaml.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

struct reader {
    const char *p; /* the start of the current line */
};

/* The end of the line at p (its '\n'; the text was checked to end with one). */
static const char *eol(const char *p)
{
    return strchr(p, '\n');
}

static size_t indent_of(const char *p)
{
    size_t n = 0;
    while (p[n] == ' ')
        n++;
    return n;
}

/* A line of nothing but spaces. */
static int blank(const char *p)
{
    return p[indent_of(p)] == '\n';
}

/* A line that is only a comment (after spaces). */
static int comment(const char *p)
{
    return p[indent_of(p)] == '#';
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A plain value in [s, e) that reads as its own text, or NULL. */
static json_t *plain(const char *s, const char *e)
{
    static const char *const special[] = {"null", "Null", "NULL", "~"};
    while (e > s && e[-1] == ' ')
        e--;
    if (e == s || !(is_alnum(*s) || strchr("_./($", *s)))
        return NULL;
    for (const char *p = s; p < e; p++)
        if (!(is_alnum(*p) || strchr("_./%+@-(),=<>*;$^ ", *p) || (unsigned char)*p >= 0x80))
            return NULL;
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if ((size_t)(e - s) == strlen(special[i]) && memcmp(s, special[i], (size_t)(e - s)) == 0)
            return NULL;
    return json_stringn(s, (size_t)(e - s));
}

/* A double-quoted value starting at s (its quote) on one line, with nothing after. */
static json_t *quoted(const char *s, const char *e)
{
    struct pd_buf b = PD_BUF_INIT;
    const char *p = s + 1;
    json_t *out = NULL;
    while (p < e && *p != '"') {
        if (*p != '\\') {
            pd_buf_addc(&b, *p++);
            continue;
        }
        if (p + 1 >= e)
            goto out;
        switch (p[1]) {
        case '"': pd_buf_addc(&b, '"'); break;
        case '\\': pd_buf_addc(&b, '\\'); break;
        case '/': pd_buf_addc(&b, '/'); break;
        case 'n': pd_buf_addc(&b, '\n'); break;
        case 't': pd_buf_addc(&b, '\t'); break;
        case 'x': {
            unsigned v = 0;
            for (int i = 2; i < 4; i++) {
                char c = p + i < e ? p[i] : 0;
                int d = c >= '0' && c <= '9' ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0)
                    goto out;
                v = v * 16 + (unsigned)d;
            }
            if (v == 0 || v >= 0x80)
                goto out;
            pd_buf_addc(&b, (char)v);
            p += 2;
            break;
        }
        default:
            goto out;
        }
        p += 2;
    }
    if (p >= e)
        goto out; /* no closing quote on the line */
    for (p++; p < e; p++)
        if (*p != ' ')
            goto out;
    out = json_stringn(b.ptr ? b.ptr : "", b.len);
out:
    pd_buf_release(&b);
    return out;
}

/* A one-line value in [s, e): plain or double-quoted. */
static json_t *scalar(const char *s, const char *e)
{
    return *s == '"' ? quoted(s, e) : plain(s, e);
}

/* A literal block after "key: |" (chomp '-', '+' or 0); r->p at the line after the header. */
static json_t *block(struct reader *r, char chomp)
{
    struct pd_buf b = PD_BUF_INIT;
    size_t n = indent_of(r->p), breaks = 0;
    json_t *out;
    if (n == 0 || r->p[n] == '\n')
        return NULL; /* no content, or leading empty lines: left to libfyaml */
    for (;;) {
        const char *e = eol(r->p);
        size_t ind = indent_of(r->p);
        if (r->p[ind] == '\n') { /* an empty line */
            if (ind > n) {
                pd_buf_release(&b);
                return NULL;
            }
            breaks++;
        } else if (ind < n) {
            break;
        } else {
            for (size_t i = 0; i < breaks; i++)
                pd_buf_addc(&b, '\n');
            if (b.len)
                pd_buf_addc(&b, '\n');
            breaks = 0;
            pd_buf_add(&b, r->p + n, (size_t)(e - r->p - n));
        }
        r->p = e + 1;
        if (*r->p == '\0')
            break;
    }
    /* the line that ended the block: a key at the margin, or the end of the text */
    if (*r->p && (indent_of(r->p) > 0 || comment(r->p))) {
        pd_buf_release(&b);
        return NULL;
    }
    if (chomp == '+') {
        pd_buf_addc(&b, '\n');
        for (size_t i = 0; i < breaks; i++)
            pd_buf_addc(&b, '\n');
    } else if (chomp == 0) {
        pd_buf_addc(&b, '\n');
    }
    out = json_stringn(b.ptr ? b.ptr : "", b.len);
    pd_buf_release(&b);
    return out;
}

/* The list after "key:" (r->p at its first item line), items at one indentation. */
static json_t *list(struct reader *r)
{
    size_t n = indent_of(r->p);
    json_t *out = json_array();
    while (*r->p) {
        const char *e = eol(r->p);
        json_t *item;
        if (blank(r->p) || comment(r->p)) {
            r->p = e + 1;
            continue;
        }
        if (indent_of(r->p) != n || r->p[n] != '-')
            break;
        if (r->p[n + 1] != ' ' || (item = scalar(r->p + n + 1 + indent_of(r->p + n + 1), e)) == NULL)
            goto no; /* an empty item too: libfyaml 0.8 refuses one at the end */
        json_array_append_new(out, item);
        r->p = e + 1;
    }
    if (*r->p && indent_of(r->p) > 0)
        goto no; /* not a key at the margin */
    return out;
no:
    json_decref(out);
    return NULL;
}

/* After "key:" and spaces at s, up to the line's end e; r->p at the next line. */
static json_t *value(struct reader *r, const char *s, const char *e)
{
    if (s == e) { /* a list on the next lines, or nothing */
        const char *q = r->p;
        while (*q && (blank(q) || comment(q)))
            q = eol(q) + 1;
        if (*q && q[indent_of(q)] == '-' && q[indent_of(q) + 1] == ' ')
            return list(r);
        return *q && indent_of(q) > 0 ? NULL : json_null();
    }
    if (*s == '|') {
        char chomp = s[1] == '-' || s[1] == '+' ? s[1] : 0;
        for (const char *p = s + 1 + (chomp != 0); p < e; p++)
            if (*p != ' ')
                return NULL;
        return block(r, chomp);
    }
    return scalar(s, e);
}

json_t *pd_yaml_load_simple(const char *text)
{
    struct reader r = {text};
    size_t len = strlen(text);
    json_t *doc;
    if (len == 0 || text[len - 1] != '\n' || strpbrk(text, "\t\r") ||
        (unsigned char)text[0] == 0xef)
        return NULL;
    doc = json_object();
    while (*r.p) {
        const char *e = eol(r.p), *k = r.p, *s;
        json_t *v;
        if (blank(r.p) || comment(r.p)) {
            r.p = e + 1;
            continue;
        }
        if (!(is_alnum(*k) || *k == '_'))
            goto no;
        while (is_alnum(*k) || *k == '_' || *k == '-')
            k++;
        if (*k != ':' || (k[1] != ' ' && k[1] != '\n'))
            goto no;
        for (s = k + 1; s < e && *s == ' '; s++)
            ;
        char *key = xstrndup(r.p, (size_t)(k - r.p));
        r.p = e + 1;
        v = !json_object_get(doc, key) ? value(&r, s, e) : NULL;
        if (v)
            json_object_set_new(doc, key, v);
        free(key);
        if (v == NULL)
            goto no;
    }
    if (json_object_size(doc) == 0)
        goto no;
    return doc;
no:
    json_decref(doc);
    return NULL;
}
