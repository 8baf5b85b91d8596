// Runs.tsx - the workspace's runs, filtered by pipeline, state, agent and time; a
// run's page: its record, steps (from the report's metadata.json), the report in a
// sandboxed frame, its artifacts, its log a page at a time, and comments.
//
// The report is HTML someone uploaded. It is shown in an <iframe sandbox> with no
// permissions: no script runs, and it has an origin of its own, so it can never act
// as this site. The page's own CSP (no inline script) holds inside it too.

import { useState } from 'preact/hooks';
import { linkProps } from '../../router';
import { Empty, ErrorBox, Spinner, useAsync, when } from '../../ui';
import { artifactText, get, type Me } from '../api';
import { Head } from '../parts';
import type { PageProps, Workspace } from '../roles';
import { Comments } from './Comments';
import type { Pipeline } from './Pipelines';

export interface Run {
  id: string;
  pipeline_id: string;
  pipeline_version: number;
  state: string;
  trigger: string;
  schedule_id: string | null;
  user: string | null;
  agent_id: string | null;
  params: Record<string, unknown>;
  environment: Record<string, unknown>;
  error_class: string | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_s: number | null;
  log_chunks: number;
}
interface Artifact {
  id: string;
  kind: string;
  name: string;
  content_type: string | null;
  size: number;
  state: string;
}
interface Step {
  id: string;
  kind: string;
  status: string;
  rows: number | null;
  seconds: number;
  reason?: string;
  error?: string;
}

const STATES = ['pending', 'running', 'success', 'failed', 'skipped', 'cancelled'];
/* the largest report shown in the page; a larger one is downloaded */
const SHOW_MAX = 20 << 20;

export const stateBadge = (s: string) => <span class={`badge ${s === 'success' ? 'ok' : s === 'failed' ? 'failed' : s === 'running' || s === 'pending' ? 'running' : ''}`}>{s}</span>;

const seconds = (s: number | null) => (s == null ? '' : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${Math.round(s / 60)} min`);
const size = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`);

export function RunsPage(props: PageProps) {
  return props.route[0] ? <RunDetail {...props} id={props.route[0]} key={props.route[0]} /> : <RunList {...props} />;
}

function usePipelines(ws: Workspace) {
  const list = useAsync(() => get<Pipeline[]>(`/workspaces/${ws.id}/pipelines`), [ws.id]);
  return new Map((list.data ?? []).map((p) => [p.id, p.name]));
}

type Filters = { pipeline_id?: string; state?: string; agent_id?: string; since?: string; until?: string };

export function runsQuery(f: Filters): string {
  const q = new URLSearchParams({ limit: '200' });
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v);
  return `?${q}`;
}

