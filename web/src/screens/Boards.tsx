// Boards.tsx - boards: create, rename, delete; a board's items on a 12-column grid,
// moved by dragging their title bar and resized by their corner (or with the arrow
// keys, Shift for size); markdown notes, tables, charts, metrics and analysis embeds;
// a filter bar whose values the items' queries read as :NAME; an item's query edited in
// place; refresh; export to a self-contained HTML report, a PNG (the board or one
// chart) or, through the browser's print, a PDF.

import { ExactNumber } from '../lib/json';
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, download, get, patch, post, saveBlob } from '../api';
import { Chart } from '../chart';
import { Grid } from '../grid';
import type { ChartSpec } from '../lib/chartdata';
import { settle, type Pos } from '../lib/boardlayout';
import { checkName } from '../lib/validate';
import { linkProps, navigate } from '../router';
import { elementPng } from '../lib/png';
import { Empty, ErrorBox, Modal, Spinner, useAsync, when } from '../ui';
import { FilterBar, type Filter } from './BoardFilters';

interface Item {
  id: string;
  type: 'markdown' | 'table' | 'chart' | 'metric' | 'analysis';
  title?: string | null;
  position: Pos;
  payload: any;
  render?: any;
  snapshot?: any;
  snapshot_at?: string;
  html?: string; /* a note's Markdown, rendered by the server */
}

/** One edit of a board, and how to take it back and do it again. */
interface Edit {
  what: string;
  undo: () => Promise<void>;
  redo: () => Promise<void>;
}

const COLS = 12;
const ROW_H = 70;
const GAP = 10;

/** A position kept on the grid: inside the 12 columns, at least 1x1. */
export function clampPos(p: Pos): Pos {
  const w = Math.max(1, Math.min(COLS, Math.round(p.w)));
  const h = Math.max(1, Math.min(40, Math.round(p.h)));
  return { x: Math.max(0, Math.min(COLS - w, Math.round(p.x))), y: Math.max(0, Math.round(p.y)), w, h };
}

/**
 * A note, as the server renders its Markdown for the export too (one renderer:
 * every character escaped, links only to http(s), mailto or relative addresses).
 */
function Note({ item }: { item: Item }) {
  if (item.html === undefined) return <div class="note">{item.payload?.text ?? ''}</div>;
  return <div class="note" dangerouslySetInnerHTML={{ __html: item.html }} />;
}

function Metric({ item }: { item: Item }) {
  const s = item.snapshot;
  if (!s?.rows?.length) return <div class="muted">no value</div>;
  const col = item.render?.column ? s.columns.findIndex((c: any) => c.name === item.render.column) : 0;
  const v = s.rows[0][Math.max(0, col)];
  const n = typeof v === 'number' ? v : Number(v);
  const decimals = item.render?.decimals;
  // an exact number keeps its digits unless the item asks for decimals
  const text = isNaN(n) ? String(v) : decimals !== undefined ? n.toFixed(decimals) : v instanceof ExactNumber ? v.text : n.toLocaleString();
  return (
    <div class="metric">
      {item.render?.prefix ?? ''}
      {text}
      {item.render?.suffix ?? ''}
      {item.render?.label && <div class="muted" style={{ fontSize: '0.9rem', fontWeight: 400 }}>{item.render.label}</div>}
    </div>
  );
}

function Body({ item }: { item: Item }) {
  if (item.type === 'markdown') return <Note item={item} />;
  if (item.type === 'metric') return <Metric item={item} />;
  const s = item.snapshot;
  if (!s?.columns) return <div class="muted">No result yet: refresh the board.</div>;
  if (item.type === 'chart' && item.render) {
    /* the server takes y as a column or a list of them (the CLI writes a list): the app draws the first */
    const y = Array.isArray(item.render.y) ? item.render.y[0] : item.render.y;
    const spec: ChartSpec = { kind: item.render.kind ?? 'bar', x: item.render.x, y, group: item.render.group };
    return <Chart columns={s.columns} rows={s.rows} spec={spec} />;
  }
  return <Grid columns={s.columns} rows={s.rows} height={Math.max(80, item.position.h * (ROW_H + GAP) - 60)} />;
}

