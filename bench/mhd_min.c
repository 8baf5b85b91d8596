/*
 * mhd_min.c - the limit the API server is measured against: the least a
 * libmicrohttpd + DuckDB server can do for "POST a query, get JSON back" -
 * the same daemon mode and thread pool as pluto-duck run, one prepared
 * `SELECT 42` per worker thread, the answer written with snprintf. No routing,
 * no jobs, no auth, no history.
 *
 *   bench_mhd_min PORT THREADS
 */
#include <duckdb.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static duckdb_database db;
static _Thread_local duckdb_connection conn;
static _Thread_local duckdb_prepared_statement stmt;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    static int first;
    duckdb_result res;
    duckdb_data_chunk chunk;
    char body[128];
    int n;
    int32_t v = 0;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    (void)cls, (void)url, (void)method, (void)version, (void)upload;

    if (*state == NULL) {
        *state = &first;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (conn == NULL) {
        duckdb_connect(db, &conn);
        duckdb_prepare(conn, "SELECT 42 AS answer", &stmt);
    }
    duckdb_execute_prepared(stmt, &res);
    chunk = duckdb_fetch_chunk(res);
    if (chunk) {
        v = ((int32_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0];
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
    n = snprintf(body, sizeof(body), "{\"columns\":[{\"name\":\"answer\"}],\"rows\":[[%d]]}\n", v);
    resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    sigset_t set;
    int sig;
    if (argc != 3) {
        fprintf(stderr, "usage: bench_mhd_min PORT THREADS\n");
        return 2;
    }
    if (duckdb_open(NULL, &db) == DuckDBError)
        return 1;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME,
                         (uint16_t)atoi(argv[1]), NULL, NULL, on_request, NULL,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
                         MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_END);
    if (d == NULL)
        return 1;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    duckdb_close(&db);
    return 0;
}
