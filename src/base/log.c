/*
 * log.c - JSON-lines log writer (see log.h). One write(2) per record on an
 * O_APPEND descriptor, so records from several processes never interleave.
 */
#include "base/log.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static enum pd_log_level file_level = PD_LOG_INFO;
static int mirror_on;
static enum pd_log_level mirror_level = PD_LOG_WARN;
static _Thread_local char trace_id[64];
static _Thread_local json_t *context;          /* fields of every record of this thread */
static _Thread_local pd_log_sink capture_fn;   /* and who else sees them */
static _Thread_local void *capture_arg;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *pd_log_level_name(enum pd_log_level level)
{
    return level_names[level];
}

int pd_log_level_parse(const char *name, enum pd_log_level *level)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *level = (enum pd_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *level = PD_LOG_WARN;
        return 0;
    }
    return PD_EINVAL;
}

int pd_log_open(const char *path, enum pd_log_level level, struct pd_err *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return pd_fail(err, PD_EIO, "cannot open log file '%s': %s", path, strerror(errno));
    pthread_mutex_lock(&log_lock);
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    file_level = level;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

void pd_log_mirror_stderr(int enabled, enum pd_log_level level)
{
    pthread_mutex_lock(&log_lock);
    mirror_on = enabled;
    mirror_level = level;
    pthread_mutex_unlock(&log_lock);
}

void pd_log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    pthread_mutex_unlock(&log_lock);
}

void pd_log_set_trace_id(const char *id)
{
    snprintf(trace_id, sizeof(trace_id), "%s", id ? id : "");
}

const char *pd_log_trace_id(void)
{
    return trace_id[0] ? trace_id : NULL;
}

void pd_log_set_context(json_t *fields)
{
    context = fields;
}

void pd_log_capture(pd_log_sink fn, void *arg)
{
    capture_fn = fn;
    capture_arg = arg;
}

void pd_log(enum pd_log_level level, const char *msg, const char *fields_fmt, ...)
{
    int to_file, to_mirror, to_capture = capture_fn && level >= PD_LOG_INFO;
    char ts[40];
    json_t *rec, *fields = NULL;
    char *line;

    pthread_mutex_lock(&log_lock);
    to_file = log_fd >= 0 && level >= file_level;
    to_mirror = mirror_on && level >= mirror_level;
    pthread_mutex_unlock(&log_lock);
    if (!to_file && !to_mirror && !to_capture)
        return;

    rec = json_object();
    json_object_set_new(rec, "ts", json_string(pd_time_iso(pd_now_ms(), ts, sizeof(ts))));
    json_object_set_new(rec, "level", json_string(level_names[level]));
    json_object_set_new(rec, "msg", json_string(msg));
    if (trace_id[0])
        json_object_set_new(rec, "trace_id", json_string(trace_id));
    if (context)
        json_object_update(rec, context);
    if (fields_fmt) {
        va_list ap;
        va_start(ap, fields_fmt);
        fields = json_vpack_ex(NULL, 0, fields_fmt, ap);
        va_end(ap);
        if (json_is_object(fields))
            json_object_update(rec, fields);
        json_decref(fields);
    }

    if ((to_file || to_capture) &&
        (line = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(8))) != NULL) {
        size_t n = strlen(line);
        if (to_capture)
            capture_fn(capture_arg, line);
        line[n] = '\n'; /* json_dumps leaves room only for the NUL: rewrite it */
        pthread_mutex_lock(&log_lock);
        if (to_file && log_fd >= 0 && write(log_fd, line, n + 1) < 0) {
            /* dropped: logging never fails the caller */
        }
        pthread_mutex_unlock(&log_lock);
        free(line);
    }
    if (to_mirror) {
        struct pd_buf b = PD_BUF_INIT;
        pd_log_format_human(rec, &b, isatty(2));
        pd_buf_addc(&b, '\n');
        fputs(b.ptr, stderr);
        pd_buf_release(&b);
    }
    json_decref(rec);
}

void pd_log_format_human(json_t *rec, struct pd_buf *out, int color)
{
    static const char *const colors[] = {"\033[2m", "\033[32m", "\033[33m", "\033[31m"};
    const char *ts = json_string_value(json_object_get(rec, "ts"));
    const char *lv = json_string_value(json_object_get(rec, "level"));
    const char *msg = json_string_value(json_object_get(rec, "msg"));
    enum pd_log_level level = PD_LOG_INFO;
    const char *key;
    json_t *val;
    char upper[8] = {0};

    if (lv)
        pd_log_level_parse(lv, &level);
    for (int i = 0; i < 5 && level_names[level][i]; i++)
        upper[i] = (char)(level_names[level][i] - 'a' + 'A');
    if (ts && strlen(ts) >= 23)
        pd_buf_addf(out, "%.10s %.12s ", ts, ts + 11);
    else if (ts)
        pd_buf_addf(out, "%s ", ts);
    if (color)
        pd_buf_addf(out, "%s%-5s\033[0m ", colors[level], upper);
    else
        pd_buf_addf(out, "%-5s ", upper);
    pd_buf_adds(out, msg ? msg : "");
    json_object_foreach(rec, key, val) {
        if (!strcmp(key, "ts") || !strcmp(key, "level") || !strcmp(key, "msg"))
            continue;
        if (color)
            pd_buf_addf(out, "  \033[2m%s=\033[0m", key);
        else
            pd_buf_addf(out, "  %s=", key);
        if (json_is_string(val)) {
            pd_buf_adds(out, json_string_value(val));
        } else {
            char *s = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(8));
            if (s) {
                pd_buf_adds(out, s);
                free(s);
            }
        }
    }
}