/** An item's query edited in place: saved, it runs and the item shows its new result; a failure keeps the old. */
function QueryEdit({ item, onSave, onClose }: { item: Item; onSave: (sql: string) => Promise<void>; onClose: () => void }) {
  const [sql, setSql] = useState<string>(item.payload?.sql ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onSave(sql);
      onClose();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  return (
    <div class="query-edit">
      <textarea
        class="mono"
        rows={4}
        aria-label={`query of ${item.title || item.type}`}
        value={sql}
        onInput={(e) => setSql((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); save(); }
          else if (e.key === 'Escape') onClose();
        }}
      />
      <ErrorBox error={error} />
      <div class="row end">
        <button onClick={onClose}>Cancel</button>
        <button class="primary" onClick={save} disabled={busy}>{busy ? 'Running…' : 'Save and run'}</button>
      </div>
    </div>
  );
}

function BoardItem({ item, boardEl, onMove, onRemove, onQuery, onPng }: {
  item: Item;
  boardEl: () => HTMLElement | null;
  onMove: (p: Pos) => void;
  onRemove: () => void;
  onQuery: (sql: string) => Promise<void>;
  onPng: (el: HTMLElement) => void;
}) {
  const [drag, setDrag] = useState<Pos | null>(null);
  const [editing, setEditing] = useState(false);
  const self = useRef<HTMLElement>(null);
  const pos = drag ?? item.position;
  const hasSql = item.type === 'table' || item.type === 'chart' || item.type === 'metric';

  const start = (e: PointerEvent, mode: 'move' | 'resize') => {
    const board = boardEl();
    if (!board || (e.target as HTMLElement).closest('button')) return;
    e.preventDefault();
    const colW = (board.clientWidth + GAP) / COLS;
    const x0 = e.clientX, y0 = e.clientY, p0 = item.position;
    let last = p0;
    const moveTo = (ev: PointerEvent) => {
      const dx = (ev.clientX - x0) / colW, dy = (ev.clientY - y0) / (ROW_H + GAP);
      last = clampPos(mode === 'move' ? { ...p0, x: p0.x + dx, y: p0.y + dy } : { ...p0, w: p0.w + dx, h: p0.h + dy });
      setDrag(last);
    };
    const end = () => {
      window.removeEventListener('pointermove', moveTo);
      window.removeEventListener('pointerup', end);
      setDrag(null);
      if (last.x !== p0.x || last.y !== p0.y || last.w !== p0.w || last.h !== p0.h) onMove(last);
    };
    window.addEventListener('pointermove', moveTo);
    window.addEventListener('pointerup', end);
  };

  const key = (e: KeyboardEvent) => {
    const d: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const k = d[e.key];
    if (!k || e.target !== e.currentTarget) return;
    e.preventDefault();
    const p = item.position;
    onMove(clampPos(e.shiftKey ? { ...p, w: p.w + k[0], h: p.h + k[1] } : { ...p, x: p.x + k[0], y: p.y + k[1] }));
  };

  return (
    <section
      ref={self}
      class={`board-item${drag ? ' dragging' : ''}`}
      style={{ gridColumn: `${pos.x + 1} / span ${pos.w}`, gridRow: `${pos.y + 1} / span ${pos.h}` }}
      tabIndex={0}
      aria-label={`${item.type} ${item.title ?? ''} (arrow keys move it, Shift+arrows resize it)`}
      data-item={item.id}
      onKeyDown={key}
    >
      <div class="bar" onPointerDown={(e) => start(e, 'move')}>
        <h3>{item.title || (item.type === 'markdown' ? '' : item.type)}</h3>
        {item.type === 'chart' && (
          <button class="link" data-no-export aria-label={`${item.title || 'chart'} as PNG`} title="save as PNG" onClick={() => self.current && onPng(self.current)}>PNG</button>
        )}
        {hasSql && (
          <button class="link" data-no-export aria-label={`edit the query of ${item.title || item.type}`} title="edit the query" onClick={() => setEditing((v) => !v)}>✎</button>
        )}
        <button class="link" data-no-export aria-label={`remove ${item.title ?? item.type}`} onClick={onRemove}>✕</button>
      </div>
      {editing && <QueryEdit item={item} onSave={onQuery} onClose={() => setEditing(false)} />}
      <Body item={item} />
      <div class="resize" aria-hidden="true" data-no-export onPointerDown={(e) => start(e, 'resize')} />
    </section>
  );
}

