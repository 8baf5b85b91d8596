// Sources.tsx - connecting data: the attach form per type (checked before sending,
// with "test connection"), the sources and their status, each source's tables with
// their columns and a preview, caching a table (filter, TTL), refresh and detach;
// the cached tables with refresh and drop.

import { useState } from 'preact/hooks';
import { del, get, post } from '../api';
import { Grid } from '../grid';
import { checkAttach, checkDuration, checkName, parseReaderOptions, SOURCE_FIELDS, type SourceType } from '../lib/validate';
import { quoteIdent, runSql } from '../lib/sql';
import { linkProps, navigate } from '../router';
import { Empty, ErrorBox, Field, Modal, Spinner, useAsync, when } from '../ui';

function AttachForm({ onAttached }: { onAttached: (name: string) => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<SourceType>('sqlite');
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState<'' | 'test' | 'attach'>('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [error, setError] = useState<unknown>();
  const [options, setOptions] = useState('');
  const takesOptions = type === 'file' || type === 'http';
  const parsed = parseReaderOptions(options);
  const errors: Record<string, string> = checkAttach(name, type, values);
  if (takesOptions && parsed.error) errors.options = parsed.error;
  const fields = SOURCE_FIELDS[type];

  const body = () => {
    const config: Record<string, unknown> = {};
    let password: string | undefined;
    for (const f of fields) {
      const v = (values[f.key] ?? '').trim();
      if (!v) continue;
      if (f.secret) password = v;
      else config[f.key] = v;
    }
    if (takesOptions && Object.keys(parsed.options).length) config.options = parsed.options;
    return { name, type, config, password };
  };

  const test = async () => {
    setTouched(true);
    const { name: _n, ...rest } = errors;
    if (Object.keys(rest).length) return;
    setBusy('test');
    setResult(null);
    setError(undefined);
    try {
      const r = await post('/source/test', body());
      setResult(r.ok ? { ok: true, text: `Connected: ${r.tables.length} table${r.tables.length === 1 ? '' : 's'} (${r.tables.slice(0, 8).join(', ')}${r.tables.length > 8 ? ', …' : ''})` } : { ok: false, text: r.message });
    } catch (e) {
      setError(e);
    }
    setBusy('');
  };

  const attach = async () => {
    setTouched(true);
    if (Object.keys(errors).length) return;
    setBusy('attach');
    setError(undefined);
    try {
      await post('/source', body());
      onAttached(name);
    } catch (e) {
      setError(e);
    }
    setBusy('');
  };

  const field = (key: string, label: string, hint: string, secret = false) => (
    <Field label={label} error={touched && errors[key]}>
      <input
        type={secret ? 'password' : 'text'}
        placeholder={hint}
        value={key === 'name' ? name : values[key] ?? ''}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          if (key === 'name') setName(v);
          else setValues({ ...values, [key]: v });
        }}
        style={{ width: '100%' }}
      />
    </Field>
  );

  return (
    <div class="panel" style={{ maxWidth: '640px' }}>
      <h2>Attach a source</h2>
      <label>
        <span class="name">Type</span>
        <select value={type} onChange={(e) => { setType((e.target as HTMLSelectElement).value as SourceType); setResult(null); }}>
          <option value="sqlite">SQLite file</option>
          <option value="duckdb">DuckDB file</option>
          <option value="postgres">PostgreSQL</option>
          <option value="mysql">MySQL / MariaDB</option>
          <option value="file">CSV, Parquet or JSON files</option>
          <option value="http">A file over HTTP</option>
        </select>
      </label>
      {field('name', 'Name (its schema in the warehouse)', 'shop')}
      {fields.map((f) => field(f.key, f.label, f.hint, f.secret))}
      {takesOptions && (
        <>
          <Field label="Reader options (one NAME=VALUE per line; checked by the server)" error={touched && errors.options}>
            <textarea
              rows={3}
              placeholder={'header=true\ndelim=;\nignore_errors=true'}
              value={options}
              onInput={(e) => setOptions((e.target as HTMLTextAreaElement).value)}
              style={{ width: '100%', fontFamily: 'var(--mono, monospace)' }}
            />
          </Field>
          <div class="muted">For example: header, delim, dateformat, timestampformat, ignore_errors, union_by_name, compression, columns={'{"id": "INTEGER"}'}</div>
        </>
      )}
      {result && <div class={result.ok ? 'notice' : 'error'} role="status">{result.text}</div>}
      <ErrorBox error={error} />
      <div class="row">
        <button onClick={test} disabled={!!busy}>{busy === 'test' ? 'Testing…' : 'Test connection'}</button>
        <button class="primary" onClick={attach} disabled={!!busy}>{busy === 'attach' ? 'Attaching…' : 'Attach'}</button>
      </div>
    </div>
  );
}

