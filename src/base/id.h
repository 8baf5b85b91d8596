/*
 * id.h - UUIDv7 identifiers: time-ordered, so ids of runs and queries sort by creation.
 */
#ifndef PD_ID_H
#define PD_ID_H

#define PD_UUID_LEN 36

/* Write a new lowercase UUIDv7 ("0190b5e2-...") into out[PD_UUID_LEN + 1]. Returns out. */
char *pd_uuid7(char *out);

#endif
