/*
 * redact.c - error messages without data values (see redact.h).
 *
 * A scan, not a parser: the message is split into quoted parts, words and the
 * rest (spaces, punctuation), each kept or replaced on its own, so the shape
 * of the message (and the model's chance to correct its SQL) survives.
 */
#include "agent/redact.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Error classes whose messages name only the SQL and the schema. */
static const char *const schema_classes[] = {"Parser", "Binder", "Catalog", "Syntax",
                                             "Not implemented", "Dependency", "Transaction",
                                             "Interrupt", "Permission", "Sequence"};

/* The words DuckDB's messages about data are made of. */
static const char *const vocabulary[] = {
    "a", "according", "addition", "an", "and", "are", "as", "at", "be", "because", "byte",
    "by", "can", "t", "cannot", "cast", "casting", "character", "column", "constraint",
    "conversion", "convert", "could", "csv", "date", "destination", "division", "duplicate",
    "error", "expected", "field", "file", "for", "format", "from", "in", "input", "integer",
    "interval", "invalid", "is", "json", "key", "line", "malformed", "mismatch", "missing",
    "multiplication", "not", "null", "number", "of", "on", "or", "out", "overflow", "parse",
    "possible", "primary", "range", "regex", "regular", "expression", "source", "specifier",
    "string", "subtraction", "target", "the", "time", "timestamp", "to", "type", "unexpected",
    "unique", "value", "values", "violates", "when", "with", "would", "zero", "bigint",
    "boolean", "decimal", "double", "float", "hugeint", "int8", "int16", "int32", "int64",
    "int128", "smallint", "tinyint", "ubigint", "uhugeint", "uinteger", "usmallint",
    "utinyint", "uint8", "uint16", "uint32", "uint64", "uint128", "varchar", "blob", "uuid",
    "timestz", "timestamptz", "yyyy-mm-dd", "hh:mm:ss", "original", "fixes", "sniffing"};

static int is_word_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == ':' || c == '.' || c >= 0x80;
}

/* Does known hold [s, s+n), as a whole word or (quoted parts) anywhere? */
static int known_has(const char *known, const char *s, size_t n, int whole_word)
{
    if (known == NULL || n == 0)
        return 0;
    for (const char *q = known; *q; q++) {
        if (strncasecmp(q, s, n) != 0)
            continue;
        if (!whole_word || ((q == known || !is_word_char((unsigned char)q[-1])) &&
                            !is_word_char((unsigned char)q[n])))
            return 1;
    }
    return 0;
}

static int in_vocabulary(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(vocabulary) / sizeof(vocabulary[0]); i++)
        if (strlen(vocabulary[i]) == n && strncasecmp(vocabulary[i], s, n) == 0)
            return 1;
    return 0;
}

static int has_letter_or_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

/* The number of "LINE 12:", where DuckDB shows the SQL (b: the output so far). */
static int line_number(const struct pd_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return b->len >= 5 && strncmp(b->ptr + b->len - 5, "LINE ", 5) == 0;
}

/*
 * Where the first "X Error:" of a class that may hold data values starts, or
 * NULL when every error in msg is of a schema class (or msg is ours).
 */
static const char *data_error(const char *msg)
{
    for (const char *p = msg; (p = strstr(p, " Error: ")) != NULL; p++) {
        const char *start = p;
        int schema = 0;
        while (start > msg && start[-1] != '\n' && start[-1] != ':' && start[-1] != '(')
            start--;
        while (*start == ' ')
            start++;
        for (size_t i = 0; i < sizeof(schema_classes) / sizeof(schema_classes[0]); i++) {
            size_t n = strlen(schema_classes[i]);
            if ((size_t)(p - start) == n && strncasecmp(start, schema_classes[i], n) == 0)
                schema = 1;
        }
        if (!schema)
            return start;
    }
    return NULL;
}

char *ag_redact_values(const char *msg, const char *known)
{
    struct pd_buf b = PD_BUF_INIT;
    const char *p = data_error(msg);
    if (p == NULL)
        return xstrdup(msg);
    pd_buf_add(&b, msg, (size_t)(p - msg));
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'' || c == '"') {
            const char *end = strchr(p + 1, c);
            if (end) {
                size_t n = (size_t)(end - p - 1);
                pd_buf_addc(&b, (char)c);
                if (known_has(known, p + 1, n, 0))
                    pd_buf_add(&b, p + 1, n);
                else
                    pd_buf_adds(&b, "...");
                pd_buf_addc(&b, (char)c);
                p = end + 1;
                continue;
            }
        }
        if (is_word_char(c)) {
            size_t n = 0;
            while (p[n] && is_word_char((unsigned char)p[n]))
                n++;
            /* a word ends before trailing punctuation: "format:" is "format" */
            while (n > 1 && (p[n - 1] == ':' || p[n - 1] == '.' || p[n - 1] == '-'))
                n--;
            if (!has_letter_or_digit(p, n) || in_vocabulary(p, n) || known_has(known, p, n, 1) ||
                line_number(&b, p, n))
                pd_buf_add(&b, p, n);
            else
                pd_buf_adds(&b, "...");
            p += n;
            continue;
        }
        pd_buf_addc(&b, *p++);
    }
    return pd_buf_detach(&b, NULL);
}
