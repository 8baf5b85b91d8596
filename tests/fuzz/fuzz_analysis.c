/*
 * fuzz_analysis.c - the analysis loader on any file: the input is written as
 * an analysis YAML in a project folder of its own, which is then loaded the way
 * every command loads it. A file the loader refuses must say why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "duckpipe/duckpipe.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("analyses/orders.yaml", data, size), *dir;
    struct dp_project *p = NULL;
    struct pd_err err = PD_ERR_INIT;
    dir = strdup(path);
    *strrchr(dir, '/') = 0;
    if (dp_project_load("fuzz", dir, &p, &err) != 0) {
        if (!err.msg[0])
            abort();
    } else {
        dp_project_free(p);
    }
    free(dir);
    free(path);
    return 0;
}
