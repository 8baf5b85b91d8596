/* libmhd.c - the table of libmicrohttpd's functions (see libmhd.h). */
#include "http/libmhd.h"

PD_DYNLIB_DEFINE(pd_mhd, PD_MHD_FUNCS, PD_SONAME_MHD, "libmicrohttpd12")
