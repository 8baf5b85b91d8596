// query.test.tsx - the workbench's query run: Cancel pressed while the server has not
// yet named the job cancels that job once it is named; a newer run cancels the one
// still in flight (the live preview's keystrokes).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { useQueryRun } from '../src/query';

type Call = { method: string; path: string };

/** A fetch that answers POST /query when told to, and records every call. */
function fakeServer() {
  const calls: Call[] = [];
  const pending: Array<(id: string) => void> = [];
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal('fetch', (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = url.replace(/^.*\/api\/v1/, '');
    calls.push({ method, path });
    if (method === 'POST' && path === '/query') return new Promise<Response>((resolve) => pending.push((id) => resolve(json({ id }, 202))));
    if (method === 'DELETE') return Promise.resolve(json({ id: path.split('/').pop(), status: 'cancelled' }));
    return new Promise<Response>(() => {}); /* the event stream: stays open */
  });
  return { calls, answer: (id: string) => pending.shift()!(id) };
}

let hook: ReturnType<typeof useQueryRun>;
function Probe() {
  hook = useQueryRun();
  return null;
}

const settle = () => act(() => new Promise((r) => setTimeout(r, 0)));

afterEach(() => vi.unstubAllGlobals());

describe('useQueryRun', () => {
  it('cancels the job being submitted, not the one before it', async () => {
    const server = fakeServer();
    render(<Probe />, document.body.appendChild(document.createElement('div')));

    const first = hook.run('select 1');
    server.answer('job-1');
    await act(() => first);

    const second = hook.run('select count(*) from range(100000000000)'); /* job-1 still runs: replaced */
    await act(() => hook.cancel()); /* before the server has answered */
    expect(server.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/query/job-1']);
    server.answer('job-2');
    await act(() => second);
    await settle();
    expect(server.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/query/job-1', '/query/job-2']);
  });
});
