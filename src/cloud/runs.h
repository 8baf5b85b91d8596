/*
 * runs.h - what other parts of Pluto Cloud use of the run ledger (h_runs.c):
 * a run as JSON, and its state machine
 * (pending -> running -> success | failed | cancelled; pending -> skipped).
 */
#ifndef PD_CLOUD_RUNS_H
#define PD_CLOUD_RUNS_H

#include <jansson.h>

struct cl_db;
struct pd_err;

/* The run id of workspace ws, or NULL with PD_ENOTFOUND. */
json_t *cl_run_json(struct cl_db *db, const char *ws, const char *id, struct pd_err *err);

/* 1 when a run in state from may move to state to. */
int cl_run_transition_ok(const char *from, const char *to);

#endif
