/*
 * jinja.h - the subset of Jinja that analyses and dbt-style models are written in.
 *
 * Supported: {{ expr }}, {# comments #}, {% set x = expr %}, {% if %}/{% elif %}/
 * {% else %}/{% endif %}, {% for x in expr %}...{% endfor %} (with loop.first,
 * loop.last, loop.index, loop.index0, loop.length), whitespace control {%- -%}.
 * Expressions: string, number, boolean and none literals, lists, names, attribute
 * and index access, calls with positional and keyword arguments, comparisons,
 * in / not in, and / or / not, ~ concatenation, + and -. Calls go to the host
 * (ref, source, config, var ...). Anything else fails with "LABEL:LINE:
 * unsupported Jinja: WHAT". Rendering never touches the database.
 */
#ifndef DP_JINJA_H
#define DP_JINJA_H

#include <stddef.h>

struct pd_buf;
struct pd_err;

enum dp_vkind { DP_NONE, DP_BOOL, DP_NUM, DP_STR, DP_LIST, DP_DICT };

/* A template value. Strings and lists are owned by the value (dp_val_free). */
struct dp_val {
    enum dp_vkind kind;
    int b;
    double n;
    char *s;
    struct dp_val *items; /* list items or dict values */
    char **keys;          /* dict keys */
    size_t len;
};

#define DP_NO_SUCH_FUNCTION 1

struct dp_kwarg {
    const char *name;
    struct dp_val val;
};

struct dp_jinja_host {
    void *arg;
    /*
     * A call name(args..., kw=...). Set *out (owned by the caller afterwards) and
     * return 0; return DP_NO_SUCH_FUNCTION (recording nothing) when name is not a
     * function the host knows; a negative PD_E* code with a message on failure.
     */
    int (*call)(void *arg, const char *name, const struct dp_val *args, size_t nargs,
                const struct dp_kwarg *kw, size_t nkw, struct dp_val *out, struct pd_err *err);
    /* A global variable (this, target ...): 0 and *out, or PD_ENOTFOUND. */
    int (*var)(void *arg, const char *name, struct dp_val *out);
};

/*
 * Render text into out. label names the file in messages; line is the line the
 * text starts on (1 for a whole file). Returns 0 or PD_EINVAL ("LABEL:LINE: ...").
 */
int dp_jinja_render(const char *text, const char *label, int line,
                    const struct dp_jinja_host *host, struct pd_buf *out, struct pd_err *err);

void dp_val_free(struct dp_val *v);
struct dp_val dp_val_str(const char *s);
struct dp_val dp_val_copy(const struct dp_val *v);

/* Append the value as Jinja prints it (strings bare, lists as ['a', 1]). */
void dp_val_print(struct pd_buf *out, const struct dp_val *v);

/* 1 when text contains {{, {% or {#. */
int dp_jinja_has_tags(const char *text);

#endif
