/*
 * log.h - structured logging as JSON lines.
 *
 * Each record is one line of JSON: ts, level, msg, trace_id (when one is set on
 * the calling thread) and any fields the caller adds. Records go to the log file
 * (logs/pluto-duck.log, opened with pd_log_open) and, when mirroring is on, to
 * stderr in a human-readable form. Logging never fails the caller: a record that
 * cannot be written is dropped. Thread-safe.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <jansson.h>

struct pd_buf;
struct pd_err;

enum pd_log_level { PD_LOG_DEBUG, PD_LOG_INFO, PD_LOG_WARN, PD_LOG_ERROR };

/* "debug", "info", "warn", "error". */
const char *pd_log_level_name(enum pd_log_level level);

/* Parse a level name ("warning" is taken for "warn"). Returns 0 or PD_EINVAL. */
int pd_log_level_parse(const char *name, enum pd_log_level *level);

/* Start writing records at level or above to path (appending; created 0600). */
int pd_log_open(const char *path, enum pd_log_level level, struct pd_err *err);

/* Also print records at level or above to stderr, human-readable (off: enabled = 0). */
void pd_log_mirror_stderr(int enabled, enum pd_log_level level);

/* Close the log file. Further records go nowhere (except the stderr mirror). */
void pd_log_close(void);

/* The trace id of the calling thread's current operation (NULL clears it). Copied. */
void pd_log_set_trace_id(const char *trace_id);
const char *pd_log_trace_id(void);
/*
 * Fields every record of the calling thread carries from now on ({"run_id":
 * ..., "project_id": ...}), under the caller's own; NULL clears them. The
 * object is borrowed: keep it alive until it is cleared.
 */
void pd_log_set_context(json_t *fields);
/*
 * Also hand each record of the calling thread at info or above, as its JSON
 * line (no newline), to fn, whatever the file's level; NULL stops. A run's
 * lines are collected this way to be sent with it.
 */
typedef void (*pd_log_sink)(void *arg, const char *line);
void pd_log_capture(pd_log_sink fn, void *arg);

/*
 * Write a record. fields_fmt is a jansson json_pack() format for an object of
 * extra fields ("{s:s, s:I}") followed by its arguments, or NULL for none.
 */
void pd_log(enum pd_log_level level, const char *msg, const char *fields_fmt, ...);

/*
 * Render one parsed record as a human line (no newline): "2026-11-21 05:35:00.123
 * INFO  msg  key=value ...", with ANSI colour when color is set.
 */
void pd_log_format_human(json_t *record, struct pd_buf *out, int color);

#endif
