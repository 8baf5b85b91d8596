// actions.tsx - what can be done with any answer or query: keep it as an analysis,
// or put it on a board (as a table or a chart).

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import type { ChartSpec } from '../lib/chartdata';
import { checkName } from '../lib/validate';
import { linkProps } from '../router';
import { ErrorBox, Modal, useAsync, Field } from '../ui';

/** What a dialog says when its work is done, with a link to the result, and Close. */
function Done({ onClose, children }: { onClose: () => void; children: ComponentChildren }) {
  return (
    <>
      <p>{children}</p>
      <div class="row end"><button onClick={onClose}>Close</button></div>
    </>
  );
}

export function SaveAnalysis({ sql, description, onClose }: { sql: string; description?: string; onClose: () => void }) {
  const [id, setId] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const invalid = checkName('analysis', id);
  const save = async () => {
    setTouched(true);
    if (invalid) return;
    setError(undefined);
    try {
      await post('/asset/analysis', { id, sql, description });
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal title="Save as analysis" onClose={onClose}>
      {saved ? (
        <Done onClose={onClose}>
          Saved as <a {...linkProps(`/analyses/${id}`)}>{id}</a>.
        </Done>
      ) : (
        <>
          <Field label="Analysis name" error={touched && invalid}>
            <input value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && save()} />
          </Field>
          <pre>{sql}</pre>
          <ErrorBox error={error} />
          <div class="row end">
            <button onClick={onClose}>Cancel</button>
            <button class="primary" onClick={save}>Save</button>
          </div>
        </>
      )}
    </Modal>
  );
}

export function AddToBoard({ sql, title, chart, onClose }: { sql: string; title?: string; chart?: ChartSpec; onClose: () => void }) {
  const boards = useAsync<any>(() => get('/boards'), []);
  const [board, setBoard] = useState('');
  const [newName, setNewName] = useState('');
  const [kind, setKind] = useState<'table' | 'chart'>(chart ? 'chart' : 'table');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const list: any[] = boards.data?.rows ?? boards.data ?? [];
  const add = async () => {
    setError(undefined);
    try {
      let target = board;
      if (!target) {
        const bad = checkName('board', newName);
        if (bad) throw new Error(bad);
        await post('/boards', { name: newName });
        target = newName;
      }
      const item: any = { type: kind, title: title?.slice(0, 120), payload: { sql } };
      if (kind === 'chart' && chart) item.render = { kind: chart.kind, x: chart.x, y: chart.y };
      await post(`/boards/${encodeURIComponent(target)}/items`, item);
      setDone(target);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal title="Add to board" onClose={onClose}>
      {done ? (
        <Done onClose={onClose}>
          Added to <a {...linkProps(`/boards/${encodeURIComponent(done)}`)}>{done}</a>.
        </Done>
      ) : (
        <>
          <ErrorBox error={boards.error} />
          <label>
            <span class="name">Board</span>
            <select value={board} onChange={(e) => setBoard((e.target as HTMLSelectElement).value)}>
              <option value="">a new board…</option>
              {list.map((b: any) => (
                <option value={b.name}>{b.name}</option>
              ))}
            </select>
          </label>
          {!board && (
            <label>
              <span class="name">New board's name</span>
              <input value={newName} onInput={(e) => setNewName((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <label>
            <span class="name">Show as</span>
            <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'table' | 'chart')}>
              <option value="table">table</option>
              {chart && <option value="chart">{chart.kind} chart</option>}
            </select>
          </label>
          <ErrorBox error={error} />
          <div class="row end">
            <button onClick={onClose}>Cancel</button>
            <button class="primary" onClick={add}>Add</button>
          </div>
        </>
      )}
    </Modal>
  );
}
