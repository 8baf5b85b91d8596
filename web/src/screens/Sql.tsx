// Sql.tsx - the SQL workbench: an editor with completion of tables and columns, run
// (Ctrl/Cmd+Enter) and cancel, the result in a virtualised grid, export to CSV or
// Parquet, a chart builder and the query history.

import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { download, get, post, saveBlob } from '../api';
import { SqlEditor, type EditorText, type SqlFunction, type SqlSchema } from '../editor';
import { Grid, type GridSort } from '../grid';
import { navigate } from '../router';
import { quoteIdent, quoteLiteral, runSql } from '../lib/sql';
import type { QueryResult } from '../query';
import { Summary } from './Catalog';
import { Chart, ChartBuilder, defaultSpec } from '../chart';
import type { ChartSpec } from '../lib/chartdata';
import { useQueryRun } from '../query';
import { Empty, ErrorBox, Field, Modal, Spinner, Tabs, useAsync, when } from '../ui';
import { AddToBoard, SaveAnalysis } from './actions';

const DRAFT_KEY = 'pluto-duck.sql'; /* the one editor's text, before tabs */

/** Open sql in a new tab of the SQL screen (other screens' "open in SQL"), and go there. */
export function openInSql(sql: string) {
  localStorage.setItem(OPEN_KEY, sql);
  navigate('/sql');
}
const OPEN_KEY = 'pluto-duck.sql-open';
const NO_SCHEMA: SqlSchema = {};

/** DuckDB's functions, one signature each, for completion. */
export async function loadFunctions(): Promise<SqlFunction[]> {
  const r = await runSql(
    "select function_name, any_value(array_to_string(parameters, ', ')), any_value(return_type) from duckdb_functions() " +
      "where function_type in ('scalar', 'aggregate', 'macro') and not starts_with(function_name, '__') " +
      "and regexp_matches(function_name, '^[a-z_][a-z0-9_]*$') group by 1 order by 1",
    5000,
  );
  return r.rows.map(([name, params, returns]) => ({ name: String(name), params: String(params ?? ''), returns: String(returns ?? '') }));
}
const NO_FUNCTIONS: SqlFunction[] = [];

/** Tables and their columns for completion ("schema.table" and bare names in main). */
export async function loadSchema(): Promise<SqlSchema> {
  const job = await post('/query?wait=30', {
    sql:
      "select table_schema, table_name, column_name from information_schema.columns " +
      "where table_schema not in ('_pluto', '_sources', '_duckpipe', 'information_schema', 'pg_catalog') " +
      "order by table_schema, table_name, ordinal_position",
    limit: 20000,
  });
  const out: SqlSchema = {};
  for (const [schema, table, column] of job.result?.rows ?? []) {
    const key = schema === 'main' ? table : `${schema}.${table}`;
    (out[key] ??= []).push(column);
  }
  return out;
}

