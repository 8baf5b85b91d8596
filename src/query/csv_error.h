/*
 * csv_error.h - DuckDB's CSV errors name a record ("CSV Error on Line: 2000002"),
 * counted from the file's start; a quoted field that spans lines makes that
 * differ from the line an editor shows. This finds the physical line.
 */
#ifndef PD_CSV_ERROR_H
#define PD_CSV_ERROR_H

/*
 * When msg is such an error about an uncompressed file whose record N starts on
 * another physical line P, msg with "CSV Error on Line: N" made "CSV Error on
 * Line: P (record N)" (heap); else NULL. Reads the file up to that record.
 */
char *pd_csv_error_physical_line(const char *msg);

#endif
