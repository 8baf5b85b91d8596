// sql.ts - SQL the workbench writes itself: quoting names, and running a short
// read as a job it waits for (the warehouse's catalog, previews, summaries).

import { post } from '../api';
import type { QueryResult } from '../query';

/** name as a quoted SQL identifier ("a""b"). */
export function quoteIdent(s: string): string {
  return '"' + s.replace(/"/g, '""') + '"';
}

/** A string as a SQL literal ('it''s'). */
export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** Run one short read and wait for its result (at most `wait` seconds). */
export async function runSql(sql: string, limit = 1000, wait = 60): Promise<QueryResult> {
  const job = await post(`/query?wait=${wait}`, { sql, limit });
  if (job.status !== 'completed') throw new Error(job.error?.message ?? 'the query did not finish');
  return job.result as QueryResult;
}
