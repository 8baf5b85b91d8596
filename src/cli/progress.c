/*
 * progress.c - the progress line on stderr for long reads: rows, rows/s, ETA.
 */
#include "cli/cli.h"

#include <stdio.h>

static int shown;

void cli_progress(const char *label, int64_t rows, int64_t total, double elapsed_s)
{
    double rate = elapsed_s > 0 ? (double)rows / elapsed_s : 0;

    fprintf(cli_err, "\r\033[K%s: %lld rows, %.0f rows/s", label ? label : "", (long long)rows,
            rate);
    if (total > 0 && rows <= total) {
        int width = 20, filled = (int)((double)rows / (double)total * width);
        fprintf(cli_err, "  [");
        for (int i = 0; i < width; i++)
            fputc(i < filled ? '#' : '.', cli_err);
        fprintf(cli_err, "] %3.0f%%", 100.0 * (double)rows / (double)total);
        if (rate > 0)
            fprintf(cli_err, "  ETA %.0f s", (double)(total - rows) / rate);
    }
    fflush(cli_err);
    shown = 1;
}

void cli_progress_done(void)
{
    if (shown)
        fputs("\r\033[K", cli_err);
    shown = 0;
}
