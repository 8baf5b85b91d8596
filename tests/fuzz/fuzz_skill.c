/*
 * fuzz_skill.c - SKILL.md front matter on any file: the input becomes the one
 * user skill of a home folder, loaded as the agent loads its skills. A file it
 * cannot use is a problem with a message, never a skill without a name.
 */
#include <stdlib.h>

#include "agent/skills.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("skills/fuzzed/SKILL.md", data, size);
    struct ag_skills s;
    ag_skills_load(fuzz_dir(), NULL, &s);
    for (size_t i = 0; i < s.n; i++)
        if (!s.v[i].name || !s.v[i].description || !s.v[i].body)
            abort();
    for (size_t i = 0; i < s.problems.n; i++)
        if (!s.problems.v[i][0])
            abort();
    ag_skills_clear(&s);
    free(path);
    return 0;
}
