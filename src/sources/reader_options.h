/*
 * reader_options.h - options for DuckDB's file readers (read_csv, read_parquet,
 * read_json) that a file or http source carries in its config as "options":
 * ignore_errors, union_by_name, delim, header, dateformat, columns, compression...
 *
 * Each is checked against a fixed list with its type and the readers that take
 * it, and written into the reader call as a named parameter whose value is a
 * literal of that type: never text pasted into SQL.
 */
#ifndef PD_READER_OPTIONS_H
#define PD_READER_OPTIONS_H

#include <jansson.h>

struct pd_buf;
struct pd_err;

/*
 * Check config's "options" (values as given: text from a command line, JSON from
 * a recipe) and replace them by their typed values. PD_EINVAL for an unknown
 * option or a value of the wrong type, naming it.
 */
int pd_reader_options_configure(json_t *config, struct pd_err *err);

/*
 * Append ", name = value" for each option of opts (checked by configure) to a
 * read_FORMAT( call; PD_EINVAL when format's reader does not take one of them.
 */
int pd_reader_options_sql(struct pd_buf *sql, const char *format, const json_t *opts,
                          struct pd_err *err);

#endif
