/*
 * jschema.h - checks a JSON value against a JSON Schema of the small subset
 * the route table and tool catalog are written in: type (a name or a list),
 * properties, required, additionalProperties (true, false or a schema),
 * items, enum, minimum and maximum, minLength and maxLength. Other keywords (description, title, format...) are
 * read as notes and ignored. The message names the place that failed the
 * way a user wrote it: "field 'config.dsn' must be a string".
 */
#ifndef PD_JSCHEMA_H
#define PD_JSCHEMA_H

#include <jansson.h>

struct pd_err;

/*
 * 0 when value fits schema, else PD_EINVAL with the first misfit (unknown
 * fields are listed with the allowed ones). A schema outside the subset
 * ($ref, an unknown type name) is PD_EINTERNAL: the bug is the schema's.
 */
int pd_jschema_check(const json_t *schema, const json_t *value, struct pd_err *err);

#endif