function RunList({ ws }: PageProps) {
  const names = usePipelines(ws);
  const [f, setF] = useState<Filters>(() => Object.fromEntries(new URLSearchParams(location.search)) as Filters);
  const list = useAsync(() => get<Run[]>(`/workspaces/${ws.id}/runs${runsQuery(f)}`), [ws.id, JSON.stringify(f)]);
  const set = (k: keyof Filters, v: string) => {
    const next = { ...f, [k]: v || undefined };
    setF(next);
    const q = new URLSearchParams(Object.entries(next).filter(([, x]) => x) as [string, string][]).toString();
    history.replaceState(null, '', location.pathname + (q ? `?${q}` : ''));
  };
  const agents = [...new Set((list.data ?? []).map((r) => r.agent_id).filter(Boolean))] as string[];
  return (
    <div>
      <h1>Runs</h1>
      <div class="row filters" role="search">
        <label>
          <span class="name">Pipeline</span>
          <select aria-label="Pipeline" value={f.pipeline_id ?? ''} onChange={(e) => set('pipeline_id', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {[...names].map(([id, name]) => (
              <option value={id} key={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="name">State</span>
          <select aria-label="State" value={f.state ?? ''} onChange={(e) => set('state', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="name">Agent</span>
          <select aria-label="Agent" value={f.agent_id ?? ''} onChange={(e) => set('agent_id', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {[...new Set([...agents, ...(f.agent_id ? [f.agent_id] : [])])].map((a) => (
              <option value={a} key={a}>
                {a.slice(0, 8)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="name">Since</span>
          <input type="datetime-local" aria-label="Since" value={f.since ?? ''} onChange={(e) => set('since', (e.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span class="name">Until</span>
          <input type="datetime-local" aria-label="Until" value={f.until ?? ''} onChange={(e) => set('until', (e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.length === 0 && <Empty>No runs match. Runs appear here when a Pluto Duck app or agent runs a pipeline of this workspace.</Empty>}
      {!!list.data?.length && (
        <table class="simple runs">
          <Head cols={['Run', 'Pipeline', 'State', 'Trigger', 'Agent', 'Started', 'Took']} />
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id}>
                <td>
                  <a class="mono" {...linkProps(`/w/${ws.id}/runs/${r.id}`)}>
                    {r.id.slice(-8)}
                  </a>
                </td>
                <td>
                  {names.get(r.pipeline_id) ?? r.pipeline_id.slice(0, 8)} <span class="muted">v{r.pipeline_version}</span>
                </td>
                <td>{stateBadge(r.state)}</td>
                <td>{r.trigger}</td>
                <td class="mono">{r.agent_id ? r.agent_id.slice(0, 8) : r.user ?? ''}</td>
                <td class="muted">{when(r.started_at ?? r.created_at)}</td>
                <td>{seconds(r.duration_s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Report({ ws, run, artifact }: { ws: Workspace; run: string; artifact: Artifact }) {
  const html = useAsync(() => (artifact.size > SHOW_MAX ? Promise.resolve(null) : artifactText(ws.id, run, artifact.id)), [artifact.id]);
  if (artifact.size > SHOW_MAX) return <p class="muted">The report is {size(artifact.size)}, too large to show here: download it.</p>;
  if (html.error) return <ErrorBox error={html.error} />;
  if (html.data == null) return <Spinner label="Loading the report…" />;
  return <iframe class="report" title="Run report" sandbox="" referrerpolicy="no-referrer" srcdoc={html.data} />;
}

function Steps({ ws, run, artifact }: { ws: Workspace; run: string; artifact: Artifact }) {
  const meta = useAsync(() => artifactText(ws.id, run, artifact.id).then((t) => JSON.parse(t) as { steps?: Step[] }), [artifact.id]);
  if (meta.error) return <ErrorBox error={meta.error} />;
  if (!meta.data) return <Spinner />;
  const steps = meta.data.steps ?? [];
  if (!steps.length) return <p class="muted">No steps ran.</p>;
  return (
    <table class="simple steps-table">
      <Head cols={['Step', 'Kind', 'Status', 'Rows', 'Took', 'Note']} />
      <tbody>
        {steps.map((s) => (
          <tr key={s.id}>
            <td class="mono">{s.id}</td>
            <td>{s.kind}</td>
            <td>{stateBadge(s.status)}</td>
            <td>{s.rows ?? ''}</td>
            <td>{seconds(s.seconds)}</td>
            <td class={s.error ? 'error-text' : 'muted'}>{s.error ?? s.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Chunk {
  seq: number;
  lines: Record<string, unknown>[];
}

function Logs({ ws, run }: { ws: Workspace; run: Run }) {
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [after, setAfter] = useState(0);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const more = async () => {
    setBusy(true);
    try {
      const page = await get<{ chunks: Chunk[]; after: number }>(`/workspaces/${ws.id}/runs/${run.id}/logs?after=${after}&limit=20`);
      setChunks((c) => [...c, ...page.chunks]);
      setAfter(page.after);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const lines = chunks.flatMap((c) => c.lines);
  return (
    <section class="panel">
      <h2>Log</h2>
      <ErrorBox error={error} />
      {run.log_chunks === 0 && <p class="muted">No log was sent.</p>}
      {lines.length > 0 && (
        <pre class="log" aria-label="Log lines">
          {lines.map((l) => `${l.ts ?? ''} ${String(l.level ?? '').toUpperCase()} ${l.msg ?? ''}${l.step ?? l.asset_id ? ` [${l.step ?? l.asset_id}]` : ''}${l.error ? ` — ${l.error}` : ''}`).join('\n')}
        </pre>
      )}
      {after < run.log_chunks && (
        <button onClick={more} disabled={busy}>
          {chunks.length ? 'Load more' : `Show the log (${run.log_chunks} part${run.log_chunks === 1 ? '' : 's'})`}
        </button>
      )}
    </section>
  );
}

async function download(ws: Workspace, run: string, a: Artifact) {
  const d = await get<{ url: string }>(`/workspaces/${ws.id}/runs/${run}/artifacts/${a.id}/download`);
  const link = document.createElement('a');
  link.href = d.url;
  link.download = a.name;
  link.rel = 'noopener noreferrer';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function RunDetail({ ws, me, id }: PageProps & { id: string; me: Me }) {
  const run = useAsync(() => get<Run>(`/workspaces/${ws.id}/runs/${id}`), [id]);
  const arts = useAsync(() => get<Artifact[]>(`/workspaces/${ws.id}/runs/${id}/artifacts`), [id]);
  const names = usePipelines(ws);
  const [error, setError] = useState<unknown>();
  if (run.error) return <ErrorBox error={run.error} />;
  if (!run.data) return <Spinner />;
  const r = run.data;
  const done = (arts.data ?? []).filter((a) => a.state === 'complete');
  const report = done.find((a) => a.name === 'report.html');
  const meta = done.find((a) => a.name === 'metadata.json');
  return (
    <div class="run">
      <div class="row">
        <a {...linkProps(`/w/${ws.id}/runs`)}>Runs</a> /
        <h1 style={{ margin: 0 }} class="mono">
          {r.id}
        </h1>
        {stateBadge(r.state)}
      </div>
      <dl class="facts">
        <dt>Pipeline</dt>
        <dd>
          <a {...linkProps(`/w/${ws.id}/pipelines/${r.pipeline_id}?version=${r.pipeline_version}`)}>{names.get(r.pipeline_id) ?? r.pipeline_id}</a> v{r.pipeline_version}
        </dd>
        <dt>Trigger</dt>
        <dd>
          {r.trigger}
          {r.schedule_id && (
            <>
              {' '}
              (<a {...linkProps(`/w/${ws.id}/schedules/${r.schedule_id}`)}>schedule</a>)
            </>
          )}
        </dd>
        <dt>Ran on</dt>
        <dd class="mono">{r.agent_id ?? r.user ?? ''}</dd>
        <dt>Started</dt>
        <dd>{when(r.started_at)}</dd>
        <dt>Finished</dt>
        <dd>
          {when(r.finished_at)} {r.duration_s != null && <span class="muted">({seconds(r.duration_s)})</span>}
        </dd>
        {r.error_class && (
          <>
            <dt>Error</dt>
            <dd class="error-text">
              {r.error_class}: {r.error_message}
            </dd>
          </>
        )}
      </dl>
      {Object.keys(r.environment ?? {}).length > 0 && (
        <details>
          <summary>Environment</summary>
          <pre>{JSON.stringify(r.environment, null, 2)}</pre>
        </details>
      )}
      <section class="panel">
        <h2>Steps</h2>
        {meta ? <Steps ws={ws} run={r.id} artifact={meta} /> : <p class="muted">{arts.loading ? 'Loading…' : 'No metadata was uploaded for this run.'}</p>}
      </section>
      <section class="panel">
        <h2>Report</h2>
        {report ? <Report ws={ws} run={r.id} artifact={report} /> : <p class="muted">{arts.loading ? 'Loading…' : 'No report was uploaded for this run.'}</p>}
      </section>
      {!!arts.data?.length && (
        <section class="panel">
          <h2>Artifacts</h2>
          <ErrorBox error={error} />
          <table class="simple">
            <tbody>
              {arts.data.map((a) => (
                <tr key={a.id}>
                  <td class="mono">{a.name}</td>
                  <td>{a.kind}</td>
                  <td>{size(a.size)}</td>
                  <td>{a.state === 'complete' ? <button class="small" onClick={() => download(ws, r.id, a).catch(setError)}>Download</button> : <span class="badge">{a.state}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Logs ws={ws} run={r} />
      <Comments ws={ws} me={me} kind="run" target={r.id} />
    </div>
  );
}
