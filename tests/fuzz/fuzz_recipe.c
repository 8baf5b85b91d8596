/*
 * fuzz_recipe.c - the ingestion recipe loader on any file (pd_ingest_check_file:
 * read and check, run nothing). A file it refuses must say why.
 */
#include <stdlib.h>

#include "base/err.h"
#include "fuzz.h"
#include "sources/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("nightly.yaml", data, size);
    struct pd_err err = PD_ERR_INIT;
    size_t n;
    if (pd_ingest_check_file(path, &n, &err) != 0 && !err.msg[0])
        abort();
    free(path);
    return 0;
}
