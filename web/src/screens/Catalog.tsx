// Catalog.tsx - every schema, table and view of the warehouse as a tree (user
// tables, cache, analysis, attached sources; internal schemas and the agent's work
// zones hidden) with row counts and column types; a table's preview, and its column
// summary (SUMMARIZE), computed only when asked: a live source's table is read
// from its server.

import { useState } from 'preact/hooks';
import { get } from '../api';
import { Grid } from '../grid';
import { quoteIdent, quoteLiteral, runSql } from '../lib/sql';
import type { QueryResult } from '../query';
import { Empty, ErrorBox, Spinner, useAsync } from '../ui';

interface Relation {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  rows: number | null;
}

const HIDDEN = "('_pluto', '_sources', '_duckpipe', 'information_schema', 'pg_catalog')";

/** The warehouse's relations, by schema (internal ones and work zones left out). */
async function loadCatalog(): Promise<Map<string, Relation[]>> {
  const r = await runSql(
    `select schema_name, table_name, 'table', estimated_size from duckdb_tables() ` +
      `where database_name = current_database() and schema_name not in ${HIDDEN} and not starts_with(schema_name, 'work_') ` +
      `union all select schema_name, view_name, 'view', null from duckdb_views() ` +
      `where database_name = current_database() and not internal and schema_name not in ${HIDDEN} and not starts_with(schema_name, 'work_') ` +
      `order by 1, 2`,
    100000,
  );
  const out = new Map<string, Relation[]>();
  for (const [schema, name, kind, rows] of r.rows as [string, string, 'table' | 'view', number | null][]) {
    if (!out.has(schema)) out.set(schema, []);
    out.get(schema)!.push({ schema, name, kind, rows: rows === null ? null : Number(rows) });
  }
  return out;
}

/** A column summary as a table: type, null %, distinct, min, max, mean. */
export function Summary({ result }: { result: QueryResult }) {
  const col = (name: string) => result.columns.findIndex((c) => c.name === name);
  const [n, t, mn, mx, uq, avg, nul] = ['column_name', 'column_type', 'min', 'max', 'approx_unique', 'avg', 'null_percentage'].map(col);
  return (
    <table class="simple" aria-label="column summary">
      <thead>
        <tr><th>column</th><th>type</th><th>null %</th><th>distinct (about)</th><th>min</th><th>max</th><th>mean</th></tr>
      </thead>
      <tbody>
        {result.rows.map((r) => (
          <tr>
            <td>{String(r[n])}</td>
            <td class="mono">{String(r[t])}</td>
            <td>{r[nul] === null ? '' : Number(r[nul]).toFixed(1)}</td>
            <td>{r[uq] === null ? '' : String(r[uq])}</td>
            <td class="mono">{r[mn] === null ? '' : String(r[mn])}</td>
            <td class="mono">{r[mx] === null ? '' : String(r[mx])}</td>
            <td class="mono">{r[avg] === null ? '' : String(r[avg])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RelationDetail({ rel, live }: { rel: Relation; live: boolean }) {
  const id = `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`;
  const columns = useAsync(
    () =>
      runSql(
        `select column_name, data_type from information_schema.columns where table_schema = ${quoteLiteral(rel.schema)} ` +
          `and table_name = ${quoteLiteral(rel.name)} order by ordinal_position`,
        10000,
      ),
    [id],
  );
  const [preview, setPreview] = useState<QueryResult | null>(null);
  const [summary, setSummary] = useState<QueryResult | null>(null);
  const [busy, setBusy] = useState<'' | 'preview' | 'summary'>('');
  const [error, setError] = useState<unknown>();
  const load = async (what: 'preview' | 'summary') => {
    setBusy(what);
    setError(undefined);
    try {
      if (what === 'preview') setPreview(await runSql(`select * from ${id} limit 100`, 100));
      else setSummary(await runSql(`summarize select * from ${id}`, 10000, 300));
    } catch (e) {
      setError(e);
    }
    setBusy('');
  };
  return (
    <div>
      <h2>
        {rel.schema}.{rel.name}
      </h2>
      <div class="muted">
        {rel.kind}
        {live ? ' · read live from its source' : ''}
        {rel.rows !== null ? ` · about ${rel.rows.toLocaleString()} rows` : ''}
      </div>
      <ErrorBox error={columns.error} />
      {columns.data && (
        <table class="simple" aria-label="columns">
          <thead><tr><th>column</th><th>type</th></tr></thead>
          <tbody>
            {columns.data.rows.map(([c, t]) => (
              <tr><td>{String(c)}</td><td class="mono">{String(t)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="row" style={{ marginTop: '0.5rem' }}>
        <button onClick={() => load('preview')} disabled={!!busy}>Preview</button>
        <button onClick={() => load('summary')} disabled={!!busy} title={live ? 'reads the whole table from its source' : 'computed by DuckDB now'}>
          Summarize columns
        </button>
        {busy && <Spinner label={busy === 'preview' ? 'Reading…' : 'Summarizing…'} />}
      </div>
      <ErrorBox error={error} />
      {summary && <Summary result={summary} />}
      {preview && <Grid columns={preview.columns} rows={preview.rows} height={280} />}
    </div>
  );
}

export function CatalogScreen(_: { route: string[] }) {
  const catalog = useAsync(loadCatalog, []);
  const sources = useAsync<any[]>(() => get('/source'), []);
  const [open, setOpen] = useState<Set<string>>(new Set(['main']));
  const [selected, setSelected] = useState<Relation | null>(null);
  const [filter, setFilter] = useState('');
  const live = new Set((sources.data ?? []).filter((s: any) => !['file', 'http', 'duckdb'].includes(s.type)).map((s: any) => s.name));
  const toggle = (schema: string) =>
    setOpen((o) => {
      const n = new Set(o);
      if (n.has(schema)) n.delete(schema);
      else n.add(schema);
      return n;
    });
  return (
    <div class="split">
      <div class="list">
        <h1>Catalog</h1>
        <input placeholder="filter tables" aria-label="filter tables" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} style={{ width: '100%', marginBottom: '0.5rem' }} />
        <ErrorBox error={catalog.error} onRetry={catalog.reload} />
        {catalog.loading && !catalog.data && <Spinner />}
        <ul class="tree" role="tree" aria-label="schemas">
          {[...(catalog.data ?? new Map<string, Relation[]>()).entries()].map(([schema, rels]) => {
            const shown = rels.filter((r) => !filter || r.name.includes(filter));
            if (filter && !shown.length) return null;
            const expanded = open.has(schema) || !!filter;
            return (
              <li role="treeitem" aria-expanded={expanded}>
                <button class="link" onClick={() => toggle(schema)}>
                  {expanded ? '▾' : '▸'} {schema} <span class="muted">{rels.length}{live.has(schema) ? ' · live' : ''}</span>
                </button>
                {expanded && (
                  <ul role="group">
                    {shown.map((r) => (
                      <li role="treeitem" aria-selected={selected === r}>
                        <button class={`link${selected?.schema === r.schema && selected?.name === r.name ? ' active' : ''}`} onClick={() => setSelected(r)}>
                          {r.name}
                        </button>{' '}
                        <span class="muted">{r.rows !== null ? r.rows.toLocaleString() : r.kind}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      </div>
      <div class="detail">
        {selected ? <RelationDetail key={`${selected.schema}.${selected.name}`} rel={selected} live={live.has(selected.schema)} /> : <Empty>Pick a table or view to see its columns, preview it, or summarize it.</Empty>}
      </div>
    </div>
  );
}
