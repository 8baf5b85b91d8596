/*
 * fuzz_treescan.c - the parse-tree reader (duckpipe/treescan.c) on any bytes:
 * it never reads past the text, and it either fails with a message or returns
 * relations whose fields are all strings.
 */
#include <stdlib.h>
#include <string.h>

#include "duckpipe/internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dp_refs r = {0};
    char *error = NULL;
    /* an exact-size copy: ASan catches a read one byte past the end */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    if (dp_refs_from_tree(text, size, &r, &error) != 0) {
        if (error == NULL || !error[0])
            abort(); /* a failure always says why */
    } else {
        for (size_t i = 0; i < r.n; i++)
            if (!r.v[i].catalog || !r.v[i].schema || !r.v[i].table || !r.v[i].alias)
                abort();
    }
    free(error);
    free(text);
    dp_refs_clear(&r);
    return 0;
}
