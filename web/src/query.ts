// query.ts - running SQL as a job from the browser: submit, follow its events,
// cancel; the result (columns, the first rows, the row count) when it completes.

import { parseExact } from './lib/json';
import { useEffect, useState } from 'preact/hooks';
import { del, post, streamEvents, type StreamHandle } from './api';
import type { Column } from './grid';

export interface QueryResult {
  columns: Column[];
  rows: unknown[][];
  row_count: number;
  rows_returned: number;
  statement_type: string;
  elapsed_ms: number;
  statements?: number;
}

export type RunState =
  | { status: 'idle' }
  | { status: 'running'; id?: string; progress?: number; reconnecting?: boolean }
  | { status: 'completed'; id: string; result: QueryResult }
  | { status: 'failed' | 'cancelled'; id?: string; message: string };

/** The rows the workbench keeps of a result (the rest are counted, and exported whole). */
export const KEEP_ROWS = 100000;

/**
 * One run at a time and its outcome, kept apart from any screen: leaving the SQL
 * screen and coming back shows the same result (or the run still going).
 */
class QueryRunner {
  state: RunState = { status: 'idle' };
  startedAt = 0;
  sql = ''; /* what ran */
  private listeners = new Set<(s: RunState) => void>();
  private stream?: StreamHandle;
  private id?: string;
  /* Cancel pressed before the server named the job: cancel it as soon as it does. */
  private cancelWanted = false;

  subscribe(f: (s: RunState) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private set(next: RunState | ((s: RunState) => RunState)) {
    this.state = typeof next === 'function' ? next(this.state) : next;
    for (const f of this.listeners) f(this.state);
  }

  /** Run sql; opts.readOnly refuses anything but one read (the live preview's runs). */
  run = async (sql: string, opts: { readOnly?: boolean; timeoutS?: number; limit?: number } = {}) => {
    if (this.state.status === 'running') void this.cancel(); /* a newer run replaces one in flight */
    this.stream?.close();
    this.id = undefined;
    this.cancelWanted = false;
    this.startedAt = Date.now();
    this.sql = sql;
    this.set({ status: 'running' });
    try {
      const job = await post('/query', {
        sql,
        limit: opts.limit ?? KEEP_ROWS,
        ...(opts.readOnly ? { read_only: true } : {}),
        ...(opts.timeoutS ? { timeout_s: opts.timeoutS } : {}),
      });
      this.id = job.id;
      if (this.cancelWanted) void this.cancel();
      this.set({ status: 'running', id: job.id });
      this.stream = streamEvents(`/query/${job.id}/events`, {
        onRetry: (n) => this.set((s) => (s.status === 'running' ? { ...s, reconnecting: n > 0 } : s)),
        onEvent: (e) => {
          const d = e.data ? parseExact(e.data) : {};
          if (e.event === 'progress') this.set((s) => (s.status === 'running' ? { ...s, progress: d.progress ?? d.percent } : s));
          else if (e.event === 'completed') this.set({ status: 'completed', id: job.id, result: d.result });
          else if (e.event === 'failed' || e.event === 'cancelled')
            this.set({ status: e.event, id: job.id, message: d.error?.message ?? e.event });
        },
      });
    } catch (e) {
      this.set({ status: 'failed', message: (e as Error).message });
    }
  };

  cancel = async () => {
    if (this.id) await del(`/query/${this.id}`).catch(() => undefined);
    else this.cancelWanted = true;
  };
}

const runners = new Map<string, QueryRunner>();

/** The runner named key (the SQL screen's is 'sql'), its state, run and cancel. */
export function useQueryRun(key = 'sql') {
  let runner = runners.get(key);
  if (!runner) runners.set(key, (runner = new QueryRunner()));
  const [state, setState] = useState<RunState>(runner.state);
  useEffect(() => {
    setState(runner!.state); /* what happened between the first render and now */
    return runner!.subscribe(setState);
  }, [runner]);
  return { state, run: runner.run, cancel: runner.cancel, startedAt: runner.startedAt, ranSql: runner.sql };
}
