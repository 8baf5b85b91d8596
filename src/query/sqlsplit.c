/*
 * sqlsplit.c - statement boundaries by a quote- and comment-aware scan (see sqlsplit.h).
 */
#include "query/sqlsplit.h"

#include "base/alloc.h"

#include <ctype.h>
#include <string.h>

enum tok { T_SPACE, T_COMMENT, T_SEMI, T_OTHER, T_OPEN /* unterminated quote or comment */ };

/* Scan one token at p; return its kind and set *next. */
static enum tok scan(const char *p, const char **next)
{
    if (isspace((unsigned char)*p)) {
        while (isspace((unsigned char)*p))
            p++;
        *next = p;
        return T_SPACE;
    }
    if (p[0] == '-' && p[1] == '-') {
        while (*p && *p != '\n')
            p++;
        *next = p;
        return T_COMMENT;
    }
    if (p[0] == '/' && p[1] == '*') {
        int depth = 1;
        p += 2;
        while (*p && depth) {
            if (p[0] == '/' && p[1] == '*')
                depth++, p += 2;
            else if (p[0] == '*' && p[1] == '/')
                depth--, p += 2;
            else
                p++;
        }
        *next = p;
        return depth ? T_OPEN : T_COMMENT;
    }
    if (*p == ';') {
        *next = p + 1;
        return T_SEMI;
    }
    if (*p == '\'' || *p == '"' || ((*p == 'E' || *p == 'e') && p[1] == '\'')) {
        int backslash = *p == 'E' || *p == 'e';
        char q;
        if (backslash)
            p++;
        q = *p++;
        for (;;) {
            if (*p == '\0') {
                *next = p;
                return T_OPEN;
            }
            if (backslash && *p == '\\' && p[1]) {
                p += 2;
                continue;
            }
            if (*p == q) {
                if (p[1] == q) {
                    p += 2;
                    continue;
                }
                *next = p + 1;
                return T_OTHER;
            }
            p++;
        }
    }
    if (*p == '$') {
        const char *t = p + 1;
        while (isalnum((unsigned char)*t) || *t == '_')
            t++;
        if (*t == '$' && !(t > p + 1 && isdigit((unsigned char)p[1]))) {
            size_t taglen = (size_t)(t - p + 1);
            const char *end;
            for (end = t + 1; *end; end++)
                if (strncmp(end, p, taglen) == 0)
                    break;
            if (*end == '\0') {
                *next = end;
                return T_OPEN;
            }
            *next = end + taglen;
            return T_OTHER;
        }
    }
    /* A run of anything else, stopping before a character that starts another token. */
    p++;
    while (*p && !isspace((unsigned char)*p) && *p != ';' && *p != '\'' && *p != '"' &&
           *p != '$' && !(p[0] == '-' && p[1] == '-') && !(p[0] == '/' && p[1] == '*') &&
           !((*p == 'E' || *p == 'e') && p[1] == '\'' && !isalnum((unsigned char)p[-1])))
        p++;
    *next = p;
    return T_OTHER;
}

size_t pd_sql_split(const char *sql, struct pd_sql_piece **pieces)
{
    size_t n = 0, cap = 4;
    const char *p = sql, *start = NULL, *last = NULL;
    struct pd_sql_piece *v = xmalloc(cap * sizeof(*v));

    for (;;) {
        const char *next;
        enum tok t = *p ? scan(p, &next) : T_SEMI;
        if (t == T_OTHER || t == T_OPEN) {
            if (start == NULL)
                start = p;
            last = next;
        } else if (t == T_COMMENT && start) {
            last = next;
        }
        if (t == T_SEMI || t == T_OPEN) {
            if (start) {
                if (n == cap)
                    v = xrealloc(v, (cap *= 2) * sizeof(*v));
                while (last > start && isspace((unsigned char)last[-1]))
                    last--;
                v[n].start = (size_t)(start - sql);
                v[n++].len = (size_t)(last - start);
            }
            start = last = NULL;
            if (*p == '\0' || t == T_OPEN)
                break;
        }
        p = next;
    }
    *pieces = v;
    return n;
}

int pd_sql_is_complete(const char *sql)
{
    const char *p = sql, *next;
    enum tok last = T_SPACE;
    while (*p) {
        enum tok t = scan(p, &next);
        if (t == T_OPEN)
            return 0;
        if (t == T_SEMI || t == T_OTHER)
            last = t;
        p = next;
    }
    return last == T_SEMI;
}
