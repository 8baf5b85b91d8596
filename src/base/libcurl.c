/* libcurl.c - the table of libcurl's functions (see libcurl.h). */
#include "base/libcurl.h"

PD_DYNLIB_DEFINE(pd_curl, PD_CURL_FUNCS, PD_SONAME_CURL, "libcurl4")
