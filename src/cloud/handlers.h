/*
 * handlers.h - Pluto Cloud's route handlers, one group per subject (h_*.c),
 * each listed once in the route table (routes.c).
 */
#ifndef PD_CLOUD_HANDLERS_H
#define PD_CLOUD_HANDLERS_H

struct http_req;

/* routes.c */
void h_health(struct http_req *r);
void h_openapi(struct http_req *r);

/* h_auth.c */
void h_auth_login(struct http_req *r);
void h_auth_refresh(struct http_req *r);
void h_auth_logout(struct http_req *r);
void h_auth_register(struct http_req *r);
void h_me(struct http_req *r);

/* h_workspaces.c */
void h_workspace_list(struct http_req *r);
void h_workspace_create(struct http_req *r);
void h_workspace_get(struct http_req *r);
void h_workspace_update(struct http_req *r);
void h_workspace_delete(struct http_req *r);
void h_member_list(struct http_req *r);
void h_member_update(struct http_req *r);
void h_member_remove(struct http_req *r);
void h_invitation_create(struct http_req *r);
void h_invitation_list(struct http_req *r);
void h_invitation_revoke(struct http_req *r);
void h_invitation_accept(struct http_req *r);
void h_agent_token_create(struct http_req *r);
void h_agent_token_list(struct http_req *r);
void h_agent_token_revoke(struct http_req *r);
void h_audit_list(struct http_req *r);

/* h_pipelines.c */
void h_pipeline_list(struct http_req *r);
void h_pipeline_create(struct http_req *r);
void h_pipeline_get(struct http_req *r);
void h_pipeline_delete(struct http_req *r);
void h_pipeline_update(struct http_req *r);
void h_version_list(struct http_req *r);
void h_version_create(struct http_req *r);
void h_version_get(struct http_req *r);
void h_version_diff(struct http_req *r);
void h_version_rollback(struct http_req *r);

/* h_runs.c */
void h_run_create(struct http_req *r);
void h_run_list(struct http_req *r);
void h_run_get(struct http_req *r);
void h_run_update(struct http_req *r);
void h_run_log_append(struct http_req *r);
void h_run_logs(struct http_req *r);

/* h_artifacts.c */
void h_artifact_create(struct http_req *r);
void h_artifact_complete(struct http_req *r);
void h_artifact_list(struct http_req *r);
void h_artifact_download(struct http_req *r);
void h_artifact_content(struct http_req *r);
void h_object_put(struct http_req *r);
void h_object_get(struct http_req *r);

/* h_schedules.c */
void h_schedule_create(struct http_req *r);
void h_schedule_list(struct http_req *r);
void h_schedule_get(struct http_req *r);
void h_schedule_update(struct http_req *r);
void h_schedule_delete(struct http_req *r);
void h_schedule_trigger(struct http_req *r);
void h_schedule_due(struct http_req *r);
void h_schedule_ack(struct http_req *r);
void h_schedule_occurrences(struct http_req *r);

/* h_device.c */
void h_device_start(struct http_req *r);
void h_device_token(struct http_req *r);
void h_device_approve(struct http_req *r);
void h_page(struct http_req *r);

/* h_comments.c */
void h_comment_create(struct http_req *r);
void h_comment_list(struct http_req *r);
void h_comment_delete(struct http_req *r);
void h_notification_list(struct http_req *r);
void h_notification_read(struct http_req *r);

/*
 * Accept an invitation (by its token) for the account user_id with email, in
 * db's transaction: 0, or a refusal through t (h_workspaces.c; registering
 * with an invitation uses it too).
 */
struct cl_db;
struct cl_tx;
struct pd_err;
int cl_accept_invitation(struct cl_db *db, struct cl_tx *t, const char *token,
                         const char *user_id, const char *email, struct pd_err *err);

#endif
