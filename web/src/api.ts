// api.ts - talking to the server: JSON requests under /api/v1 with the bearer token
// (when one is set), errors as ApiError carrying the server's message, and job event
// streams (Server-Sent Events) that reconnect and resume after a drop.

import { parseExact } from './lib/json';
import { parseSse, type SseEvent } from './lib/sse';

export const API = '/api/v1';
const TOKEN_KEY = 'pluto-duck.token';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  const token = getToken();
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** The error a failed response carries ({error: {code, message}}), or one made from its status. */
export async function errorOf(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = parseExact(await res.text());
    if (body?.error?.message) {
      message = body.error.message;
      code = body.error.code ?? code;
    }
  } catch {
    /* not JSON: keep the status */
  }
  return new ApiError(res.status, code, message);
}

export async function request<T = any>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      // Every write says it is JSON, even without a body: the server refuses any other
      // (a cross-site form or "simple request" cannot start work).
      headers: headers(method === 'GET' ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', 'cannot reach the Pluto Duck server: is `pluto-duck run` running?');
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return parseExact(await res.text()) as T;
}

export const get = <T = any>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);
export const post = <T = any>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const put = <T = any>(path: string, body: unknown) => request<T>('PUT', path, body);
export const patch = <T = any>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T = any>(path: string) => request<T>('DELETE', path);

/** A response body as a Blob (exports), with the token. */
export async function download(path: string): Promise<Blob> {
  const res = await fetch(API + path, { headers: headers() });
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}

/** Save blob as a file named name. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export interface StreamHandle {
  close(): void;
}

export interface StreamOptions {
  onEvent: (e: SseEvent) => void;
  /** Called when the stream ends for good (the job's last event came, or close()). */
  onEnd?: () => void;
  /** Called while reconnecting after a drop (attempt number), and with 0 once back. */
  onRetry?: (attempt: number) => void;
  /** Event types after which the stream is over. */
  final?: string[];
}

const FINAL = ['completed', 'failed', 'cancelled', 'interrupted'];

/**
 * Follow a job's event stream. A dropped connection is retried with Last-Event-ID,
 * so no event is missed or seen twice; the stream ends after a final event.
 */
export function streamEvents(path: string, o: StreamOptions): StreamHandle {
  const ctrl = new AbortController();
  const final = o.final ?? FINAL;
  let lastId = '';
  let closed = false;
  let attempt = 0;

  const finish = () => {
    if (!closed) {
      closed = true;
      ctrl.abort();
      o.onEnd?.();
    }
  };

  const run = async () => {
    while (!closed) {
      try {
        const res = await fetch(API + path, {
          headers: headers(lastId ? { 'Last-Event-ID': lastId, Accept: 'text/event-stream' } : { Accept: 'text/event-stream' }),
          signal: ctrl.signal,
        });
        if (!res.ok) throw await errorOf(res);
        if (attempt > 0) o.onRetry?.(0);
        attempt = 0;
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          const { events, rest } = parseSse(buffer);
          buffer = rest;
          for (const e of events) {
            if (e.id) lastId = e.id;
            o.onEvent(e);
            if (final.includes(e.event)) {
              finish();
              return;
            }
          }
        }
        /* the server closed the stream without a final event: resume */
      } catch (e) {
        if (closed) return;
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
          o.onEvent({ id: '', event: 'failed', data: JSON.stringify({ error: { code: e.code, message: e.message } }) });
          finish();
          return;
        }
      }
      attempt++;
      o.onRetry?.(attempt);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
    }
  };
  void run();
  return { close: finish };
}
