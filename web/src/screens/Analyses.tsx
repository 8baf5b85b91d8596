// Analyses.tsx - the project's analyses: a list with freshness badges and tags; one
// analysis with its SQL, parameters, data and run history; a run (with parameter
// values) with live per-step progress; create, edit (AnalysisEditor) and delete; the
// lineage graph (sources -> cached tables -> analyses), click to open.

import { parseExact } from '../lib/json';
import { useMemo, useState } from 'preact/hooks';
import { del, get, post, streamEvents } from '../api';
import { AnalysisEditor } from './AnalysisEditor';
import { Grid } from '../grid';
import { LineageGraph } from '../lineage';
import type { GraphNode } from '../lib/layout';
import { linkProps, navigate } from '../router';
import { openInSql } from './Sql';
import { Empty, ErrorBox, Modal, Spinner, useAsync, when } from '../ui';

interface Step {
  analysis: string;
  status: string;
  reason?: string;
  rows?: number | null;
  seconds?: number;
  error?: string | null;
}

function RunPanel({ id, parameters, onDone }: { id: string; parameters: any[]; onDone: () => void }) {
  const [steps, setSteps] = useState<Step[]>([]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [state, setState] = useState<'' | 'running' | 'completed' | 'failed'>('');
  const [error, setError] = useState<unknown>();
  const run = async (full: boolean) => {
    setSteps([]);
    setError(undefined);
    setState('running');
    try {
      // what the analysis needs runs first (as `analysis run +ID`); "run all again" forces every step
      const body: any = full ? { upstream: true, force: true, full_refresh: true } : { upstream: true };
      const params = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
      if (Object.keys(params).length) body.params = params;
      const job = await post(`/asset/analysis/${encodeURIComponent(id)}/execute`, body);
      streamEvents(`/jobs/${job.id}/events`, {
        onEvent: (e) => {
          const d = e.data ? parseExact(e.data) : {};
          if (e.event === 'step_started')
            setSteps((s) => [...s, { analysis: d.analysis, status: 'running', reason: d.reason }]);
          else if (e.event === 'step')
            setSteps((s) => {
              const i = s.findIndex((x) => x.analysis === d.analysis && x.status === 'running');
              const next = [...s];
              if (i >= 0) next[i] = d;
              else next.push(d);
              return next;
            });
          else if (e.event === 'completed') {
            setState('completed');
            if (d.result?.steps) setSteps(d.result.steps);
          } else if (e.event === 'failed') {
            setState('failed');
            setError(d.error?.message ?? 'the run failed');
            if (d.result?.steps) setSteps(d.result.steps);
          }
        },
        onEnd: onDone,
      });
    } catch (e) {
      setState('failed');
      setError(e);
    }
  };
  return (
    <div class="panel" style={{ marginTop: '0.75rem' }}>
      {parameters.length > 0 && (
        <div class="row" role="group" aria-label="parameter values">
          {parameters.map((p: any) => (
            <label class="inline">
              <span class="name">{p.name}</span>
              <input
                value={values[p.name] ?? ''}
                placeholder={p.default != null ? `${p.default} (default)` : `${p.type}, required`}
                onInput={(e) => setValues((v) => ({ ...v, [p.name]: (e.target as HTMLInputElement).value }))}
              />
            </label>
          ))}
        </div>
      )}
      <div class="row">
        <button class="primary" onClick={() => run(false)} disabled={state === 'running'}>Run</button>
        <button onClick={() => run(true)} disabled={state === 'running'} title="run every step, fresh or not">Run all again</button>
        {state === 'running' && <Spinner label="Running…" />}
        {state === 'completed' && <span class="badge completed">completed</span>}
      </div>
      <ErrorBox error={error} />
      {steps.length > 0 && (
        <table class="simple" aria-label="steps">
          <thead><tr><th>step</th><th>status</th><th>why</th><th>rows</th><th>seconds</th></tr></thead>
          <tbody>
            {steps.map((s) => (
              <tr>
                <td>{s.analysis}</td>
                <td><span class={`badge ${s.status === 'ok' ? 'ok' : s.status}`}>{s.status}</span>{s.error && <div class="field-error">{s.error}</div>}</td>
                <td class="muted">{s.reason}</td>
                <td>{s.rows ?? ''}</td>
                <td>{s.seconds !== undefined ? s.seconds.toFixed(3) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Delete with the CLI's check: refused while other analyses read it, unless asked again. */
function DeleteAnalysis({ id, onClose, onDeleted }: { id: string; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<unknown>();
  const [refused, setRefused] = useState(false);
  const remove = async (force: boolean) => {
    setError(undefined);
    try {
      await del(`/asset/analysis/${encodeURIComponent(id)}${force ? '?force=true' : ''}`);
      onDeleted();
    } catch (e: any) {
      setError(e);
      if (e?.status === 409) setRefused(true);
    }
  };
  return (
    <Modal title={`Delete ${id}?`} onClose={onClose}>
      <p>Its definition goes; what it built stays in the warehouse until you drop it.</p>
      <ErrorBox error={error} />
      <div class="row end">
        <button onClick={onClose}>Cancel</button>
        <button class="danger" onClick={() => remove(refused)}>{refused ? 'Delete anyway' : 'Delete'}</button>
      </div>
    </Modal>
  );
}

function Detail({ id, onChanged, others }: { id: string; onChanged: () => void; others: string[] }) {
  const a = useAsync<any>(() => get(`/asset/analysis/${encodeURIComponent(id)}`), [id]);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const history = useAsync<any[]>(() => get(`/asset/analysis/${encodeURIComponent(id)}/history`), [id, version]);
  // rows only once it has run: before that its upstream tables may not exist yet
  const ran = !!a.data?.last_success_at;
  const data = useAsync<any>(
    () => (ran ? get(`/asset/analysis/${encodeURIComponent(id)}/data?limit=200`) : Promise.resolve(null)),
    [id, version, ran],
  );
  const graph = useAsync<any>(() => get('/asset/lineage-graph'), [id]);
  if (a.error) return <ErrorBox error={a.error} onRetry={a.reload} />;
  if (!a.data) return <Spinner />;
  const d = a.data;
  if (editing)
    return (
      <AnalysisEditor
        analysis={d}
        others={others}
        onCancel={() => setEditing(false)}
        onSaved={() => { setEditing(false); a.reload(); onChanged(); }}
      />
    );
  return (
    <div>
      <div class="row">
        <h2 class="spacer">{d.name || d.id}</h2>
        <span class={`badge ${d.status}`} title={d.reason}>{d.status}</span>
        <button onClick={() => setEditing(true)}>Edit</button>
        <button onClick={() => setDeleting(true)}>Delete</button>
      </div>
      {deleting && (
        <DeleteAnalysis id={id} onClose={() => setDeleting(false)} onDeleted={() => { onChanged(); navigate('/analyses'); }} />
      )}
      {d.description && <p class="muted">{d.description}</p>}
      <div class="muted">
        {d.materialize} · {d.tags?.length ? d.tags.join(', ') + ' · ' : ''}
        {d.freshness === 'assume_fresh' ? 'assumed fresh · ' : ''}
        {d.reason}
        {d.last_success_at && ` · last success ${when(d.last_success_at)}`}
      </div>
      <pre>{d.sql}</pre>
      {d.parameters?.length > 0 && (
        <>
          <h3>Parameters</h3>
          <table class="simple">
            <thead><tr><th>name</th><th>type</th><th>default</th></tr></thead>
            <tbody>
              {d.parameters.map((p: any) => (
                <tr><td>{p.name}</td><td>{p.type}</td><td class="mono">{JSON.stringify(p.default)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <RunPanel id={id} parameters={d.parameters ?? []} onDone={() => { setVersion((v) => v + 1); a.reload(); onChanged(); }} />
      <h3>Lineage</h3>
      <ErrorBox error={graph.error} />
      {graph.data && (
        <LineageGraph nodes={graph.data.nodes} edges={graph.data.edges} selected={`analysis:${id}`} onOpen={openNode} />
      )}
      <h3>Data</h3>
      {!ran ? (
        <div class="notice" role="status">Not run yet: run it (with what it reads) to see its rows.</div>
      ) : data.error ? (
        <div class="muted">{(data.error as Error).message}</div>
      ) : data.data ? (
        <Grid columns={data.data.columns} rows={data.data.rows} height={240} />
      ) : (
        <Spinner />
      )}
      <h3>Run history</h3>
      <ErrorBox error={history.error} />
      {history.data?.length === 0 && <div class="muted">Not run yet.</div>}
      {history.data && history.data.length > 0 && (
        <table class="simple">
          <thead><tr><th>when</th><th>status</th><th>why</th><th>rows</th><th>ms</th></tr></thead>
          <tbody>
            {history.data.map((h: any) => (
              <tr>
                <td class="muted">{when(h.started_at)}</td>
                <td><span class={`badge ${h.status === 'ok' ? 'ok' : h.status}`}>{h.status}</span>{h.error && <div class="field-error">{h.error}</div>}</td>
                <td class="muted">{h.reason}</td>
                <td>{h.rows ?? ''}</td>
                <td>{h.duration_ms}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Open a lineage node: an analysis's page, or a table in the SQL workbench. */
function openNode(n: GraphNode) {
  if (n.kind === 'analysis') navigate(`/analyses/${encodeURIComponent(n.name)}`);
  else {
    openInSql(`select * from ${n.name} limit 100`);
  }
}

function ProjectGraph() {
  const graph = useAsync<any>(() => get('/asset/lineage-graph'), []);
  return (
    <div>
      <h2>Lineage</h2>
      <p class="muted">Where each analysis's data comes from. Click a node to open it.</p>
      <ErrorBox error={graph.error} onRetry={graph.reload} />
      {graph.loading && !graph.data && <Spinner />}
      {graph.data && <LineageGraph nodes={graph.data.nodes} edges={graph.data.edges} onOpen={openNode} />}
    </div>
  );
}

export function AnalysesScreen({ route }: { route: string[] }) {
  const selected = route[0] ?? null;
  const list = useAsync<any>(() => get('/asset/analyses'), []);
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState(false);
  /* one array per list: a new one on every render would reconfigure the editor's completion */
  const ids: string[] = useMemo(() => (list.data?.analyses ?? []).map((a: any) => a.id), [list.data]);
  const items: any[] = (list.data?.analyses ?? []).filter(
    (a: any) => !filter || a.id.includes(filter) || (a.tags ?? []).some((t: string) => t.includes(filter)),
  );
  return (
    <div class="split">
      <div class="list">
        <div class="row">
          <h1 class="spacer">Analyses</h1>
          <button class="primary" onClick={() => setCreating(true)}>New</button>
          <button onClick={() => { setCreating(false); navigate('/analyses'); }}>Lineage</button>
        </div>
        <input placeholder="filter by id or tag" aria-label="filter analyses" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} style={{ width: '100%', marginBottom: '0.5rem' }} />
        <ErrorBox error={list.error} onRetry={list.reload} />
        {list.loading && !list.data && <Spinner />}
        <ul class="list-items" aria-label="Analyses">
          {items.map((a) => {
            const link = linkProps(`/analyses/${encodeURIComponent(a.id)}`);
            return (
            <li>
              <a class={a.id === selected && !creating ? 'active' : ''} {...link} onClick={(e) => { setCreating(false); link.onClick(e); }}>
                {a.id} <span class={`badge ${a.status}`} title={a.reason}>{a.status}</span>
                {a.tags?.length > 0 && <div class="muted">{a.tags.join(', ')}</div>}
              </a>
            </li>
            );
          })}
        </ul>
        {list.data && items.length === 0 && (
          <Empty>{filter ? 'No analysis matches.' : 'No analyses yet: create one with New, or save one from the chat or the SQL workbench.'}</Empty>
        )}
      </div>
      <div class="detail">
        {creating ? (
          <AnalysisEditor
            analysis={null}
            others={ids}
            onCancel={() => setCreating(false)}
            onSaved={(id) => { setCreating(false); list.reload(); navigate(`/analyses/${encodeURIComponent(id)}`); }}
          />
        ) : selected ? (
          <Detail key={selected} id={selected} onChanged={list.reload} others={ids} />
        ) : (
          <ProjectGraph />
        )}
      </div>
    </div>
  );
}
