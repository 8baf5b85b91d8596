/*
 * fuzz_arrow.c - the Arrow IPC writer on results the input chooses: which of
 * DuckDB's test_all_types() columns (every type, with its minimum, maximum and
 * NULL), in which rows and how many (past one chunk), and a BLOB of the input's
 * own bytes. The writer either says why it cannot write a type or writes a
 * whole stream, ending with the end-of-stream marker.
 */
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "fuzz.h"
#include "warehouse/encode.h"

#define MAX_COLS 6
#define MAX_ROWS 5000

static duckdb_database db;
static duckdb_connection con;
static char **columns; /* test_all_types() columns, quoted */
static size_t n_columns;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    duckdb_result res;
    (void)argc, (void)argv;
    if (duckdb_open(NULL, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess ||
        duckdb_query(con, "create table t as select row_number() over () - 1 as rid, * "
                          "from test_all_types()", NULL) != DuckDBSuccess ||
        duckdb_query(con, "create table u (k int)", NULL) != DuckDBSuccess ||
        duckdb_query(con, "set threads = 1", NULL) != DuckDBSuccess ||
        duckdb_query(con, "select '\"' || replace(column_name, '\"', '\"\"') || '\"' from "
                          "information_schema.columns where table_name = 't' and "
                          "column_name <> 'rid' order by ordinal_position", &res) != DuckDBSuccess)
        abort();
    n_columns = duckdb_row_count(&res);
    columns = calloc(n_columns, sizeof(*columns));
    for (size_t i = 0; i < n_columns; i++)
        columns[i] = duckdb_value_varchar(&res, 0, i);
    duckdb_destroy_result(&res);
    return 0;
}

/* The columns the input picks, then its rows: into table u (k: a row of t, by rid). */
static char *build_sql(const uint8_t *data, size_t size)
{
    struct pd_buf sql = PD_BUF_INIT;
    size_t ncols = 1 + data[0] % MAX_COLS, rows = 0;
    duckdb_appender app;
    if (duckdb_query(con, "delete from u", NULL) != DuckDBSuccess ||
        duckdb_appender_create(con, NULL, "u", &app) != DuckDBSuccess)
        abort();
    /* each later byte is a row (of three); a high byte repeats its row 64 times */
    for (size_t i = 1 + ncols; i < size && rows < MAX_ROWS; i++) {
        size_t times = data[i] >= 0xf0 ? 64 : 1;
        for (size_t k = 0; k < times && rows < MAX_ROWS; k++, rows++) {
            duckdb_append_int32(app, data[i] % 3);
            duckdb_appender_end_row(app);
        }
    }
    if (duckdb_appender_destroy(&app) != DuckDBSuccess)
        abort();
    pd_buf_addf(&sql, "select ");
    for (size_t i = 0; i < ncols; i++)
        pd_buf_addf(&sql, "t.%s, ", columns[i + 1 < size ? data[i + 1] % n_columns : i]);
    pd_buf_addf(&sql, "$1::blob as raw from u join t on t.rid = u.k");
    return pd_buf_detach(&sql, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    struct pd_result_end end;
    struct pd_err err = PD_ERR_INIT;
    struct pd_sink *sink;
    char *sql, *out = NULL;
    size_t out_len = 0;
    FILE *f;

    if (size < 1)
        return 0;
    sql = build_sql(data, size);
    if (duckdb_prepare(con, sql, &stmt) != DuckDBSuccess ||
        duckdb_bind_blob(stmt, 1, data, size) != DuckDBSuccess ||
        duckdb_execute_prepared(stmt, &res) != DuckDBSuccess) {
        fprintf(stderr, "%s: %s\n", sql, duckdb_prepare_error(stmt));
        abort();
    }
    f = open_memstream(&out, &out_len);
    sink = pd_sink_new_arrow(f);
    if (pd_sink_result(sink, &res, "SELECT", 0, pd_mono_s(), &end, &err) != 0) {
        if (!err.msg[0])
            abort();
    } else {
        static const char eos[8] = {'\xff', '\xff', '\xff', '\xff', 0, 0, 0, 0};
        fflush(f);
        if (out_len < 16 || memcmp(out + out_len - 8, eos, 8) != 0)
            abort();
    }
    pd_sink_free(sink);
    fclose(f);
    free(out);
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
    free(sql);
    return 0;
}
