// query.ts - running SQL as a job from the browser: submit, follow its events,
// cancel; the result (columns, the first rows, the row count) when it completes.

import { parseExact } from './lib/json';
import { useRef, useState } from 'preact/hooks';
import { del, post, streamEvents, type StreamHandle } from './api';
import type { Column } from './grid';

export interface QueryResult {
  columns: Column[];
  rows: unknown[][];
  row_count: number;
  rows_returned: number;
  statement_type: string;
  elapsed_ms: number;
}

export type RunState =
  | { status: 'idle' }
  | { status: 'running'; id?: string; progress?: number; reconnecting?: boolean }
  | { status: 'completed'; id: string; result: QueryResult }
  | { status: 'failed' | 'cancelled'; id?: string; message: string };

/** The rows the workbench keeps of a result (the rest are counted, and exported whole). */
export const KEEP_ROWS = 100000;

export function useQueryRun() {
  const [state, setState] = useState<RunState>({ status: 'idle' });
  const stream = useRef<StreamHandle>();
  const id = useRef<string>();
  /* Cancel pressed before the server named the job: cancel it as soon as it does. */
  const cancelWanted = useRef(false);

  const run = async (sql: string) => {
    stream.current?.close();
    id.current = undefined;
    cancelWanted.current = false;
    setState({ status: 'running' });
    try {
      const job = await post('/query', { sql, limit: KEEP_ROWS });
      id.current = job.id;
      if (cancelWanted.current) void cancel();
      setState({ status: 'running', id: job.id });
      stream.current = streamEvents(`/query/${job.id}/events`, {
        onRetry: (n) => setState((s) => (s.status === 'running' ? { ...s, reconnecting: n > 0 } : s)),
        onEvent: (e) => {
          const d = e.data ? parseExact(e.data) : {};
          if (e.event === 'progress') setState((s) => (s.status === 'running' ? { ...s, progress: d.progress ?? d.percent } : s));
          else if (e.event === 'completed') setState({ status: 'completed', id: job.id, result: d.result });
          else if (e.event === 'failed' || e.event === 'cancelled')
            setState({ status: e.event, id: job.id, message: d.error?.message ?? e.event });
        },
      });
    } catch (e) {
      setState({ status: 'failed', message: (e as Error).message });
    }
  };

  const cancel = async () => {
    if (id.current) await del(`/query/${id.current}`).catch(() => undefined);
    else cancelWanted.current = true;
  };

  return { state, run, cancel };
}
