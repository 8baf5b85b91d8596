/*
 * dtoa.h - the shortest text that reads back as the same double or float.
 *
 * Digits come from Raffaello Giulietti's Schubfach algorithm: the fewest
 * decimal digits whose value rounds back to the number (strtod, strtof), and of
 * those the closest to it. They are laid out as DuckDB casts a DOUBLE to text:
 * plain decimals for 1e-5 < |x| < 1e16 ("0.0001", "1234.5", "100"), otherwise
 * scientific with a signed exponent of two digits or more ("1e-05", "1e+16",
 * "1.2345678901234568e+17"). Whole numbers have no ".0": callers that want one
 * add it. NaN and the infinities are the caller's to spell.
 */
#ifndef PD_DTOA_H
#define PD_DTOA_H

#include <stddef.h>
#include <stdint.h>

#define PD_DTOA_SIZE 32 /* bytes a buffer needs, with the NUL */

/* Write d (finite) into buf, NUL-terminated; return the length. */
size_t pd_dtoa(double d, char *buf);

/* The same for a float: the shortest text strtof reads back as f. */
size_t pd_ftoa(float f, char *buf);

/* "00", "01", ... "99": two digits at pd_digit_pairs + 2 * n */
extern const char pd_digit_pairs[];

/* Write v's decimal digits so they end just before end; return the first. */
char *pd_u64_digits(uint64_t v, char *end);

#endif
