/*
 * openapi.h - the documents made from the route table: the OpenAPI 3.1
 * description of this API (GET /openapi.json) and the action catalog the
 * agent's tools and `pluto-duck` read (GET /actions).
 */
#ifndef PD_SERVER_OPENAPI_H
#define PD_SERVER_OPENAPI_H

#include <jansson.h>

/* The OpenAPI document (new reference). */
json_t *srv_openapi_doc(void);
/* The operations with their argument schemas, path parameters included (new reference). */
json_t *srv_actions_doc(void);

#endif
