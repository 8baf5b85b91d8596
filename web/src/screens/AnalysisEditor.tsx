// AnalysisEditor.tsx - create or change an analysis without the CLI: its id, SQL (with
// completion of tables, columns and ref() of the project's analyses), materialization,
// parameters, tags and freshness. The SQL as it will run (compiled by the server from
// the unsaved draft) is shown as you type; saving goes through the same checks as the
// CLI (it must compile with the rest of the project).

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { patch, post } from '../api';
import { SqlEditor } from '../editor';
import { checkName } from '../lib/validate';
import { MATERIALIZATIONS, PARAM_TYPES, draftFields, draftOf, draftProblem, type Draft, type ParamRow } from '../lib/analysisdraft';
import { ErrorBox, Field, useAsync } from '../ui';
import { loadFunctions, loadSchema } from './Sql';

/** The server's compiled SQL of the draft, asked again a pause after each change. */
function useCompiled(d: Draft, isNew: boolean) {
  const [state, setState] = useState<{ sql?: string; error?: unknown; pending: boolean }>({ pending: false });
  const seq = useRef(0);
  const key = JSON.stringify([d.id, draftFields(d)]);
  useEffect(() => {
    const problem = draftProblem(d, isNew);
    if (problem || !d.id) {
      setState({ pending: false });
      return;
    }
    const mine = ++seq.current;
    setState((s) => ({ ...s, pending: true }));
    const t = setTimeout(() => {
      post(`/asset/analysis/${encodeURIComponent(d.id)}/compile`, draftFields(d)).then(
        (plan: any) => {
          if (mine !== seq.current) return;
          const step = plan.steps.find((s: any) => s.id === d.id);
          setState({ sql: step?.param_error ? `${step.sql}\n-- ${step.param_error}` : step?.sql, pending: false });
        },
        (error) => mine === seq.current && setState({ error, pending: false }),
      );
    }, 400);
    return () => clearTimeout(t);
  }, [key]);
  return state;
}

export function AnalysisEditor({ analysis, initialSql, others, onSaved, onCancel }: {
  /** the saved analysis to change, or null for a new one */
  analysis: any | null;
  initialSql?: string;
  /** the project's other analyses, for ref() completion */
  others: string[];
  onSaved: (id: string) => void;
  onCancel: () => void;
}) {
  const isNew = !analysis;
  const [d, setD] = useState<Draft>(() => draftOf(analysis, initialSql));
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const schema = useAsync(loadSchema, []);
  const functions = useAsync(loadFunctions, []);
  const compiled = useCompiled(d, isNew);
  const refs = useMemo(() => others.filter((o) => o !== d.id), [others, d.id]);
  const paramNames = d.params.map((p) => p.name.trim()).filter(Boolean).join(',');
  const params = useMemo(() => (paramNames ? paramNames.split(',') : []), [paramNames]);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const setParam = (i: number, p: Partial<ParamRow>) => setD((x) => ({ ...x, params: x.params.map((q, j) => (j === i ? { ...q, ...p } : q)) }));
  const problem = draftProblem(d, isNew);
  const save = async () => {
    setTouched(true);
    if (problem) return;
    setError(undefined);
    setSaving(true);
    try {
      if (isNew) await post('/asset/analysis', { id: d.id, ...draftFields(d) });
      else await patch(`/asset/analysis/${encodeURIComponent(d.id)}`, draftFields(d));
      onSaved(d.id);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  const input = (k: 'name' | 'description' | 'unique_key' | 'path', placeholder = '') => (
    <input value={d[k]} placeholder={placeholder} onInput={(e) => set(k, (e.target as HTMLInputElement).value)} />
  );
  return (
    <form class="analysis-editor" aria-label={isNew ? 'New analysis' : `Edit ${d.id}`} onSubmit={(e) => { e.preventDefault(); save(); }}>
      <h2>{isNew ? 'New analysis' : `Edit ${d.id}`}</h2>
      <div class="form-grid">
        {isNew && (
          <Field label="Analysis name" error={touched && checkName('analysis', d.id)}>
            <input value={d.id} placeholder="daily_revenue" onInput={(e) => set('id', (e.target as HTMLInputElement).value)} />
          </Field>
        )}
        <Field label="Title">{input('name', 'shown instead of the name')}</Field>
        <Field label="Description">{input('description', 'what it answers')}</Field>
        <Field label="Materialization">
          <select value={d.materialize} onChange={(e) => set('materialize', (e.target as HTMLSelectElement).value)}>
            {MATERIALIZATIONS.map((m) => <option value={m}>{m}</option>)}
          </select>
        </Field>
        {d.materialize === 'incremental' && <Field label="Key columns">{input('unique_key', 'id or a, b')}</Field>}
        {d.materialize === 'parquet' && <Field label="Parquet file">{input('path', 'out/daily.parquet')}</Field>}
        <Field label="Tags">
          <input value={d.tags} placeholder="finance, daily" onInput={(e) => set('tags', (e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" checked={d.assumeFresh} onChange={(e) => set('assumeFresh', (e.target as HTMLInputElement).checked)} />
        Assume fresh: a change upstream does not make it stale (it runs when asked)
      </label>
      <div class="muted">SQL: <code>{"{{ ref('other') }}"}</code> reads another analysis, <code>:name</code> a parameter. Ctrl+Enter saves.</div>
      <SqlEditor
        initial={d.sql}
        label="Analysis SQL"
        schema={schema.data ?? {}}
        functions={functions.data ?? []}
        refs={refs}
        params={params}
        ready={!schema.loading && !functions.loading}
        onChange={(v) => set('sql', v)}
        onRun={(text) => { set('sql', text); save(); }}
      />
      <h3>Parameters</h3>
      {d.params.length === 0 && <div class="muted">None: add one to use <code>:name</code> in the SQL.</div>}
      {d.params.map((p, i) => (
        <div class="row param-row">
          <input aria-label={`parameter ${i + 1} name`} placeholder="name" value={p.name} onInput={(e) => setParam(i, { name: (e.target as HTMLInputElement).value })} />
          <select aria-label={`parameter ${i + 1} type`} value={p.type} onChange={(e) => setParam(i, { type: (e.target as HTMLSelectElement).value })}>
            {PARAM_TYPES.map((t) => <option value={t}>{t}</option>)}
          </select>
          <input aria-label={`parameter ${i + 1} default`} placeholder="default (none: required)" value={p.default} onInput={(e) => setParam(i, { default: (e.target as HTMLInputElement).value })} />
          <button type="button" onClick={() => setD((x) => ({ ...x, params: x.params.filter((_, j) => j !== i) }))}>Remove</button>
        </div>
      ))}
      <button type="button" onClick={() => setD((x) => ({ ...x, params: [...x.params, { name: '', type: 'string', default: '' }] }))}>Add parameter</button>
      <h3>Compiled SQL</h3>
      <div aria-live="polite">
        {problem ? (
          <div class="muted">{touched ? '' : problem}</div>
        ) : compiled.error ? (
          <ErrorBox error={compiled.error} />
        ) : (
          <pre class="compiled" aria-label="compiled SQL" aria-busy={compiled.pending}>{compiled.sql ?? '…'}</pre>
        )}
      </div>
      {touched && problem && <div class="field-error" role="alert">{problem}</div>}
      <ErrorBox error={error} />
      <div class="row end">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button class="primary" type="submit" disabled={saving}>{isNew ? 'Create' : 'Save'}</button>
      </div>
    </form>
  );
}
