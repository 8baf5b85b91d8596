/*
 * build.h - which build of pluto-duck is running: the version, and the linker's
 * build id of the program, which differs between any two builds of one version.
 * A command line sent to a running server must be understood by the same build.
 */
#ifndef PD_BUILD_H
#define PD_BUILD_H

/*
 * The GNU build id of the running program in hex ("" when it was linked
 * without one). Static storage, computed once; thread-safe.
 */
const char *pd_build_id(void);

#endif
