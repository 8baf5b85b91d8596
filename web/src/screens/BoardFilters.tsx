// BoardFilters.tsx - a board's filter bar: a date range (the items' queries read it as
// :NAME_from and :NAME_to) or a value picked from a column's values (:NAME). A change
// is saved with the board and its items' results are taken again with the new values.

import { useState } from 'preact/hooks';
import { quoteIdent, runSql } from '../lib/sql';
import { checkName } from '../lib/validate';
import { ErrorBox, Field, Modal, useAsync } from '../ui';

export interface Filter {
  name: string;
  type: 'date_range' | 'value';
  label?: string;
  from?: string;
  to?: string;
  table?: string;
  column?: string;
  value?: string | null;
}

/** The parameters a filter gives the items' queries. */
export function filterParams(f: Filter): string[] {
  return f.type === 'date_range' ? [`:${f.name}_from`, `:${f.name}_to`] : [`:${f.name}`];
}

/** "main.orders" or "orders" as a quoted name. */
function quoteTable(t: string): string {
  return t.split('.').map(quoteIdent).join('.');
}

function ValuePicker({ f, onPick }: { f: Filter; onPick: (v: string | null) => void }) {
  const values = useAsync(
    () => runSql(`select distinct ${quoteIdent(f.column!)}::varchar from ${quoteTable(f.table!)} where ${quoteIdent(f.column!)} is not null order by 1 limit 500`, 500),
    [f.table, f.column],
  );
  return (
    <>
      <select value={f.value ?? ''} onChange={(e) => onPick((e.target as HTMLSelectElement).value || null)} aria-invalid={!!values.error}>
        <option value="">all</option>
        {f.value && !values.data && <option value={f.value}>{f.value}</option>}
        {(values.data?.rows ?? []).map(([v]) => <option value={String(v)}>{String(v)}</option>)}
      </select>
      {values.error && <span class="field-error">{values.error.message}</span>}
    </>
  );
}

function AddFilter({ taken, onAdd, onClose }: { taken: string[]; onAdd: (f: Filter) => Promise<void>; onClose: () => void }) {
  const [f, setF] = useState<Filter>({ name: '', type: 'date_range', label: '' });
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>();
  const set = (p: Partial<Filter>) => setF((x) => ({ ...x, ...p }));
  const nameProblem = checkName('filter', f.name) ?? (taken.includes(f.name) ? `the board has a filter ${f.name} already` : null);
  const problem =
    nameProblem ??
    (f.type === 'value' && !f.table?.trim() ? 'name the table its values come from' : null) ??
    (f.type === 'value' && !f.column?.trim() ? 'name the column its values come from' : null);
  const add = async () => {
    setTouched(true);
    if (problem) return;
    setError(undefined);
    try {
      await onAdd({ ...f, label: f.label?.trim() || undefined, table: f.table?.trim(), column: f.column?.trim() });
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  const text = (k: 'name' | 'label' | 'table' | 'column', placeholder: string) => (
    <input value={f[k] ?? ''} placeholder={placeholder} onInput={(e) => set({ [k]: (e.target as HTMLInputElement).value })} />
  );
  return (
    <Modal title="Add a filter" onClose={onClose}>
      <Field label="Kind">
        <select value={f.type} onChange={(e) => set({ type: (e.target as HTMLSelectElement).value as Filter['type'] })}>
          <option value="date_range">date range</option>
          <option value="value">a value of a column</option>
        </select>
      </Field>
      <Field label="Filter name" error={touched && nameProblem}>{text('name', 'period')}</Field>
      <Field label="Label">{text('label', 'shown on the bar (default: the name)')}</Field>
      {f.type === 'value' && (
        <>
          <Field label="Table">{text('table', 'main.orders')}</Field>
          <Field label="Column">{text('column', 'status')}</Field>
        </>
      )}
      {f.name && !checkName('filter', f.name) && (
        <p class="muted">
          The items' queries use it as {filterParams(f).map((p, i) => <>{i ? ' and ' : ''}<code>{p}</code></>)}
          {f.type === 'date_range' ? ', e.g. where day between ' + filterParams(f).join(' and ') : `, e.g. where (:${f.name} is null or ${f.column || 'status'} = :${f.name})`}.
        </p>
      )}
      {touched && problem && problem !== nameProblem && <div class="field-error" role="alert">{problem}</div>}
      <ErrorBox error={error} />
      <div class="row end">
        <button onClick={onClose}>Cancel</button>
        <button class="primary" onClick={add}>Add</button>
      </div>
    </Modal>
  );
}

/** The bar: each filter's control; save(filters) stores them and takes the items' results again. */
export function FilterBar({ filters, save }: { filters: Filter[]; save: (filters: Filter[]) => Promise<void> }) {
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<unknown>();
  const change = async (i: number, p: Partial<Filter>) => {
    setError(undefined);
    try {
      await save(filters.map((f, j) => (j === i ? { ...f, ...p } : f)));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="filter-bar" role="group" aria-label="filters">
      {filters.map((f, i) => (
        <div class="filter">
          <span class="name">{f.label || f.name}</span>
          {f.type === 'date_range' ? (
            <>
              <input type="date" aria-label={`${f.label || f.name} from`} value={f.from ?? ''} onChange={(e) => change(i, { from: (e.target as HTMLInputElement).value })} />
              <span aria-hidden="true">–</span>
              <input type="date" aria-label={`${f.label || f.name} to`} value={f.to ?? ''} onChange={(e) => change(i, { to: (e.target as HTMLInputElement).value })} />
            </>
          ) : (
            <ValuePicker f={f} onPick={(v) => change(i, { value: v })} />
          )}
          <button class="link" data-no-export aria-label={`remove filter ${f.label || f.name}`} onClick={() => save(filters.filter((_, j) => j !== i)).catch(setError)}>✕</button>
        </div>
      ))}
      <button data-no-export onClick={() => setAdding(true)}>Add filter</button>
      <ErrorBox error={error} />
      {adding && <AddFilter taken={filters.map((f) => f.name)} onAdd={(f) => save([...filters, f])} onClose={() => setAdding(false)} />}
    </div>
  );
}
