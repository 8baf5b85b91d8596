/*
 * jinja.c - the Jinja subset renderer (see jinja.h).
 *
 * The template is cut into text, {{ output }} and {% statement %} pieces, the
 * statements are nested into a tree (if/for bodies), and the tree is walked with
 * a scope of variables. Expressions are kept as source text and evaluated by a
 * recursive-descent evaluator each time they are reached: templates are small
 * and a loop body is evaluated a handful of times.
 */
#include "duckpipe/jinja.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- values ---------- */

void dp_val_free(struct dp_val *v)
{
    if (!v)
        return;
    free(v->s);
    for (size_t i = 0; i < v->len; i++) {
        if (v->items)
            dp_val_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof(*v));
}

struct dp_val dp_val_str(const char *s)
{
    struct dp_val v = {.kind = DP_STR, .s = xstrdup(s)};
    return v;
}

static struct dp_val val_num(double n)
{
    struct dp_val v = {.kind = DP_NUM, .n = n};
    return v;
}

static struct dp_val val_bool(int b)
{
    struct dp_val v = {.kind = DP_BOOL, .b = !!b};
    return v;
}

struct dp_val dp_val_copy(const struct dp_val *v)
{
    struct dp_val c = *v;
    c.s = v->s ? xstrdup(v->s) : NULL;
    c.items = NULL;
    c.keys = NULL;
    if (v->len) {
        c.items = xmalloc(v->len * sizeof(*c.items));
        for (size_t i = 0; i < v->len; i++)
            c.items[i] = dp_val_copy(&v->items[i]);
        if (v->keys) {
            c.keys = xmalloc(v->len * sizeof(*c.keys));
            for (size_t i = 0; i < v->len; i++)
                c.keys[i] = xstrdup(v->keys[i]);
        }
    }
    return c;
}

static void list_push(struct dp_val *list, struct dp_val item)
{
    list->items = xrealloc(list->items, (list->len + 1) * sizeof(*list->items));
    list->items[list->len++] = item;
}

static void print_num(struct pd_buf *out, double n)
{
    if (n == floor(n) && fabs(n) < 1e15)
        pd_buf_addf(out, "%lld", (long long)n);
    else
        pd_buf_addf(out, "%.17g", n);
}

static void print_repr(struct pd_buf *out, const struct dp_val *v)
{
    if (v->kind == DP_STR) {
        pd_buf_addc(out, '\'');
        for (const char *p = v->s; *p; p++) {
            if (*p == '\'' || *p == '\\')
                pd_buf_addc(out, '\\');
            pd_buf_addc(out, *p);
        }
        pd_buf_addc(out, '\'');
    } else {
        dp_val_print(out, v);
    }
}

void dp_val_print(struct pd_buf *out, const struct dp_val *v)
{
    switch (v->kind) {
    case DP_NONE: pd_buf_adds(out, "None"); break;
    case DP_BOOL: pd_buf_adds(out, v->b ? "True" : "False"); break;
    case DP_NUM: print_num(out, v->n); break;
    case DP_STR: pd_buf_adds(out, v->s); break;
    case DP_LIST:
    case DP_DICT:
        pd_buf_addc(out, v->kind == DP_LIST ? '[' : '{');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                pd_buf_adds(out, ", ");
            if (v->kind == DP_DICT)
                pd_buf_addf(out, "'%s': ", v->keys[i]);
            print_repr(out, &v->items[i]);
        }
        pd_buf_addc(out, v->kind == DP_LIST ? ']' : '}');
        break;
    }
}

static int truthy(const struct dp_val *v)
{
    switch (v->kind) {
    case DP_NONE: return 0;
    case DP_BOOL: return v->b;
    case DP_NUM: return v->n != 0;
    case DP_STR: return v->s[0] != 0;
    default: return v->len > 0;
    }
}

static int val_equal(const struct dp_val *a, const struct dp_val *b)
{
    if (a->kind == DP_NUM && b->kind == DP_BOOL)
        return a->n == b->b;
    if (a->kind == DP_BOOL && b->kind == DP_NUM)
        return a->b == b->n;
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case DP_NONE: return 1;
    case DP_BOOL: return a->b == b->b;
    case DP_NUM: return a->n == b->n;
    case DP_STR: return strcmp(a->s, b->s) == 0;
    default:
        if (a->len != b->len)
            return 0;
        for (size_t i = 0; i < a->len; i++)
            if (!val_equal(&a->items[i], &b->items[i]) ||
                (a->keys && strcmp(a->keys[i], b->keys[i]) != 0))
                return 0;
        return 1;
    }
}

/* ---------- the template tree ---------- */

