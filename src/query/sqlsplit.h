/*
 * sqlsplit.h - a small SQL lexer that finds statement boundaries.
 *
 * It knows quotes ('..' with '' escapes, "..", E'..' with backslashes),
 * dollar quotes ($tag$..$tag$), -- and nested block comments, and splits on
 * the semicolons outside them. The shell uses it to tell when a statement is
 * complete; the query service uses it to record each statement's own text.
 * DuckDB's parser stays the authority on what a statement means.
 */
#ifndef PD_SQLSPLIT_H
#define PD_SQLSPLIT_H

#include <stddef.h>

struct pd_sql_piece {
    size_t start; /* offset of the statement's first byte (after leading blanks) */
    size_t len;   /* bytes up to, not including, its semicolon; trailing blanks trimmed */
};

/*
 * Split sql into statements that hold something besides blanks and comments.
 * *pieces is heap-allocated (free it). Returns the count.
 */
size_t pd_sql_split(const char *sql, struct pd_sql_piece **pieces);

/*
 * 1 when sql ends a statement: its last token outside comments is a semicolon
 * that is not inside a quote or comment. 0 otherwise (more input needed).
 */
int pd_sql_is_complete(const char *sql);

#endif
