/*
 * records.h - printing small lists of text records (config, doctor) in every
 * --format. Query results go through warehouse/encode.h instead.
 */
#ifndef PD_RECORDS_H
#define PD_RECORDS_H

#include "cli/cli.h"

struct cli_records {
    int ncols;
    const char *const *cols;
    char **cells; /* row-major, ncols per row; owned */
    int nrows, cap;
};

void cli_records_init(struct cli_records *r, int ncols, const char *const *cols);

/* Add a row of ncols strings (copied; NULL prints as empty / JSON null). */
void cli_records_add(struct cli_records *r, const char *const *values);

/* Print in ctx->format to stdout, then free the rows. */
void cli_records_print(const struct cli_ctx *ctx, struct cli_records *r);

#endif
