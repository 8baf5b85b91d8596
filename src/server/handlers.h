/*
 * handlers.h - the route handlers, one group per subject (h_*.c). Each is
 * listed once in the route table (routes.c).
 */
#ifndef PD_SERVER_HANDLERS_H
#define PD_SERVER_HANDLERS_H

struct pd_err;
struct http_req;

/* h_system.c */
void h_health(struct http_req *r);
void h_openapi(struct http_req *r);
void h_actions(struct http_req *r);
void h_jobs_list(struct http_req *r);
void h_job_get(struct http_req *r);
void h_job_events(struct http_req *r);
void h_job_cancel(struct http_req *r);
void h_cli(struct http_req *r);

/* h_cloud.c */
void h_cloud_status(struct http_req *r);
void h_cloud_login(struct http_req *r);
void h_cloud_login_poll(struct http_req *r);
void h_cloud_logout(struct http_req *r);
void h_cloud_workspaces(struct http_req *r);
void h_cloud_workspace_use(struct http_req *r);
void h_cloud_reload(struct http_req *r);

/* h_query.c */
void h_query_create(struct http_req *r);
void h_query_get(struct http_req *r);
void h_query_events(struct http_req *r);
void h_query_cancel(struct http_req *r);
void h_query_result(struct http_req *r);
void h_query_history(struct http_req *r);

/* h_sources.c */
void h_source_attach(struct http_req *r);
void h_source_list(struct http_req *r);
void h_source_get(struct http_req *r);
void h_source_tables(struct http_req *r);
void h_source_delete(struct http_req *r);
void h_source_test(struct http_req *r);
void h_source_refresh(struct http_req *r);
void h_cache_create(struct http_req *r);
void h_cache_list(struct http_req *r);
void h_cache_refresh(struct http_req *r);
void h_cache_delete(struct http_req *r);
void h_ingest(struct http_req *r);

/* h_assets.c */
void h_analyses_list(struct http_req *r);
void h_analysis_create(struct http_req *r);
void h_analysis_get(struct http_req *r);
void h_analysis_patch(struct http_req *r);
void h_analysis_delete(struct http_req *r);
void h_analysis_compile(struct http_req *r);
void h_analysis_execute(struct http_req *r);
void h_analysis_data(struct http_req *r);
void h_analysis_freshness(struct http_req *r);
void h_analysis_lineage(struct http_req *r);
void h_analysis_history(struct http_req *r);
void h_lineage_graph(struct http_req *r);

/* h_projects.c */
void h_projects_list(struct http_req *r);
void h_project_create(struct http_req *r);
void h_project_get(struct http_req *r);
void h_project_delete(struct http_req *r);

/* h_boards.c */
void h_boards_list(struct http_req *r);
void h_board_create(struct http_req *r);
void h_board_get(struct http_req *r);
void h_board_update(struct http_req *r);
void h_board_delete(struct http_req *r);
void h_board_item_add(struct http_req *r);
void h_board_item_update(struct http_req *r);
void h_board_item_delete(struct http_req *r);
void h_board_refresh(struct http_req *r);
void h_board_export(struct http_req *r);

/* h_agent.c */
void h_agent_run(struct http_req *r);
void h_agent_get(struct http_req *r);
void h_agent_events(struct http_req *r);
void h_agent_approvals(struct http_req *r);
void h_agent_decide(struct http_req *r);
/* Start an agent run answering question in conversation (NULL: a new one); answers 202. */
void srv_agent_submit(struct http_req *r, const char *question, const char *conversation);

/* h_chat.c */
/* Delete conversations idle longer than agent.conversation_ttl (before listings and new runs). */
int srv_expire_conversations(struct http_req *r, struct pd_err *err);
void h_chat_list(struct http_req *r);
void h_chat_create(struct http_req *r);
void h_chat_get(struct http_req *r);
void h_chat_delete(struct http_req *r);
void h_chat_messages(struct http_req *r);
void h_chat_ask(struct http_req *r);
void h_skills(struct http_req *r);

/* h_settings.c */
void h_settings_get(struct http_req *r);
void h_settings_put(struct http_req *r);

/* h_dbt.c */
void h_dbt_seed(struct http_req *r);
void h_dbt_run(struct http_req *r);
void h_dbt_test(struct http_req *r);
void h_dbt_build(struct http_req *r);

#endif
