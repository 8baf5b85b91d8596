/*
 * libmhd.h - libmicrohttpd, loaded when a server starts (base/dynlib.h), so
 * that commands that serve nothing do not load it and its TLS stack: callers
 * write pd_mhd.MHD_queue_response(...); http_server_start loads it.
 */
#ifndef PD_LIBMHD_H
#define PD_LIBMHD_H

#include <microhttpd.h>

#include "base/dynlib.h"

#define PD_MHD_FUNCS(X)                                                                           \
    X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_quiesce_daemon) X(MHD_queue_response)            \
    X(MHD_create_response_from_buffer) X(MHD_create_response_from_callback)                       \
    X(MHD_create_response_from_fd) X(MHD_destroy_response) X(MHD_add_response_header)             \
    X(MHD_get_connection_info) X(MHD_get_connection_values) X(MHD_lookup_connection_value)        \
    X(MHD_suspend_connection) X(MHD_resume_connection)
PD_DYNLIB_TABLE(pd_mhd, PD_MHD_FUNCS);

#endif