function AddItem({ board, onClose, onAdded }: { board: string; onClose: () => void; onAdded: (item: Item) => void }) {
  const [type, setType] = useState<Item['type']>('table');
  const [title, setTitle] = useState('');
  const [sql, setSql] = useState('');
  const [text, setText] = useState('');
  const [analysis, setAnalysis] = useState('');
  const [kind, setKind] = useState<ChartSpec['kind']>('bar');
  const [x, setX] = useState('');
  const [y, setY] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const problem =
    type === 'markdown' ? (!text.trim() ? 'write the note' : null)
    : type === 'analysis' ? checkName('analysis', analysis)
    : !sql.trim() ? 'write the query (one SELECT)'
    : type === 'chart' && (!x.trim() || !y.trim()) ? 'name the columns for x and y'
    : null;
  const add = async () => {
    if (problem) return setError(problem);
    const item: any = { type, title: title || undefined };
    if (type === 'markdown') item.payload = { text };
    else if (type === 'analysis') item.payload = { analysis };
    else item.payload = { sql };
    if (type === 'chart') item.render = { kind, x, y };
    setBusy(true);
    setError(undefined);
    try {
      onAdded(await post(`/boards/${encodeURIComponent(board)}/items`, item));
      onClose();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  return (
    <Modal title="Add an item" onClose={onClose}>
      <label>
        <span class="name">Type</span>
        <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as Item['type'])}>
          <option value="table">table</option>
          <option value="chart">chart</option>
          <option value="metric">metric (one number)</option>
          <option value="markdown">note</option>
          <option value="analysis">analysis</option>
        </select>
      </label>
      <label>
        <span class="name">Title</span>
        <input value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
      </label>
      {type === 'markdown' ? (
        <label>
          <span class="name">Note (# headings, - lists)</span>
          <textarea rows={5} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </label>
      ) : type === 'analysis' ? (
        <label>
          <span class="name">Analysis name</span>
          <input value={analysis} onInput={(e) => setAnalysis((e.target as HTMLInputElement).value)} />
        </label>
      ) : (
        <label>
          <span class="name">Query</span>
          <textarea rows={4} class="mono" value={sql} placeholder="select status, count(*) as n from orders group by 1" onInput={(e) => setSql((e.target as HTMLTextAreaElement).value)} />
        </label>
      )}
      {type === 'chart' && (
        <div class="row">
          <label>
            <span class="name">Chart</span>
            <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as ChartSpec['kind'])}>
              {['bar', 'line', 'area', 'pie', 'scatter'].map((k) => <option value={k}>{k}</option>)}
            </select>
          </label>
          <label><span class="name">x column</span><input value={x} onInput={(e) => setX((e.target as HTMLInputElement).value)} /></label>
          <label><span class="name">y column</span><input value={y} onInput={(e) => setY((e.target as HTMLInputElement).value)} /></label>
        </div>
      )}
      <ErrorBox error={error} />
      <div class="row end">
        <button onClick={onClose}>Cancel</button>
        <button class="primary" onClick={add} disabled={busy}>{busy ? 'Adding…' : 'Add'}</button>
      </div>
    </Modal>
  );
}