enum node_kind { N_TEXT, N_OUT, N_IF, N_FOR, N_SET };

struct node {
    enum node_kind kind;
    int line;
    char *text;          /* N_TEXT: the text; N_OUT/N_SET/N_FOR: the expression */
    char *name;          /* N_SET, N_FOR: the variable */
    struct node **kids;  /* N_FOR: body; N_IF: one N_IF branch per if/elif/else */
    size_t nkids;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    free(n->text);
    free(n->name);
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n);
}

static struct node *node_new(enum node_kind kind, int line)
{
    struct node *n = xmalloc(sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = line;
    return n;
}

static void node_add(struct node *parent, struct node *kid)
{
    parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof(*parent->kids));
    parent->kids[parent->nkids++] = kid;
}

/* One piece of the template as cut by the scanner. */
enum piece_kind { P_TEXT, P_OUT, P_STMT, P_END };

struct piece {
    enum piece_kind kind;
    char *text;
    int line;
};

struct scanner {
    const char *p;
    const char *label;
    int line;
    int strip_next; /* the previous tag ended with '-': drop leading whitespace */
};

static int count_lines(const char *s, size_t n)
{
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += s[i] == '\n';
    return lines;
}

/* Find the close of a tag opened at body, skipping quoted strings. */
static const char *find_close(const char *body, char close)
{
    char quote = 0;
    for (const char *q = body; *q; q++) {
        if (quote) {
            if (*q == '\\' && q[1])
                q++;
            else if (*q == quote)
                quote = 0;
        } else if (*q == '\'' || *q == '"') {
            quote = *q;
        } else if (*q == close && q[1] == '}') {
            return q;
        }
    }
    return NULL;
}

static int next_piece(struct scanner *sc, struct piece *pc, struct pd_err *err)
{
    const char *start = sc->p, *open = start;

    memset(pc, 0, sizeof(*pc));
    while ((open = strchr(open, '{')) != NULL &&
           open[1] != '{' && open[1] != '%' && open[1] != '#')
        open++;
    if (open != start || !open) {
        const char *end = open ? open : start + strlen(start);
        const char *from = start;
        if (sc->strip_next)
            while (from < end && isspace((unsigned char)*from))
                from++;
        const char *to = end;
        if (open && open[2] == '-')
            while (to > from && isspace((unsigned char)to[-1]))
                to--;
        pc->kind = P_TEXT;
        pc->text = xstrndup(from, (size_t)(to - from));
        pc->line = sc->line + count_lines(start, (size_t)(from - start));
        sc->line += count_lines(start, (size_t)(end - start));
        sc->p = end;
        sc->strip_next = 0;
        if (!open && end == start)
            pc->kind = P_END;
        return 0;
    }
    char kind = open[1], close = kind == '{' ? '}' : kind;
    const char *body = open + 2;
    if (*body == '-')
        body++;
    const char *end = kind == '#' ? strstr(body, "#}") : find_close(body, close);
    if (!end)
        return pd_fail(err, PD_EINVAL, "%s:%d: %s is never closed", sc->label, sc->line,
                       kind == '{' ? "{{" : kind == '%' ? "{%" : "{#");
    const char *inner_end = end;
    sc->strip_next = end > body && end[-1] == '-';
    if (sc->strip_next)
        inner_end--;
    pc->kind = kind == '{' ? P_OUT : kind == '%' ? P_STMT : P_TEXT;
    pc->text = kind == '#' ? xstrdup("") : xstrndup(body, (size_t)(inner_end - body));
    pc->line = sc->line;
    sc->line += count_lines(open, (size_t)(end + 2 - open));
    sc->p = end + 2;
    return 0;
}