function CacheForm({ source, table, onClose, onDone }: { source: string; table: string; onClose: () => void; onDone: () => void }) {
  const [local, setLocal] = useState(`${source}_${table}`.replace(/[^A-Za-z0-9_]/g, '_'));
  const [where, setWhere] = useState('');
  const [ttl, setTtl] = useState('');
  const [touched, setTouched] = useState(false);
  const [state, setState] = useState<'' | 'running' | string>('');
  const [error, setError] = useState<unknown>();
  const bad = { local: checkName('table', local), ttl: checkDuration(ttl) };
  const start = async () => {
    setTouched(true);
    if (bad.local || bad.ttl) return;
    setState('running');
    setError(undefined);
    try {
      const job = await post('/source/cache?wait=600', { source, table, local, where: where || undefined, ttl: ttl || undefined });
      if (job.status === 'failed') throw new Error(job.error?.message ?? 'the copy failed');
      const copy = String(job.result?.table ?? local);
      setState(`Copied ${job.result?.rows ?? '?'} rows into ${copy.startsWith('cache.') ? copy : 'cache.' + copy}.`);
      onDone();
    } catch (e) {
      setError(e);
      setState('');
    }
  };
  return (
    <Modal title={`Cache ${source}.${table}`} onClose={onClose}>
      {state && state !== 'running' ? (
        <>
          <div class="notice">{state}</div>
          <div class="row end"><button onClick={onClose}>Close</button></div>
        </>
      ) : (
        <>
          <Field label="Name in schema cache" error={touched && bad.local}>
            <input value={local} onInput={(e) => setLocal((e.target as HTMLInputElement).value)} />
          </Field>
          <label>
            <span class="name">Filter (a condition the source runs, optional)</span>
            <input value={where} placeholder="created_at >= '2024-01-01'" onInput={(e) => setWhere((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
          </label>
          <Field label="Expires after (optional)" error={touched && bad.ttl}>
            <input value={ttl} placeholder="24h" onInput={(e) => setTtl((e.target as HTMLInputElement).value)} />
          </Field>
          <ErrorBox error={error} />
          {state === 'running' && <Spinner label="Copying…" />}
          <div class="row end">
            <button onClick={onClose}>Cancel</button>
            <button class="primary" onClick={start} disabled={state === 'running'}>Copy</button>
          </div>
        </>
      )}
    </Modal>
  );
}

function SourceDetail({ name, onChanged }: { name: string; onChanged: () => void }) {
  const tables = useAsync<any[]>(() => get(`/source/${encodeURIComponent(name)}/tables`), [name]);
  const [open, setOpen] = useState<string | null>(null);
  const [preview, setPreview] = useState<any>(null);
  const [previewError, setPreviewError] = useState<unknown>();
  const [caching, setCaching] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>();

  const show = async (table: string) => {
    setOpen(table);
    setPreview(null);
    setPreviewError(undefined);
    try {
      setPreview(await runSql(`select * from ${quoteIdent(name)}.${quoteIdent(table)} limit 100`, 100));
    } catch (e) {
      setPreviewError(e);
    }
  };
  const refresh = async () => {
    setError(undefined);
    try {
      const r = await post(`/source/${encodeURIComponent(name)}/refresh`);
      setMessage(`Refreshed: ${r.tables.length} tables${r.added.length ? `, new: ${r.added.join(', ')}` : ''}${r.dropped.length ? `, gone: ${r.dropped.join(', ')}` : ''}.`);
      tables.reload();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const detach = async () => {
    try {
      await del(`/source/${encodeURIComponent(name)}`);
      setConfirm(false);
      onChanged();
      navigate('/sources');
    } catch (e) {
      setError(e);
      setConfirm(false);
    }
  };
  return (
    <div>
      <div class="row">
        <h2 class="spacer">{name}</h2>
        <button onClick={refresh}>Refresh</button>
        <button class="danger" onClick={() => setConfirm(true)}>Detach</button>
      </div>
      {message && <div class="notice">{message}</div>}
      <ErrorBox error={error} />
      <ErrorBox error={tables.error} onRetry={tables.reload} />
      {tables.loading && !tables.data && <Spinner />}
      {tables.data?.length === 0 && <Empty>This source has no tables.</Empty>}
      {tables.data && tables.data.length > 0 && (
        <table class="simple">
          <thead><tr><th>table</th><th>columns</th><th></th></tr></thead>
          <tbody>
            {tables.data.map((t: any) => (
              <tr>
                <td><button class="link" onClick={() => show(t.table)}>{t.table}</button></td>
                <td class="mono muted">{t.schema}</td>
                <td class="row">
                  <button class="small" onClick={() => show(t.table)}>Preview</button>
                  <button class="small" onClick={() => setCaching(t.table)}>Cache…</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <div style={{ marginTop: '0.75rem' }}>
          <h3>{name}.{open}</h3>
          <ErrorBox error={previewError} />
          {!preview && !previewError && <Spinner />}
          {preview && <Grid columns={preview.columns} rows={preview.rows} height={300} />}
        </div>
      )}
      {caching && <CacheForm source={name} table={caching} onClose={() => setCaching(null)} onDone={onChanged} />}
      {confirm && (
        <Modal title={`Detach ${name}?`} onClose={() => setConfirm(false)}>
          <p>Its views go; cached copies stay in schema cache.</p>
          <div class="row end">
            <button onClick={() => setConfirm(false)}>Keep it</button>
            <button class="danger" onClick={detach}>Detach</button>
          </div>
        </Modal>
      )}
    </div>
  );
}

function CachedTables({ version }: { version: number }) {
  const cached = useAsync<any[]>(() => get('/source/cache'), [version]);
  const [error, setError] = useState<unknown>();
  const act = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      cached.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div style={{ marginTop: '1rem' }}>
      <h2>Cached tables</h2>
      <ErrorBox error={cached.error ?? error} onRetry={cached.reload} />
      {cached.data?.length === 0 && <div class="muted">None yet: cache a source's table to query it locally.</div>}
      {cached.data && cached.data.length > 0 && (
        <table class="simple">
          <thead><tr><th>table</th><th>from</th><th>rows</th><th>copied</th><th>expires</th><th></th></tr></thead>
          <tbody>
            {cached.data.map((c: any) => {
              const local = String(c.table).replace(/^cache\./, '');
              return (
                <tr>
                  <td class="mono">{c.table}</td>
                  <td>{c.source}.{c.source_table}{c.filter ? <span class="muted"> where {c.filter}</span> : ''}</td>
                  <td>{c.rows}</td>
                  <td class="muted">{when(c.cached_at)}</td>
                  <td class="muted">{c.expires_at ? when(c.expires_at) + (c.expired ? ' (expired)' : '') : 'never'}</td>
                  <td class="row">
                    <button class="small" onClick={() => act(() => post(`/source/cache/${encodeURIComponent(local)}/refresh?wait=600`))}>Refresh</button>
                    <button class="small danger" onClick={() => act(() => del(`/source/cache/${encodeURIComponent(local)}`))}>Drop</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function SourcesScreen({ route }: { route: string[] }) {
  const selected = route[0] ?? null;
  const sources = useAsync<any[]>(() => get('/source'), []);
  const [version, setVersion] = useState(0);
  const changed = () => {
    sources.reload();
    setVersion((v) => v + 1);
  };
  return (
    <div class="split">
      <div class="list">
        <div class="row">
          <h1 class="spacer">Sources</h1>
          <button onClick={() => navigate('/sources')}>Attach…</button>
        </div>
        <ErrorBox error={sources.error} onRetry={sources.reload} />
        {sources.loading && !sources.data && <Spinner />}
        <ul class="list-items" aria-label="Sources">
          {(sources.data ?? []).map((s: any) => (
            <li>
              <a class={s.name === selected ? 'active' : ''} {...linkProps(`/sources/${encodeURIComponent(s.name)}`)}>
                {s.name} <span class="muted">{s.type}</span>{' '}
                <span class={`badge ${s.status === 'attached' ? 'ok' : s.status === 'error' ? 'error' : ''}`} title={s.error ?? ''}>{s.status}</span>
              </a>
            </li>
          ))}
        </ul>
        {sources.data?.length === 0 && <div class="muted">No source attached yet.</div>}
      </div>
      <div class="detail">
        {selected ? (
          <SourceDetail key={selected} name={selected} onChanged={changed} />
        ) : (
          <AttachForm onAttached={(name) => { changed(); navigate(`/sources/${encodeURIComponent(name)}`); }} />
        )}
        <CachedTables version={version} />
      </div>
    </div>
  );
}
