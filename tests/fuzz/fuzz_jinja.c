/*
 * fuzz_jinja.c - the Jinja renderer on any template, with a host that knows
 * ref(), source(), var() and config() and the globals this and target, as
 * analyses and dbt models call them. A failure must say why.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "duckpipe/jinja.h"
#include "fuzz.h"

static int host_call(void *arg, const char *name, const struct dp_val *args, size_t nargs,
                     const struct dp_kwarg *kw, size_t nkw, struct dp_val *out, struct pd_err *err)
{
    (void)arg, (void)kw, (void)nkw;
    if (strcmp(name, "ref") == 0 || strcmp(name, "source") == 0 || strcmp(name, "var") == 0) {
        struct pd_buf b = PD_BUF_INIT;
        for (size_t i = 0; i < nargs; i++) {
            if (i)
                pd_buf_add(&b, ".", 1);
            dp_val_print(&b, &args[i]);
        }
        *out = dp_val_str(b.ptr);
        pd_buf_release(&b);
        return 0;
    }
    if (strcmp(name, "config") == 0) {
        *out = dp_val_str("");
        return 0;
    }
    if (strcmp(name, "fail") == 0)
        return pd_fail(err, PD_EINVAL, "fail() was called");
    return DP_NO_SUCH_FUNCTION;
}

static int host_var(void *arg, const char *name, struct dp_val *out)
{
    (void)arg;
    if (strcmp(name, "this") == 0 || strcmp(name, "target") == 0) {
        *out = dp_val_str(name);
        return 0;
    }
    return PD_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct dp_jinja_host host = {NULL, host_call, host_var};
    char *text = fuzz_text(data, size);
    struct pd_buf out = PD_BUF_INIT;
    struct pd_err err = PD_ERR_INIT;
    pd_buf_init(&out, 1 << 20);
    if (dp_jinja_render(text, "fuzz.sql", 1, &host, &out, &err) != 0 && !err.msg[0])
        abort();
    (void)dp_jinja_has_tags(text);
    pd_buf_release(&out);
    free(text);
    return 0;
}
