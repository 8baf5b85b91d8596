/*
 * skills.h - skills: instructions the agent loads when a question calls for
 * them. A skill is a SKILL.md file whose YAML front matter (between "---"
 * lines) has name, description and allowed-tools, followed by the
 * instructions. They come built in, then from HOME/skills/NAME/SKILL.md, then
 * from HOME/projects/PROJECT/skills/NAME/SKILL.md; a later one replaces an
 * earlier one of the same name (the project wins). The model sees names and
 * descriptions and loads a body with the load_skill tool.
 */
#ifndef PD_AGENT_SKILLS_H
#define PD_AGENT_SKILLS_H

#include <stddef.h>

#include "base/strv.h"

struct ag_skill {
    char *name, *description, *body;
    char *origin; /* "built-in" or the file */
    struct pd_strv allowed_tools;
};

struct ag_skills {
    struct ag_skill *v;
    size_t n;
    struct pd_strv problems; /* files that could not be read, and why */
};

/* home may be NULL (built-in skills only); project NULL: default. */
void ag_skills_load(const char *home, const char *project, struct ag_skills *out);
const struct ag_skill *ag_skill_find(const struct ag_skills *s, const char *name);
void ag_skills_clear(struct ag_skills *s);

/* {skills: [{name, description, origin, allowed_tools}], problems: [text]} */
struct json_t;
struct json_t *ag_skills_json(const struct ag_skills *s);

#endif
