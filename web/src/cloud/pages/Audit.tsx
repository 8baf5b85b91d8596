// Audit.tsx - the workspace's audit trail (owners): who did what, when, from where,
// filtered by actor, action (or a prefix such as "member."), target and time, and
// exported as JSON lines.

import { useState } from 'preact/hooks';
import { saveBlob } from '../../api';
import { Empty, ErrorBox, Spinner, useAsync, when } from '../../ui';
import { get } from '../api';
import { Head } from '../parts';
import type { PageProps } from '../roles';

interface Entry {
  id: number;
  at: string;
  actor_email: string | null;
  actor_kind: string;
  role: string | null;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  address: string | null;
  details: Record<string, unknown> | null;
}

const FIELDS = ['actor', 'action', 'target', 'since', 'until'] as const;
type Filters = Partial<Record<(typeof FIELDS)[number], string>>;

/** The query string of the filters that are set (times as RFC 3339). */
export function auditQuery(f: Filters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const k of FIELDS) {
    const v = f[k]?.trim();
    if (!v) continue;
    q.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function AuditPage({ ws }: PageProps) {
  const [form, setForm] = useState<Filters>({});
  const [applied, setApplied] = useState<Filters>({});
  const list = useAsync(() => get<Entry[]>(`/workspaces/${ws.id}/audit${auditQuery(applied, { limit: '500' })}`), [ws.id, JSON.stringify(applied)]);
  const [error, setError] = useState<unknown>();
  const exportLines = async () => {
    try {
      const lines = await get<Entry[]>(`/workspaces/${ws.id}/audit${auditQuery(applied, { limit: '10000' })}`);
      saveBlob(new Blob([lines.map((l) => JSON.stringify(l)).join('\n') + '\n'], { type: 'application/x-ndjson' }), `audit-${ws.name}.jsonl`);
    } catch (e) {
      setError(e);
    }
  };
  const input = (k: keyof Filters, label: string, type = 'text', placeholder = '') => (
    <label>
      <span class="name">{label}</span>
      <input type={type} value={form[k] ?? ''} placeholder={placeholder} onInput={(e) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  return (
    <div>
      <h1>Audit log</h1>
      <form
        class="row filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(form);
        }}
      >
        {input('actor', 'Actor', 'text', 'email or id')}
        {input('action', 'Action', 'text', 'member. or auth.login')}
        {input('target', 'Target id')}
        {input('since', 'Since', 'datetime-local')}
        {input('until', 'Until', 'datetime-local')}
        <button class="primary" type="submit">
          Filter
        </button>
        <button type="button" onClick={exportLines}>
          Export JSON lines
        </button>
      </form>
      <ErrorBox error={list.error ?? error} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.length === 0 && <Empty>Nothing matches these filters.</Empty>}
      {!!list.data?.length && (
        <table class="simple audit">
          <Head cols={['When', 'Who', 'Action', 'Target', 'From', 'Details']} />
          <tbody>
            {list.data.map((e) => (
              <tr key={e.id}>
                <td class="nowrap">{when(e.at)}</td>
                <td>
                  {e.actor_email ?? e.actor_kind}
                  {e.role && <span class="muted"> ({e.role})</span>}
                </td>
                <td class="mono">{e.action}</td>
                <td class="mono small">{e.target_kind ? `${e.target_kind} ${e.target_id ?? ''}` : ''}</td>
                <td class="mono">{e.address}</td>
                <td class="mono small">{e.details ? JSON.stringify(e.details) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
