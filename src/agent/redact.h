/*
 * redact.h - what of an error message may reach the model when no data value
 * may (agent.send_rows: none).
 *
 * DuckDB's errors about data quote the values that caused them ("Could not
 * convert string 'Victor Okafor' to INT32", error(name) gives the value
 * itself). The message's parts from the parser, binder and catalog name only
 * the SQL and the schema, and stay; from the first error of any other class
 * (Conversion, Invalid Input, Out of Range, Constraint, IO, ...) on, a word is
 * kept only when it is in the text the model sent (its SQL) or in the small
 * vocabulary DuckDB's messages are made of, and a quoted part only when the
 * model's text holds it whole. Everything else becomes "...".
 */
#ifndef PD_AGENT_REDACT_H
#define PD_AGENT_REDACT_H

/* The redacted copy of msg (heap); known is the text the model sent (may be NULL). */
char *ag_redact_values(const char *msg, const char *known);

#endif
