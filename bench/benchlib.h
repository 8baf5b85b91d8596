/*
 * benchlib.h - the little a benchmark driver needs: run a command line through
 * the shell N times and take the median wall time. Header-only; bench/ only.
 */
#ifndef PD_BENCHLIB_H
#define PD_BENCHLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall seconds of `runs` runs of cmd (after one warm-up); exits on failure. */
__attribute__((unused)) static double bench_median(const char *cmd, int runs)
{
    double *t = calloc((size_t)runs, sizeof(double));
    double m;
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: command failed: %s\n", cmd);
        exit(1);
    }
    for (int i = 0; i < runs; i++) {
        double t0 = bench_now();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench: command failed: %s\n", cmd);
            exit(1);
        }
        t[i] = bench_now() - t0;
    }
    qsort(t, (size_t)runs, sizeof(double), bench_cmp);
    m = t[runs / 2];
    free(t);
    return m;
}

#endif