/* The first word of a statement and where the rest starts. */
static const char *stmt_word(const char *s, char *word, size_t cap)
{
    size_t n = 0;
    while (isspace((unsigned char)*s))
        s++;
    while ((isalnum((unsigned char)*s) || *s == '_') && n + 1 < cap)
        word[n++] = *s++;
    word[n] = 0;
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static char *trimmed(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

struct parser {
    struct scanner sc;
    struct piece pending;
    int have_pending;
};

/*
 * Parse pieces into parent until a statement whose word is one of stops
 * (space-separated) or the end. The stopping piece's word goes to *stopped, its
 * rest to *stop_rest (heap).
 */
static int parse_body(struct parser *ps, struct node *parent, const char *stops, char *stopped,
                      char **stop_rest, int *stop_line, struct pd_err *err)
{
    for (;;) {
        struct piece pc;
        int rc = next_piece(&ps->sc, &pc, err);
        if (rc)
            return rc;
        if (pc.kind == P_END) {
            free(pc.text);
            if (stops) { /* the last word of stops closes the block: endif, endfor */
                const char *last = strrchr(stops, ' ');
                return pd_fail(err, PD_EINVAL, "%s:%d: missing {%% %s %%}", ps->sc.label,
                               ps->sc.line, last ? last + 1 : stops);
            }
            stopped[0] = 0;
            return 0;
        }
        if (pc.kind == P_TEXT) {
            struct node *n = node_new(N_TEXT, pc.line);
            n->text = pc.text;
            node_add(parent, n);
            continue;
        }
        if (pc.kind == P_OUT) {
            struct node *n = node_new(N_OUT, pc.line);
            n->text = trimmed(pc.text);
            free(pc.text);
            node_add(parent, n);
            continue;
        }
        char word[32];
        const char *rest = stmt_word(pc.text, word, sizeof(word));
        if (stops) {
            char pad[40];
            snprintf(pad, sizeof(pad), " %s ", word);
            char hay[96];
            snprintf(hay, sizeof(hay), " %s ", stops);
            if (word[0] && strstr(hay, pad)) {
                strcpy(stopped, word);
                *stop_rest = trimmed(rest);
                *stop_line = pc.line;
                free(pc.text);
                return 0;
            }
        }
        if (strcmp(word, "set") == 0) {
            const char *eq = strchr(rest, '=');
            struct node *n = node_new(N_SET, pc.line);
            if (!eq || eq[1] == '=') {
                free(pc.text);
                node_free(n);
                return pd_fail(err, PD_EINVAL, "%s:%d: unsupported Jinja: {%% set %%} without '= value'",
                               ps->sc.label, pc.line);
            }
            char *name = xstrndup(rest, (size_t)(eq - rest));
            n->name = trimmed(name);
            free(name);
            n->text = trimmed(eq + 1);
            free(pc.text);
            node_add(parent, n);
            continue;
        }
        if (strcmp(word, "if") == 0) {
            struct node *n = node_new(N_IF, pc.line);
            char *cond = trimmed(rest);
            int line = pc.line;
            free(pc.text);
            node_add(parent, n);
            for (;;) {
                struct node *br = node_new(N_IF, line);
                br->text = cond;
                node_add(n, br);
                char got[32];
                char *next_rest = NULL;
                rc = parse_body(ps, br, "elif else endif", got, &next_rest, &line, err);
                if (rc) {
                    free(next_rest);
                    return rc;
                }
                if (strcmp(got, "endif") == 0) {
                    free(next_rest);
                    break;
                }
                cond = strcmp(got, "else") == 0 ? NULL : next_rest;
                if (!cond)
                    free(next_rest);
            }
            continue;
        }
        if (strcmp(word, "for") == 0) {
            struct node *n = node_new(N_FOR, pc.line);
            const char *in = strstr(rest, " in ");
            if (!in) {
                free(pc.text);
                node_free(n);
                return pd_fail(err, PD_EINVAL, "%s:%d: {%% for %%} needs 'for NAME in LIST'",
                               ps->sc.label, pc.line);
            }
            char *name = xstrndup(rest, (size_t)(in - rest));
            n->name = trimmed(name);
            free(name);
            if (strchr(n->name, ',')) {
                int line = pc.line;
                free(pc.text);
                node_free(n);
                return pd_fail(err, PD_EINVAL, "%s:%d: unsupported Jinja: for with several loop variables",
                               ps->sc.label, line);
            }
            n->text = trimmed(in + 4);
            free(pc.text);
            node_add(parent, n);
            char got[32];
            char *r2 = NULL;
            int l2;
            rc = parse_body(ps, n, "endfor", got, &r2, &l2, err);
            free(r2);
            if (rc)
                return rc;
            continue;
        }
        int line = pc.line;
        if (!strcmp(word, "endif") || !strcmp(word, "endfor") || !strcmp(word, "else") ||
            !strcmp(word, "elif")) {
            rc = pd_fail(err, PD_EINVAL, "%s:%d: {%% %s %%} without a matching {%% %s %%}",
                         ps->sc.label, line, word, !strcmp(word, "endfor") ? "for" : "if");
            free(pc.text);
            return rc;
        }
        rc = pd_fail(err, PD_EINVAL, "%s:%d: unsupported Jinja: {%% %s %%}%s", ps->sc.label, line,
                     word[0] ? word : pc.text,
                     strcmp(word, "macro") == 0 ? " (macros are not supported)" : "");
        free(pc.text);
        return rc;
    }
}

/* ---------- expressions ---------- */

struct scope_var {
    char *name;
    struct dp_val val;
};

struct render {
    const struct dp_jinja_host *host;
    const char *label;
    struct scope_var *vars;
    size_t nvars, cap;
};

enum tok_kind { T_END, T_NAME, T_STR, T_NUM, T_OP };

struct lexer {
    const char *p;
    enum tok_kind kind;
    char text[256];
    char *str; /* T_STR value (heap) */
    double num;
    int line;
    int depth; /* expressions inside expressions: ( [ not, bounded by MAX_NESTING */
    struct render *r;
};

#define MAX_NESTING 100

static int lex_fail(struct lexer *lx, struct pd_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int lex_fail(struct lexer *lx, struct pd_err *err, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return pd_fail(err, PD_EINVAL, "%s:%d: %.900s", lx->r->label, lx->line, msg);
}

static int lex_next(struct lexer *lx, struct pd_err *err)
{
    const char *p = lx->p;
    free(lx->str);
    lx->str = NULL;
    while (isspace((unsigned char)*p))
        p++;
    lx->text[0] = 0;
    if (!*p) {
        lx->kind = T_END;
        lx->p = p;
        return 0;
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
        size_t n = 0;
        while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof(lx->text))
            lx->text[n++] = *p++;
        lx->text[n] = 0;
        lx->kind = T_NAME;
    } else if (isdigit((unsigned char)*p)) {
        char *end;
        lx->num = strtod(p, &end);
        lx->kind = T_NUM;
        p = end;
    } else if (*p == '\'' || *p == '"') {
        char q = *p++;
        struct pd_buf b = PD_BUF_INIT;
        while (*p && *p != q) {
            if (*p == '\\' && p[1]) {
                p++;
                pd_buf_addc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
            } else {
                pd_buf_addc(&b, *p);
            }
            p++;
        }
        if (!*p) {
            pd_buf_release(&b);
            return lex_fail(lx, err, "%s", "a string is never closed");
        }
        p++;
        lx->str = pd_buf_detach(&b, NULL);
        lx->kind = T_STR;
    } else {
        static const char *const two[] = {"==", "!=", "<=", ">=", "**", "//"};
        lx->kind = T_OP;
        for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
            if (strncmp(p, two[i], 2) == 0) {
                memcpy(lx->text, p, 2);
                lx->text[2] = 0;
                lx->p = p + 2;
                return 0;
            }
        if (!strchr("()[]{},.=<>~+-*/|:%", *p))
            return lex_fail(lx, err, "unexpected '%s' in an expression", (char[]){*p, 0});
        lx->text[0] = *p++;
        lx->text[1] = 0;
    }
    lx->p = p;
    return 0;
}

static int is_op(const struct lexer *lx, const char *op)
{
    return lx->kind == T_OP && strcmp(lx->text, op) == 0;
}

static int is_word(const struct lexer *lx, const char *w)
{
    return lx->kind == T_NAME && strcmp(lx->text, w) == 0;
}

static int expect_op(struct lexer *lx, const char *op, struct pd_err *err)
{
    if (!is_op(lx, op))
        return lex_fail(lx, err, "expected '%s' in an expression", op);
    return lex_next(lx, err);
}

static int eval_expr(struct lexer *lx, struct dp_val *out, struct pd_err *err);

static const struct dp_val *lookup(struct render *r, const char *name)
{
    for (size_t i = r->nvars; i-- > 0;)
        if (strcmp(r->vars[i].name, name) == 0)
            return &r->vars[i].val;
    return NULL;
}

static void scope_set(struct render *r, const char *name, struct dp_val val)
{
    for (size_t i = r->nvars; i-- > 0;)
        if (strcmp(r->vars[i].name, name) == 0) {
            dp_val_free(&r->vars[i].val);
            r->vars[i].val = val;
            return;
        }
    if (r->nvars == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->vars = xrealloc(r->vars, r->cap * sizeof(*r->vars));
    }
    r->vars[r->nvars].name = xstrdup(name);
    r->vars[r->nvars].val = val;
    r->nvars++;
}

static void scope_pop(struct render *r, size_t to)
{
    while (r->nvars > to) {
        r->nvars--;
        free(r->vars[r->nvars].name);
        dp_val_free(&r->vars[r->nvars].val);
    }
}

static int eval_call(struct lexer *lx, const char *name, struct dp_val *out, struct pd_err *err)
{
    struct dp_val args[16];
    struct dp_kwarg kw[16];
    char kwnames[16][64];
    size_t nargs = 0, nkw = 0;
    int rc = lex_next(lx, err); /* past '(' */

    while (!rc && !is_op(lx, ")")) {
        if (nargs + nkw == 16) {
            rc = lex_fail(lx, err, "too many arguments to %s()", name);
            break;
        }
        if (lx->kind == T_NAME && lx->p[strspn(lx->p, " \t\n")] == '=' &&
            lx->p[strspn(lx->p, " \t\n") + 1] != '=') {
            snprintf(kwnames[nkw], sizeof(kwnames[nkw]), "%.63s", lx->text);
            rc = lex_next(lx, err);
            if (!rc)
                rc = expect_op(lx, "=", err);
            if (!rc)
                rc = eval_expr(lx, &kw[nkw].val, err);
            if (rc)
                break;
            kw[nkw].name = kwnames[nkw];
            nkw++;
        } else {
            rc = eval_expr(lx, &args[nargs], err);
            if (rc)
                break;
            nargs++;
        }
        if (is_op(lx, ","))
            rc = lex_next(lx, err);
        else if (!is_op(lx, ")"))
            rc = lex_fail(lx, err, "expected ',' or ')' in the call to %s()", name);
    }
    if (!rc)
        rc = lex_next(lx, err);
    if (!rc && strcmp(name, "range") == 0 && nargs >= 1 && args[0].kind == DP_NUM) {
        double from = nargs > 1 ? args[0].n : 0, to = nargs > 1 ? args[1].n : args[0].n;
        *out = (struct dp_val){.kind = DP_LIST};
        for (double i = from; i < to && out->len < 100000; i++)
            list_push(out, val_num(i));
    } else if (!rc) {
        int found = lx->r->host && lx->r->host->call
                        ? lx->r->host->call(lx->r->host->arg, name, args, nargs, kw, nkw, out, err)
                        : DP_NO_SUCH_FUNCTION;
        if (found == DP_NO_SUCH_FUNCTION)
            rc = lex_fail(lx, err, "unsupported Jinja: the function %s()", name);
        else if (found) {
            if (err && strncmp(err->msg, lx->r->label, strlen(lx->r->label)) != 0)
                pd_err_prefix(err, "%s:%d: ", lx->r->label, lx->line);
            rc = found;
        }
    }
    for (size_t i = 0; i < nargs; i++)
        dp_val_free(&args[i]);
    for (size_t i = 0; i < nkw; i++)
        dp_val_free(&kw[i].val);
    return rc;
}

static int eval_primary(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    int rc;
    *out = (struct dp_val){.kind = DP_NONE};
    if (lx->kind == T_STR) {
        *out = (struct dp_val){.kind = DP_STR, .s = lx->str};
        lx->str = NULL;
        rc = lex_next(lx, err);
    } else if (lx->kind == T_NUM) {
        *out = val_num(lx->num);
        rc = lex_next(lx, err);
    } else if (is_op(lx, "(")) {
        rc = lex_next(lx, err);
        if (!rc)
            rc = eval_expr(lx, out, err);
        if (!rc)
            rc = expect_op(lx, ")", err);
    } else if (is_op(lx, "[")) {
        out->kind = DP_LIST;
        rc = lex_next(lx, err);
        while (!rc && !is_op(lx, "]")) {
            struct dp_val item;
            rc = eval_expr(lx, &item, err);
            if (rc)
                break;
            list_push(out, item);
            if (is_op(lx, ","))
                rc = lex_next(lx, err);
            else if (!is_op(lx, "]"))
                rc = lex_fail(lx, err, "%s", "expected ',' or ']' in a list");
        }
        if (!rc)
            rc = lex_next(lx, err);
    } else if (lx->kind == T_NAME) {
        char name[256];
        snprintf(name, sizeof(name), "%s", lx->text);
        rc = lex_next(lx, err);
        if (rc)
            return rc;
        if (is_op(lx, "("))
            rc = eval_call(lx, name, out, err);
        else if (!strcmp(name, "true") || !strcmp(name, "True"))
            *out = val_bool(1);
        else if (!strcmp(name, "false") || !strcmp(name, "False"))
            *out = val_bool(0);
        else if (!strcmp(name, "none") || !strcmp(name, "None"))
            *out = (struct dp_val){.kind = DP_NONE};
        else {
            const struct dp_val *v = lookup(lx->r, name);
            if (v)
                *out = dp_val_copy(v);
            else if (!lx->r->host || !lx->r->host->var ||
                     lx->r->host->var(lx->r->host->arg, name, out) != 0)
                rc = lex_fail(lx, err, "'%s' is undefined", name);
        }
    } else {
        rc = lex_fail(lx, err, "unexpected '%s' in an expression",
                      lx->kind == T_END ? "end" : lx->text);
    }
    /* postfix: .attr, [index], and calls on attributes are not supported */
    while (!rc && (is_op(lx, ".") || is_op(lx, "[") || is_op(lx, "|"))) {
        if (is_op(lx, "|")) {
            rc = lex_next(lx, err);
            if (!rc)
                rc = lex_fail(lx, err, "unsupported Jinja: the filter |%s", lx->text);
            break;
        }
        struct dp_val key = {0};
        if (is_op(lx, ".")) {
            rc = lex_next(lx, err);
            if (rc)
                break;
            if (lx->kind != T_NAME) {
                rc = lex_fail(lx, err, "%s", "expected a name after '.'");
                break;
            }
            key = dp_val_str(lx->text);
            rc = lex_next(lx, err);
            if (!rc && is_op(lx, "(")) {
                rc = lex_fail(lx, err, "unsupported Jinja: the method .%s()", key.s);
                dp_val_free(&key);
                break;
            }
        } else {
            rc = lex_next(lx, err);
            if (!rc)
                rc = eval_expr(lx, &key, err);
            if (!rc)
                rc = expect_op(lx, "]", err);
        }
        struct dp_val got = {.kind = DP_NONE};
        int found = 0;
        if (!rc && out->kind == DP_DICT && key.kind == DP_STR) {
            for (size_t i = 0; i < out->len && !found; i++)
                if (strcmp(out->keys[i], key.s) == 0) {
                    got = dp_val_copy(&out->items[i]);
                    found = 1;
                }
        } else if (!rc && out->kind == DP_LIST && key.kind == DP_NUM) {
            double i = key.n < 0 ? (double)out->len + key.n : key.n;
            if (i >= 0 && i < (double)out->len) {
                got = dp_val_copy(&out->items[(size_t)i]);
                found = 1;
            }
        }
        if (!rc && !found) {
            struct pd_buf b = PD_BUF_INIT;
            dp_val_print(&b, &key);
            rc = lex_fail(lx, err, "no attribute or item '%s'", b.ptr ? b.ptr : "");
            pd_buf_release(&b);
        }
        dp_val_free(&key);
        dp_val_free(out);
        *out = got;
    }
    if (rc)
        dp_val_free(out);
    return rc;
}

/* Every eval_* leaves *out a value it owns, empty (DP_NONE) after a failure. */
static int eval_sum(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    int neg = 0, rc;
    *out = (struct dp_val){.kind = DP_NONE};
    if (is_op(lx, "-")) {
        neg = 1;
        if ((rc = lex_next(lx, err)))
            return rc;
    }
    rc = eval_primary(lx, out, err);
    if (!rc && neg) {
        if (out->kind != DP_NUM)
            return dp_val_free(out), lex_fail(lx, err, "%s", "'-' needs a number");
        out->n = -out->n;
    }
    while (!rc && (is_op(lx, "+") || is_op(lx, "-") || is_op(lx, "*"))) {
        char op = lx->text[0];
        struct dp_val rhs;
        if ((rc = lex_next(lx, err)) || (rc = eval_primary(lx, &rhs, err)))
            break;
        if (out->kind == DP_NUM && rhs.kind == DP_NUM) {
            out->n = op == '+' ? out->n + rhs.n : op == '-' ? out->n - rhs.n : out->n * rhs.n;
        } else if (op == '+' && out->kind == DP_LIST && rhs.kind == DP_LIST) {
            for (size_t i = 0; i < rhs.len; i++)
                list_push(out, dp_val_copy(&rhs.items[i]));
        } else if (op == '+' && out->kind == DP_STR && rhs.kind == DP_STR) {
            char *s = xasprintf("%s%s", out->s, rhs.s);
            free(out->s);
            out->s = s;
        } else {
            rc = lex_fail(lx, err, "'%s' needs two numbers", (char[]){op, 0});
        }
        dp_val_free(&rhs);
    }
    if (rc)
        dp_val_free(out);
    return rc;
}

static int eval_concat(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    int rc = eval_sum(lx, out, err);
    while (!rc && is_op(lx, "~")) {
        struct dp_val rhs;
        if ((rc = lex_next(lx, err)) || (rc = eval_sum(lx, &rhs, err)))
            break;
        struct pd_buf b = PD_BUF_INIT;
        dp_val_print(&b, out);
        dp_val_print(&b, &rhs);
        dp_val_free(out);
        dp_val_free(&rhs);
        *out = dp_val_str(b.ptr ? b.ptr : "");
        pd_buf_release(&b);
    }
    if (rc)
        dp_val_free(out);
    return rc;
}

static int contains(const struct dp_val *hay, const struct dp_val *needle)
{
    if (hay->kind == DP_STR && needle->kind == DP_STR)
        return strstr(hay->s, needle->s) != NULL;
    for (size_t i = 0; i < hay->len; i++) {
        if (hay->kind == DP_DICT && needle->kind == DP_STR && strcmp(hay->keys[i], needle->s) == 0)
            return 1;
        if (hay->kind == DP_LIST && val_equal(&hay->items[i], needle))
            return 1;
    }
    return 0;
}

static int compare(const struct dp_val *a, const struct dp_val *b, const char *op, int *res)
{
    if (!strcmp(op, "==") || !strcmp(op, "!=")) {
        *res = val_equal(a, b) == (op[0] == '=');
        return 0;
    }
    double c;
    if (a->kind == DP_NUM && b->kind == DP_NUM)
        c = a->n < b->n ? -1 : a->n > b->n;
    else if (a->kind == DP_STR && b->kind == DP_STR)
        c = strcmp(a->s, b->s);
    else
        return -1;
    *res = !strcmp(op, "<") ? c < 0 : !strcmp(op, ">") ? c > 0 : !strcmp(op, "<=") ? c <= 0 : c >= 0;
    return 0;
}

static int eval_cmp(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    int rc = eval_concat(lx, out, err);
    for (;;) {
        char op[8] = "";
        if (rc)
            break;
        if (lx->kind == T_OP && (is_op(lx, "==") || is_op(lx, "!=") || is_op(lx, "<") ||
                                 is_op(lx, ">") || is_op(lx, "<=") || is_op(lx, ">=")))
            snprintf(op, sizeof(op), "%.3s", lx->text);
        else if (is_word(lx, "in"))
            strcpy(op, "in");
        else if (is_word(lx, "not") && strncmp(lx->p + strspn(lx->p, " \t\n"), "in", 2) == 0) {
            if ((rc = lex_next(lx, err)))
                break;
            strcpy(op, "notin");
        } else if (is_word(lx, "is")) {
            rc = lex_fail(lx, err, "%s", "unsupported Jinja: 'is' tests");
            break;
        } else
            break;
        struct dp_val rhs;
        if ((rc = lex_next(lx, err)) || (rc = eval_concat(lx, &rhs, err)))
            break;
        int res = 0;
        if (!strcmp(op, "in") || !strcmp(op, "notin"))
            res = contains(&rhs, out) == (op[0] == 'i');
        else if (compare(out, &rhs, op, &res) != 0)
            rc = lex_fail(lx, err, "cannot compare these values with '%s'", op);
        dp_val_free(&rhs);
        dp_val_free(out);
        *out = val_bool(res);
    }
    if (rc)
        dp_val_free(out);
    return rc;
}

static int eval_not(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    *out = (struct dp_val){.kind = DP_NONE};
    if (is_word(lx, "not")) {
        int rc = lex_next(lx, err);
        if (!rc && lx->depth >= MAX_NESTING)
            rc = lex_fail(lx, err, "an expression nested deeper than %d levels", MAX_NESTING);
        lx->depth++;
        if (!rc)
            rc = eval_not(lx, out, err);
        lx->depth--;
        if (!rc) {
            int t = truthy(out);
            dp_val_free(out);
            *out = val_bool(!t);
        }
        return rc;
    }
    return eval_cmp(lx, out, err);
}

static int eval_logic(struct lexer *lx, struct dp_val *out, struct pd_err *err, int level)
{
    const char *word = level ? "and" : "or";
    int rc = level ? eval_not(lx, out, err) : eval_logic(lx, out, err, 1);
    while (!rc && is_word(lx, word)) {
        struct dp_val rhs;
        if ((rc = lex_next(lx, err)))
            break;
        rc = level ? eval_not(lx, &rhs, err) : eval_logic(lx, &rhs, err, 1);
        if (rc)
            break;
        int keep_left = level ? !truthy(out) : truthy(out);
        if (keep_left) {
            dp_val_free(&rhs);
        } else {
            dp_val_free(out);
            *out = rhs;
        }
    }
    if (rc)
        dp_val_free(out);
    return rc;
}

static int eval_expr(struct lexer *lx, struct dp_val *out, struct pd_err *err)
{
    int rc;
    if (lx->depth >= MAX_NESTING) {
        *out = (struct dp_val){.kind = DP_NONE};
        return lex_fail(lx, err, "an expression nested deeper than %d levels", MAX_NESTING);
    }
    lx->depth++;
    rc = eval_logic(lx, out, err, 0);
    lx->depth--;
    if (!rc && is_word(lx, "if")) {
        dp_val_free(out);
        rc = lex_fail(lx, err, "%s", "unsupported Jinja: inline 'x if c else y'");
    }
    return rc;
}

/* Evaluate the whole expression text. */
static int eval_text(struct render *r, const char *text, int line, struct dp_val *out,
                     struct pd_err *err)
{
    struct lexer lx = {.p = text, .line = line, .r = r};
    int rc = lex_next(&lx, err);
    if (!rc && lx.kind == T_END)
        rc = lex_fail(&lx, err, "%s", "an empty expression");
    if (!rc)
        rc = eval_expr(&lx, out, err);
    if (!rc && lx.kind != T_END) {
        dp_val_free(out);
        rc = lex_fail(&lx, err, "unexpected '%s' after the expression",
                      lx.kind == T_STR ? lx.str : lx.text);
    }
    free(lx.str);
    return rc;
}

/* ---------- rendering ---------- */

static int render_nodes(struct render *r, struct node **kids, size_t n, struct pd_buf *out,
                        struct pd_err *err);

static struct dp_val loop_value(size_t i, size_t len)
{
    static const char *const keys[] = {"index", "index0", "first", "last", "length", "revindex"};
    struct dp_val v = {.kind = DP_DICT, .len = 6};
    v.keys = xmalloc(6 * sizeof(*v.keys));
    v.items = xmalloc(6 * sizeof(*v.items));
    for (int k = 0; k < 6; k++)
        v.keys[k] = xstrdup(keys[k]);
    v.items[0] = val_num((double)i + 1);
    v.items[1] = val_num((double)i);
    v.items[2] = val_bool(i == 0);
    v.items[3] = val_bool(i + 1 == len);
    v.items[4] = val_num((double)len);
    v.items[5] = val_num((double)(len - i));
    return v;
}

static int render_node(struct render *r, const struct node *n, struct pd_buf *out,
                       struct pd_err *err)
{
    struct dp_val v;
    int rc = 0;

    switch (n->kind) {
    case N_TEXT:
        pd_buf_adds(out, n->text);
        return 0;
    case N_OUT:
        if ((rc = eval_text(r, n->text, n->line, &v, err)))
            return rc;
        dp_val_print(out, &v);
        dp_val_free(&v);
        return 0;
    case N_SET:
        if ((rc = eval_text(r, n->text, n->line, &v, err)))
            return rc;
        scope_set(r, n->name, v);
        return 0;
    case N_IF:
        for (size_t i = 0; i < n->nkids; i++) {
            const struct node *br = n->kids[i];
            int take = 1;
            if (br->text) {
                if ((rc = eval_text(r, br->text, br->line, &v, err)))
                    return rc;
                take = truthy(&v);
                dp_val_free(&v);
            }
            if (take)
                return render_nodes(r, br->kids, br->nkids, out, err);
        }
        return 0;
    case N_FOR: {
        if ((rc = eval_text(r, n->text, n->line, &v, err)))
            return rc;
        if (v.kind != DP_LIST && v.kind != DP_DICT) {
            dp_val_free(&v);
            return pd_fail(err, PD_EINVAL, "%s:%d: {%% for %%} needs a list", r->label, n->line);
        }
        size_t mark = r->nvars;
        for (size_t i = 0; i < v.len && !rc; i++) {
            scope_set(r, n->name, v.kind == DP_DICT ? dp_val_str(v.keys[i]) : dp_val_copy(&v.items[i]));
            scope_set(r, "loop", loop_value(i, v.len));
            rc = render_nodes(r, n->kids, n->nkids, out, err);
        }
        scope_pop(r, mark);
        dp_val_free(&v);
        return rc;
    }
    }
    return 0;
}

static int render_nodes(struct render *r, struct node **kids, size_t n, struct pd_buf *out,
                        struct pd_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = render_node(r, kids[i], out, err);
        if (rc)
            return rc;
    }
    return 0;
}

int dp_jinja_has_tags(const char *text)
{
    return strstr(text, "{{") || strstr(text, "{%") || strstr(text, "{#");
}

int dp_jinja_render(const char *text, const char *label, int line,
                    const struct dp_jinja_host *host, struct pd_buf *out, struct pd_err *err)
{
    struct parser ps = {.sc = {.p = text, .label = label, .line = line}};
    struct node *root = node_new(N_FOR, line);
    char stopped[32];
    int rc = parse_body(&ps, root, NULL, stopped, NULL, NULL, err);

    if (rc == 0) {
        struct render r = {.host = host, .label = label};
        rc = render_nodes(&r, root->kids, root->nkids, out, err);
        scope_pop(&r, 0);
        free(r.vars);
    }
    node_free(root);
    if (rc == 0 && !out->ptr)
        pd_buf_adds(out, "");
    return rc;
}