function History({ onPick }: { onPick: (sql: string) => void }) {
  const [search, setSearch] = useState('');
  const [asked, setAsked] = useState('');
  useEffect(() => { /* ask the server a moment after typing stops */
    const t = setTimeout(() => setAsked(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const h = useAsync(() => get(`/query/history?limit=50${asked ? `&search=${encodeURIComponent(asked)}` : ''}`), [asked]);
  const box = <input type="search" aria-label="search the history" placeholder="search the SQL…" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} style={{ width: '100%', marginBottom: '0.5rem' }} />;
  if (h.loading && !h.data) return <>{box}<Spinner /></>;
  if (h.error) return <>{box}<ErrorBox error={h.error} onRetry={h.reload} /></>;
  if (!h.data?.length) return <>{box}<Empty>{asked ? `No statement contains "${asked}".` : 'No query run yet.'}</Empty></>;
  return (
    <>
    {box}
    <table class="simple" aria-label="history">
      <thead>
        <tr><th>when</th><th>status</th><th>rows</th><th>ms</th><th>SQL</th></tr>
      </thead>
      <tbody>
        {h.data.map((q: any) => (
          <tr>
            <td class="muted">{when(q.started_at)}</td>
            <td><span class={`badge ${q.status === 'ok' ? 'ok' : 'failed'}`}>{q.status}</span></td>
            <td>{q.rows ?? ''}</td>
            <td>{q.duration_ms ?? ''}</td>
            <td>
              <button class="link mono" title="put it in the editor" onClick={() => onPick(q.sql)}>
                {q.sql.length > 120 ? q.sql.slice(0, 119) + '…' : q.sql}
              </button>
              {q.error && <div class="field-error">{q.error}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    </>
  );
}

const LIVE_KEY = 'pluto-duck.sql-live';

/**
 * Whether text is one statement that reads (the live preview's first filter; the
 * server refuses anything else anyway: read_only).
 */
export function looksLikeRead(text: string): boolean {
  const t = text.replace(/--[^\n]*/g, '').trim().replace(/;\s*$/, '');
  return /^(select|with|from|values|table|show|describe|summarize|explain)\b/i.test(t) && !t.includes(';');
}

/**
 * The statement as run, sorted and filtered by DuckDB: wrapped as a subquery (its
 * trailing semicolons dropped), the filter a case-insensitive "contains" on the
 * column's text. Names and text go in quoted, never as SQL.
 */
export function reshaped(sql: string, sort: GridSort | null, filter: { column: string; text: string }): string {
  const inner = sql.trim().replace(/;+\s*$/, '');
  let out = `select * from (\n${inner}\n) as pd_result`;
  if (filter.column && filter.text)
    out += ` where cast(${quoteIdent(filter.column)} as varchar) ilike ${quoteLiteral('%' + filter.text.replace(/[\\%_]/g, (c) => '\\' + c) + '%')} escape '\\'`;
  if (sort) out += ` order by ${quoteIdent(sort.column)} ${sort.dir === 'desc' ? 'desc' : 'asc'} nulls last`;
  return out;
}

/** An editor tab: its text is kept in this browser across reloads. */
interface QueryTab {
  id: string;
  title: string;
  sql: string;
}

const TABS_KEY = 'pluto-duck.sql-tabs';
const SAVED_KEY = 'pluto-duck.saved-queries';

function loadTabs(): { tabs: QueryTab[]; active: string } {
  try {
    const t = JSON.parse(localStorage.getItem(TABS_KEY) ?? 'null');
    if (t?.tabs?.length) return t;
  } catch {
    /* a damaged entry: start again */
  }
  const first = { id: 't1', title: 'Query 1', sql: localStorage.getItem(DRAFT_KEY) ?? 'select * from orders limit 100' };
  return { tabs: [first], active: first.id };
}

/** tabs with a new tab (a fresh id) holding sql, chosen. */
function withTab(tabs: { tabs: QueryTab[]; active: string }, title: string, sql: string) {
  const n = Math.max(0, ...tabs.tabs.map((x) => Number(x.id.slice(1)) || 0)) + 1;
  return { tabs: [...tabs.tabs, { id: `t${n}`, title, sql }], active: `t${n}` };
}

/** Queries saved by name in this browser: name -> SQL. */
export function savedQueries(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

function SaveQuery({ sql, onSaved, onClose }: { sql: string; onSaved: (name: string) => void; onClose: () => void }) {
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const bad = !name.trim() ? 'give the query a name' : name.length > 80 ? 'at most 80 characters' : null;
  const save = () => {
    setTouched(true);
    if (bad) return;
    localStorage.setItem(SAVED_KEY, JSON.stringify({ ...savedQueries(), [name.trim()]: sql }));
    onSaved(name.trim());
  };
  return (
    <Modal title="Save the query" onClose={onClose}>
      <Field label="Query name" error={touched && bad}>
        <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && save()} />
      </Field>
      <pre>{sql}</pre>
      <div class="row end">
        <button onClick={onClose}>Cancel</button>
        <button class="primary" onClick={save}>Save</button>
      </div>
    </Modal>
  );
}

function Saved({ onOpen }: { onOpen: (name: string, sql: string) => void }) {
  const [saved, setSaved] = useState(savedQueries);
  const names = Object.keys(saved).sort();
  if (!names.length) return <Empty>No saved query yet: "Save query…" keeps the editor's text by name.</Empty>;
  return (
    <table class="simple" aria-label="saved queries">
      <tbody>
        {names.map((n) => (
          <tr>
            <td><button class="link" onClick={() => onOpen(n, saved[n])}>{n}</button></td>
            <td class="mono muted">{saved[n].length > 100 ? saved[n].slice(0, 99) + '…' : saved[n]}</td>
            <td>
              <button class="link" aria-label={`forget ${n}`} onClick={() => {
                const next = { ...saved };
                delete next[n];
                localStorage.setItem(SAVED_KEY, JSON.stringify(next));
                setSaved(next);
              }}>✕</button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SqlScreen(_: { route: string[] }) {
  const [tabs, setTabs] = useState(() => {
    const t = loadTabs(), wanted = localStorage.getItem(OPEN_KEY);
    if (wanted === null) return t;
    localStorage.removeItem(OPEN_KEY);
    return withTab(t, `Query ${t.tabs.length + 1}`, wanted);
  });
  /* kept as the page shows them (a layout effect: a reload right after a click keeps it) */
  useLayoutEffect(() => localStorage.setItem(TABS_KEY, JSON.stringify(tabs)), [tabs]);
  const active = tabs.tabs.find((t) => t.id === tabs.active) ?? tabs.tabs[0];
  const open = (title: string, sql: string) => setTabs((t) => withTab(t, title, sql));
  const close = (id: string) =>
    setTabs((t) => {
      const rest = t.tabs.filter((x) => x.id !== id);
      return { tabs: rest, active: t.active === id ? rest[Math.max(0, t.tabs.findIndex((x) => x.id === id) - 1)].id : t.active };
    });
  const update = (id: string, change: Partial<QueryTab>) =>
    setTabs((t) => ({ ...t, tabs: t.tabs.map((x) => (x.id === id ? { ...x, ...change } : x)) }));
  return (
    <div>
      <h1>SQL</h1>
      <div class="query-tabs" role="tablist" aria-label="queries">
        {tabs.tabs.map((t) => (
          <span class={`query-tab${t.id === active.id ? ' active' : ''}`}>
            <button role="tab" aria-selected={t.id === active.id} onClick={() => setTabs((x) => ({ ...x, active: t.id }))}>{t.title}</button>
            {tabs.tabs.length > 1 && <button class="link" aria-label={`close ${t.title}`} onClick={() => close(t.id)}>✕</button>}
          </span>
        ))}
        <button class="link" aria-label="new query tab" onClick={() => open(`Query ${tabs.tabs.length + 1}`, '')}>＋</button>
      </div>
      <QueryPane key={active.id} tab={active} onText={(sql) => update(active.id, { sql })} onTitle={(title) => update(active.id, { title })} onOpen={open} />
    </div>
  );
}

function QueryPane({ tab: qtab, onText, onTitle, onOpen }: { tab: QueryTab; onText: (sql: string) => void; onTitle: (t: string) => void; onOpen: (title: string, sql: string) => void }) {
  const [initial] = useState(qtab.sql);
  const [sql, setSql] = useState(initial);
  const [picked, setPicked] = useState<EditorText>();
  const [tab, setTab] = useState<'result' | 'chart' | 'history' | 'saved'>('result');
  const [spec, setSpec] = useState<ChartSpec | null>(null);
  const [exportError, setExportError] = useState<unknown>();
  const [dialog, setDialog] = useState<'save' | 'board' | 'query' | null>(null);
  const schema = useAsync(loadSchema, []);
  const functions = useAsync(loadFunctions, []);
  const { state, run, cancel, startedAt, ranSql } = useQueryRun(`sql:${qtab.id}`);
  /* sorting and filtering re-run the statement as written, wrapped: DuckDB does the work */
  const [base, setBase] = useState(ranSql);
  const [sort, setSort] = useState<GridSort | null>(null);
  const [filter, setFilter] = useState<{ column: string; text: string }>({ column: '', text: '' });
  const runFromEditor = (text: string) => {
    setBase(text);
    setSort(null);
    setFilter({ column: '', text: '' });
    run(text);
  };
  const reshapable = state.status === 'completed' && state.result.statement_type === 'SELECT' && (state.result.statements ?? 1) === 1;
  /* a column's summary from its header: SUMMARIZE of that column of the statement, by DuckDB */
  const [colSummary, setColSummary] = useState<{ column: string; result?: QueryResult; error?: unknown } | null>(null);
  const summarize = async (column: string) => {
    setColSummary({ column });
    try {
      const inner = (state.status === 'completed' ? ranSql : base).trim().replace(/;+\s*$/, '');
      setColSummary({ column, result: await runSql(`summarize select ${quoteIdent(column)} from (\n${inner}\n) as pd_result`, 10, 300) });
    } catch (e) {
      setColSummary({ column, error: e });
    }
  };
  const reshape = (s: GridSort | null, f: { column: string; text: string }) => {
    setSort(s);
    setFilter(f);
    run(reshaped(base, s, f));
  };
  /* live preview (off by default): a pause in typing runs the statement, reads only, briefly */
  const [live, setLive] = useState(() => localStorage.getItem(LIVE_KEY) === 'on');
  useEffect(() => localStorage.setItem(LIVE_KEY, live ? 'on' : 'off'), [live]);
  useEffect(() => {
    if (!live || !looksLikeRead(sql)) return;
    const t = setTimeout(() => {
      setBase(sql);
      setSort(null);
      run(sql, { readOnly: true, timeoutS: 5, limit: 200 });
    }, 600);
    return () => clearTimeout(t);
  }, [sql, live]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => { /* the time a run has taken, while it runs */
    if (state.status !== 'running') return;
    const t = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(t);
  }, [state.status]);

  useEffect(() => onText(sql), [sql]);
  useEffect(() => {
    if (state.status === 'completed') setSpec(defaultSpec(state.result.columns));
  }, [state.status === 'completed' ? state.id : '']);

  const exportAs = async (format: 'csv' | 'parquet') => {
    if (state.status !== 'completed') return;
    setExportError(undefined);
    try {
      saveBlob(await download(`/query/${state.id}/result?format=${format}`), `result.${format}`);
    } catch (e) {
      setExportError(e);
    }
  };

  const running = state.status === 'running';
  return (
    <div>
      <SqlEditor
        initial={initial}
        replace={picked}
        onChange={setSql}
        onRun={(text) => { if (!running) runFromEditor(text); }}
        schema={schema.data ?? NO_SCHEMA}
        functions={functions.data ?? NO_FUNCTIONS}
        ready={!schema.loading && !functions.loading}
        error={state.status === 'failed' ? state.message : undefined}
      />
      <div class="row" style={{ marginTop: '0.5rem' }}>
        <button class="primary" onClick={() => runFromEditor(sql)} disabled={running || !sql.trim()} title="Ctrl/Cmd+Enter">
          ▶ Run
        </button>
        <button onClick={cancel} disabled={!running}>
          ■ Cancel
        </button>
        <label class="row" title="as you pause typing, a read runs with a small limit and a 5 s time limit; writes never run">
          <input type="checkbox" checked={live} onChange={(e) => setLive((e.target as HTMLInputElement).checked)} />
          <span>Live preview</span>
        </label>
        {running && (
          <Spinner
            label={`${state.reconnecting ? 'Reconnecting…' : 'Running…'}${state.progress !== undefined && state.progress >= 0 ? ` ${Math.round(state.progress)}%` : ''} · ${((now - startedAt) / 1000).toFixed(1)} s`}
          />
        )}
        {state.status === 'completed' && (
          <span class="muted" data-testid="result-status">
            {state.result.row_count.toLocaleString()} row{state.result.row_count === 1 ? '' : 's'}
            {state.result.rows_returned < state.result.row_count && ` (showing the first ${state.result.rows_returned.toLocaleString()})`}
            {' '}in {Math.round(state.result.elapsed_ms)} ms
            {(state.result.statements ?? 1) > 1 && ` · the result of the last of ${state.result.statements} statements`}
          </span>
        )}
        <span class="spacer" />
        <button onClick={() => setDialog('query')} disabled={!sql.trim()}>
          Save query…
        </button>
        <button onClick={() => setDialog('save')} disabled={state.status !== 'completed'}>
          Save as analysis
        </button>
        <button onClick={() => setDialog('board')} disabled={state.status !== 'completed'}>
          Add to board
        </button>
        <button onClick={() => exportAs('csv')} disabled={state.status !== 'completed'}>
          Export CSV
        </button>
        <button onClick={() => exportAs('parquet')} disabled={state.status !== 'completed'}>
          Export Parquet
        </button>
      </div>
      <ErrorBox error={exportError} />
      {dialog === 'save' && <SaveAnalysis sql={ranSql} onClose={() => setDialog(null)} />}
      {dialog === 'query' && <SaveQuery sql={sql} onClose={() => setDialog(null)} onSaved={(name) => { onTitle(name); setDialog(null); }} />}
      {dialog === 'board' && <AddToBoard sql={ranSql} chart={spec ?? undefined} onClose={() => setDialog(null)} />}
      {state.status === 'cancelled' && <div class="notice" role="status">Cancelled: the query was stopped.</div>}
      {state.status === 'failed' && (
        <pre class="sql-error" role="alert">{state.message}</pre>
      )}
      <Tabs
        label="What to show"
        panel="sql-panel"
        current={tab}
        onChange={setTab}
        tabs={[{ id: 'result', label: 'Result' }, { id: 'chart', label: 'Chart' }, { id: 'history', label: 'History' }, { id: 'saved', label: 'Saved' }]}
      />
      <div id="sql-panel" role="tabpanel" aria-labelledby={`sql-panel-tab-${tab}`}>
      {tab === 'history' ? (
        <History onPick={(s) => { setPicked((p) => ({ text: s, seq: (p?.seq ?? 0) + 1 })); setTab('result'); }} />
      ) : tab === 'saved' ? (
        <Saved onOpen={onOpen} />
      ) : state.status !== 'completed' ? (
        <Empty>Run a query to see its result{tab === 'chart' ? ' as a chart' : ''}.</Empty>
      ) : state.result.columns.length === 0 ? (
        <div class="notice">Done: {state.result.statement_type}.</div>
      ) : tab === 'result' ? (
        <>
          {reshapable && (
            <form class="row filter-bar" onSubmit={(e) => { e.preventDefault(); reshape(sort, filter); }}>
              <label class="row">
                <span class="muted">Filter</span>
                <select aria-label="filter column" value={filter.column} onChange={(e) => setFilter({ ...filter, column: (e.target as HTMLSelectElement).value })}>
                  <option value="">column…</option>
                  {state.result.columns.map((c) => <option value={c.name}>{c.name}</option>)}
                </select>
              </label>
              <input aria-label="filter text" placeholder="contains…" value={filter.text} onInput={(e) => setFilter({ ...filter, text: (e.target as HTMLInputElement).value })} />
              <button type="submit" disabled={!filter.column}>Apply</button>
              {(filter.text || sort) && <button type="button" onClick={() => reshape(null, { column: '', text: '' })}>Clear</button>}
            </form>
          )}
          {colSummary && (
            <div class="panel" role="region" aria-label={`summary of ${colSummary.column}`}>
              <div class="row">
                <strong class="spacer">Summary of {colSummary.column}</strong>
                <button class="link" aria-label="close the summary" onClick={() => setColSummary(null)}>✕</button>
              </div>
              <ErrorBox error={colSummary.error} />
              {colSummary.result ? <Summary result={colSummary.result} /> : !colSummary.error && <Spinner label="Summarizing…" />}
            </div>
          )}
          <Grid
            columns={state.result.columns}
            rows={state.result.rows}
            height={Math.max(240, window.innerHeight - 460)}
            rowNumbers
            sort={sort}
            onSort={reshapable || sort ? (s) => reshape(s, filter) : undefined}
            onSummary={reshapable ? summarize : undefined}
          />
        </>
      ) : spec ? (
        <div class="panel">
          <ChartBuilder columns={state.result.columns} spec={spec} onChange={setSpec} />
          <Chart columns={state.result.columns} rows={state.result.rows} spec={spec} />
        </div>
      ) : (
        <Empty>This result has no numeric column to chart.</Empty>
      )}
      </div>
    </div>
  );
}