function BoardView({ name, onChanged }: { name: string; onChanged: () => void }) {
  const board = useAsync<any>(() => get(`/boards/${encodeURIComponent(name)}`), [name]);
  const [items, setItems] = useState<Item[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<unknown>();
  const [message, setMessage] = useState('');
  const ref = useRef<HTMLDivElement>(null);
  const pageRef = useRef<HTMLDivElement>(null); /* title, filters and items: what Export PNG draws */
  const shown: Item[] = items ?? board.data?.items ?? [];

  const act = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e);
    }
  };
  const current = useRef<Item[]>(shown);
  current.current = shown;
  const itemsUrl = `/boards/${encodeURIComponent(name)}/items`;
  /* the edits made here, to undo (Ctrl+Z) and redo (Ctrl+Shift+Z) */
  const [past, setPast] = useState<Edit[]>([]);
  const [future, setFuture] = useState<Edit[]>([]);
  const record = (e: Edit) => {
    setPast((p) => [...p.slice(-99), e]);
    setFuture([]);
  };

  /* Put items where positions says (those that moved), here at once and then on the server. */
  const place = async (positions: Map<string, Pos>) => {
    const changed = current.current.filter((i) => {
      const p = positions.get(i.id);
      return p && (p.x !== i.position.x || p.y !== i.position.y || p.w !== i.position.w || p.h !== i.position.h);
    });
    setItems(current.current.map((i) => (positions.has(i.id) ? { ...i, position: positions.get(i.id)! } : i)));
    try {
      for (const i of changed) await patch(`${itemsUrl}/${i.id}`, { position: positions.get(i.id) });
    } catch (e) {
      setItems(null); /* back to what the server has */
      board.reload();
      throw e;
    }
  };
  const move = (item: Item, p: Pos) =>
    act(async () => {
      const before = new Map(current.current.map((i) => [i.id, i.position]));
      const after = settle(current.current, item.id, p);
      await place(after);
      record({ what: 'move', undo: () => place(before), redo: () => place(after) });
    });
  /* An item made again from what it was (for undoing its removal): its new id. */
  /* The board as the server has it now, and the list's item count. */
  const reloaded = () => {
    setItems(null);
    board.reload();
    onChanged();
  };
  const recreate = async (it: Item) => {
    const made = await post(itemsUrl, { type: it.type, title: it.title ?? undefined, position: it.position, payload: it.payload, render: it.render ?? undefined });
    reloaded();
    return made.id as string;
  };
  const drop = async (id: string) => {
    await del(`${itemsUrl}/${id}`);
    reloaded();
  };
  const remove = (item: Item) =>
    act(async () => {
      let id = item.id;
      await drop(id);
      setMessage(`Removed ${item.title || item.type}. Ctrl+Z brings it back.`);
      record({ what: 'remove', undo: async () => { id = await recreate({ ...item, id }); }, redo: () => drop(id) });
    });
  const added = (made: Item) => {
    reloaded();
    let id = made.id;
    record({ what: 'add', undo: () => drop(id), redo: async () => { id = await recreate({ ...made, id }); } });
  };
  /* Take back the newest edit (undo), or do again the newest taken back (redo). */
  const replay = (how: 'undo' | 'redo') =>
    act(async () => {
      const [from, setFrom, setTo] = how === 'undo' ? [past, setPast, setFuture] : [future, setFuture, setPast];
      const e = from[from.length - 1];
      if (!e) return;
      setFrom((s) => s.slice(0, -1));
      await e[how]();
      setTo((s) => [...s, e]);
      setMessage(`${how === 'undo' ? 'Undone' : 'Redone'}: ${e.what}.`);
    });
  const undo = () => replay('undo');
  const redo = () => replay('redo');
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z' || t.closest('input, textarea, select, [role="dialog"], .cm-editor')) return;
      e.preventDefault();
      if (e.shiftKey) void redo();
      else void undo();
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  });
  /* Take every item's result again; say which kept their old one. */
  const retake = async (done: string) => {
    const r = await post(`/boards/${encodeURIComponent(name)}/refresh`, {});
    const failed: any[] = r.refresh_errors ?? [];
    setMessage(failed.length ? `${done}; ${failed.length} item(s) kept their old result: ${failed.map((f) => `${f.title ?? f.item}: ${f.error}`).join('; ')}` : `${done}.`);
    setItems(null);
    board.reload();
  };
  const refresh = () => act(() => retake('Refreshed'));
  /* The filter bar's new filters or values: saved with the board, then every result taken with them. */
  const saveFilters = async (filters: Filter[]) => {
    await patch(`/boards/${encodeURIComponent(name)}`, { filters });
    await retake('Filtered');
  };
  /* An item's query changed in place (its result is taken by the server; a failure changes nothing). */
  const setQuery = async (item: Item, sql: string) => {
    const put = async (payload: any) => {
      await patch(`${itemsUrl}/${item.id}`, { payload });
      setItems(null);
      board.reload();
    };
    const before = item.payload, after = { ...item.payload, sql };
    await put(after);
    record({ what: 'query edit', undo: () => put(before), redo: () => put(after) });
  };
  const exportHtml = () => act(async () => saveBlob(await download(`/boards/${encodeURIComponent(name)}/export?format=html`), `${name}.html`));
  const png = (el: HTMLElement | null, file: string) => act(async () => el && saveBlob(await elementPng(el), file));
  const rename = () =>
    act(async () => {
      const bad = checkName('board', renaming ?? '');
      if (bad) throw new Error(bad);
      await patch(`/boards/${encodeURIComponent(name)}`, { name: renaming });
      setRenaming(null);
      onChanged();
      navigate(`/boards/${encodeURIComponent(renaming!)}`, true);
    });
  const removeBoard = () =>
    act(async () => {
      await del(`/boards/${encodeURIComponent(name)}`);
      onChanged();
      navigate('/boards');
    });

  if (board.error) return <ErrorBox error={board.error} onRetry={board.reload} />;
  if (!board.data) return <Spinner />;
  return (
    <div class="board-page" ref={pageRef}>
      <div class="row board-toolbar">
        <h2 class="spacer">{board.data.name}</h2>
        <button class="primary" onClick={() => setAdding(true)}>Add item</button>
        <button onClick={undo} disabled={!past.length} title="Ctrl+Z">Undo</button>
        <button onClick={redo} disabled={!future.length} title="Ctrl+Shift+Z">Redo</button>
        <button onClick={refresh}>Refresh</button>
        <button onClick={exportHtml}>Export HTML</button>
        <button onClick={() => png(pageRef.current, `${name}.png`)} disabled={!shown.length}>Export PNG</button>
        <button onClick={() => window.print()} title="the browser's print: choose Save as PDF">Print / PDF</button>
        <button onClick={() => setRenaming(board.data.name)}>Rename</button>
        <button class="danger" onClick={() => setConfirm(true)}>Delete</button>
      </div>
      {board.data.description && <p class="muted">{board.data.description}</p>}
      <FilterBar filters={board.data.filters ?? []} save={saveFilters} />
      {message && <div class="notice" role="status">{message}</div>}
      <ErrorBox error={error} />
      {shown.length === 0 ? (
        <Empty>An empty board: add a note, a table, a chart or a number, or add answers from the chat.</Empty>
      ) : (
        <div class="board" ref={ref}>
          {shown.map((item) => (
            <BoardItem
              key={item.id}
              item={item}
              boardEl={() => ref.current}
              onMove={(p) => move(item, p)}
              onRemove={() => remove(item)}
              onQuery={(sql) => setQuery(item, sql)}
              onPng={(el) => png(el, `${name}-${(item.title || 'chart').replace(/[^\w-]+/g, '_')}.png`)}
            />
          ))}
        </div>
      )}
      {adding && <AddItem board={name} onClose={() => setAdding(false)} onAdded={added} />}
      {renaming !== null && (
        <Modal title="Rename the board" onClose={() => setRenaming(null)}>
          <label>
            <span class="name">Name</span>
            <input value={renaming} onInput={(e) => setRenaming((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && rename()} />
          </label>
          <ErrorBox error={error} />
          <div class="row end">
            <button onClick={() => setRenaming(null)}>Cancel</button>
            <button class="primary" onClick={rename}>Rename</button>
          </div>
        </Modal>
      )}
      {confirm && (
        <Modal title={`Delete ${board.data.name}?`} onClose={() => setConfirm(false)}>
          <p>The board and its {shown.length} item(s) go.</p>
          <div class="row end">
            <button onClick={() => setConfirm(false)}>Keep it</button>
            <button class="danger" onClick={removeBoard}>Delete</button>
          </div>
        </Modal>
      )}
    </div>
  );
}

export function BoardsScreen({ route }: { route: string[] }) {
  const selected = route[0] ?? null;
  const boards = useAsync<any[]>(() => get('/boards'), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const create = async () => {
    const bad = checkName('board', name);
    if (bad) return setError(bad);
    setError(undefined);
    try {
      await post('/boards', { name });
      boards.reload();
      navigate(`/boards/${encodeURIComponent(name)}`);
      setName('');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="split">
      <div class="list">
        <h1>Boards</h1>
        <div class="row" style={{ flexWrap: 'nowrap' }}>
          <input placeholder="new board's name" aria-label="new board's name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && create()} style={{ minWidth: 0, flex: 1 }} />
          <button onClick={create}>Create</button>
        </div>
        <ErrorBox error={error} />
        <ErrorBox error={boards.error} onRetry={boards.reload} />
        {boards.loading && !boards.data && <Spinner />}
        <ul class="list-items" aria-label="Boards" style={{ marginTop: '0.5rem' }}>
          {(boards.data ?? []).map((b: any) => (
            <li>
              <a class={b.name === selected ? 'active' : ''} {...linkProps(`/boards/${encodeURIComponent(b.name)}`)} title={when(b.updated_at)}>
                {b.name} <span class="muted">{b.items ?? ''}</span>
              </a>
            </li>
          ))}
        </ul>
        {boards.data?.length === 0 && <div class="muted">No boards yet.</div>}
      </div>
      <div class="detail">
        {selected ? <BoardView key={selected} name={selected} onChanged={boards.reload} /> : <Empty>Pick a board, or create one.</Empty>}
      </div>
    </div>
  );
}
