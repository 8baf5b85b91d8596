/*
 * libcurl.h - libcurl, loaded when the first HTTP request is made (the agent's
 * model, HTTP sources, the cloud, object stores; see base/dynlib.h): callers
 * write pd_curl.curl_easy_init() after pd_curl_load(err) succeeded.
 */
#ifndef PD_LIBCURL_H
#define PD_LIBCURL_H

#define CURL_DISABLE_TYPECHECK /* its checks are macros named as the functions */
#include <curl/curl.h>

#include "base/dynlib.h"

#define PD_CURL_FUNCS(X)                                                                          \
    X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo)               \
    X(curl_easy_cleanup) X(curl_easy_strerror) X(curl_slist_append) X(curl_slist_free_all)
PD_DYNLIB_TABLE(pd_curl, PD_CURL_FUNCS);

#endif
