/*
 * tools_internal.h - what the agent's tool files share: the result summary and
 * the tools of tools_project.c (listed in the table in tools.c).
 */
#ifndef PD_AGENT_TOOLS_INTERNAL_H
#define PD_AGENT_TOOLS_INTERNAL_H

#include "agent/tools.h"

/* {columns, row_count, rows (at most limit), rows_shown} of a result document. */
json_t *ag_summary(const json_t *doc, long limit, int metadata);

/* What a service writes into a sink, read back as one result document. */
struct pd_sink;
typedef int (*ag_fill_fn)(void *arg, struct pd_sink *sink, struct pd_err *err);
int ag_doc_of(ag_fill_fn fill, void *arg, json_t **doc, struct pd_err *err);

/* The same as a tool result: metadata, all of it (up to a cap) shown to the model. */
int ag_listing(ag_fill_fn fill, void *arg, struct ag_tool_result *out, struct pd_err *err);

#define AG_TOOL(name)                                                                        \
    int name(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,         \
             struct pd_err *err)
AG_TOOL(ag_t_list_sources);
AG_TOOL(ag_t_list_source_tables);
AG_TOOL(ag_t_attach_source);
AG_TOOL(ag_t_cache_table);
AG_TOOL(ag_t_list_analyses);
AG_TOOL(ag_t_get_freshness);
AG_TOOL(ag_t_get_lineage);
AG_TOOL(ag_t_load_skill);
AG_TOOL(ag_t_save_analysis);
AG_TOOL(ag_t_run_analysis);
AG_TOOL(ag_t_add_board_item);

#endif
