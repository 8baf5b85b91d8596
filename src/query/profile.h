/*
 * profile.h - per-column statistics of a table (DuckDB's SUMMARIZE underneath).
 */
#ifndef PD_PROFILE_H
#define PD_PROFILE_H

struct pd_err;
struct pd_query;
struct pd_sink;

/*
 * Send one row per column of table ("t" or "schema.t") through sink: column,
 * type, null_pct, approx_distinct, min, max, mean. The name is quoted as
 * identifiers, never pasted. PD_EINVAL for a malformed name, PD_ESQL (DuckDB's
 * message, which names the table) when it does not exist.
 */
int pd_profile_table(struct pd_query *q, const char *table, struct pd_sink *sink,
                     struct pd_err *err);

#endif
