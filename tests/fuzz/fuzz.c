/* fuzz.c - helpers of the libFuzzer targets (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

char *fuzz_text(const uint8_t *data, size_t size)
{
    return xstrndup((const char *)data, size);
}

static char *scratch;

static void scratch_remove(void)
{
    char *cmd = xasprintf("rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", scratch);
    free(cmd);
}

const char *fuzz_dir(void)
{
    if (!scratch) {
        const char *tmp = getenv("TMPDIR");
        scratch = xasprintf("%s/pd-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(scratch_remove);
    }
    return scratch;
}

char *fuzz_write(const char *rel, const uint8_t *data, size_t size)
{
    char *path = xasprintf("%s/%s", fuzz_dir(), rel);
    FILE *f;
    for (char *p = path + strlen(fuzz_dir()) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = 0;
        mkdir(path, 0700);
        *p = '/';
    }
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}
