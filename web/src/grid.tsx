// grid.tsx - a results grid that stays smooth at any row count: only the rows in
// view (and a few around them) are in the page; the rest is empty height.

import { useMemo, useRef, useState } from 'preact/hooks';
import { ExactNumber } from './lib/json';

export interface Column {
  name: string;
  type: string;
}

const ROW = 26;
const OVERSCAN = 10;

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof ExactNumber) return v.text;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const numeric = (type: string) => /INT|DECIMAL|DOUBLE|FLOAT|REAL|NUMERIC|HUGEINT/i.test(type);

/** Column widths in px from the header and the first rows. */
export function columnWidths(columns: Column[], rows: unknown[][]): number[] {
  return columns.map((c, i) => {
    let chars = c.name.length;
    for (let r = 0; r < Math.min(rows.length, 200); r++) chars = Math.max(chars, cellText(rows[r][i]).length);
    return Math.min(360, Math.max(64, chars * 7.6 + 18));
  });
}

export interface GridSort {
  column: string;
  dir: 'asc' | 'desc';
}

/** Cells picked with a click (and Shift+click to stretch): rows r0..r1, columns c0..c1. */
interface Picked {
  r0: number;
  c0: number;
  r1: number;
  c1: number;
}

/** The picked cells as tab-separated lines (what Ctrl+C copies). */
export function pickedText(rows: unknown[][], p: Picked): string {
  const [ra, rb] = [Math.min(p.r0, p.r1), Math.max(p.r0, p.r1)];
  const [ca, cb] = [Math.min(p.c0, p.c1), Math.max(p.c0, p.c1)];
  const lines = [];
  for (let r = ra; r <= rb; r++) lines.push(rows[r].slice(ca, cb + 1).map(cellText).join('\t'));
  return lines.join('\n');
}

/**
 * The grid. With rowNumbers a first column counts the rows; with onSort a header
 * click asks for the result sorted by that column (the caller has DuckDB sort it).
 * Click a cell (Shift+click to stretch) and Ctrl/Cmd+C copies it; drag a header's
 * right edge to resize its column.
 */
export function Grid({
  columns,
  rows,
  height = 360,
  rowNumbers = false,
  sort,
  onSort,
  onSummary,
}: {
  columns: Column[];
  rows: unknown[][];
  height?: number;
  rowNumbers?: boolean;
  sort?: GridSort | null;
  onSort?: (s: GridSort) => void;
  /** a column header's "summary" button asks for this */
  onSummary?: (column: string) => void;
}) {
  const [top, setTop] = useState(0);
  const [picked, setPicked] = useState<Picked | null>(null);
  const [resized, setResized] = useState<Record<number, number>>({});
  const ref = useRef<HTMLDivElement>(null);
  const measured = useMemo(() => columnWidths(columns, rows), [columns, rows]);
  const widths = measured.map((w, i) => resized[i] ?? w);
  const numW = rowNumbers ? Math.max(40, String(rows.length).length * 7.6 + 18) : 0;
  const total = numW + widths.reduce((a, b) => a + b, 0);
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const inPick = (r: number, c: number) =>
    !!picked && r >= Math.min(picked.r0, picked.r1) && r <= Math.max(picked.r0, picked.r1) && c >= Math.min(picked.c0, picked.c1) && c <= Math.max(picked.c0, picked.c1);
  const pick = (e: MouseEvent, r: number, c: number) =>
    setPicked((p) => (e.shiftKey && p ? { ...p, r1: r, c1: c } : { r0: r, c0: c, r1: r, c1: c }));
  const copy = async (e: KeyboardEvent) => {
    if (!picked || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'c') return;
    e.preventDefault();
    const text = pickedText(rows, picked);
    ref.current?.setAttribute('data-copied', text); /* what was copied, for a look (and tests) */
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      /* no clipboard here: nothing to copy into */
    }
  };
  const resize = (e: PointerEvent, i: number) => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX, w0 = widths[i];
    const moveTo = (ev: PointerEvent) => setResized((r) => ({ ...r, [i]: Math.max(40, w0 + ev.clientX - x0) }));
    const end = () => {
      window.removeEventListener('pointermove', moveTo);
      window.removeEventListener('pointerup', end);
    };
    window.addEventListener('pointermove', moveTo);
    window.addEventListener('pointerup', end);
  };
  const visible = [];
  for (let r = first; r < last; r++) {
    const row = rows[r];
    visible.push(
      <div class="r" role="row" aria-rowindex={r + 2} key={r} style={{ top: ROW * (r + 1), width: total }}>
        {rowNumbers && <div class="c num rownum" role="rowheader" style={{ width: numW }}>{r + 1}</div>}
        {columns.map((c, i) => {
          const v = row[i];
          const cls = `c${numeric(c.type) ? ' num' : ''}${v === null || v === undefined ? ' null' : ''}${inPick(r, i) ? ' picked' : ''}`;
          return (
            <div class={cls} role="gridcell" aria-selected={inPick(r, i)} style={{ width: widths[i] }} title={cellText(v)} onClick={(e) => pick(e, r, i)}>
              {cellText(v)}
            </div>
          );
        })}
      </div>,
    );
  }
  return (
    <div
      class="grid"
      role="grid"
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-multiselectable="true"
      tabIndex={0}
      ref={ref}
      style={{ height: Math.min(height, ROW * (rows.length + 1) + 2) }}
      onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={copy}
    >
      <div style={{ height: ROW * (rows.length + 1), width: total, position: 'relative' }}>
        <div class="head" role="row" aria-rowindex={1} style={{ width: total }}>
          {rowNumbers && <div class="c num rownum" role="columnheader" style={{ width: numW }}>#</div>}
          {columns.map((c, i) => {
            const dir = sort?.column === c.name ? sort.dir : null;
            return (
              <div
                class="c"
                role="columnheader"
                aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
                style={{ width: widths[i] }}
                title={`${c.name} ${c.type}`}
              >
                {onSort ? (
                  <button class="sort" onClick={() => onSort({ column: c.name, dir: dir === 'asc' ? 'desc' : 'asc' })} aria-label={`sort by ${c.name}`}>
                    {c.name} {dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : ''}
                  </button>
                ) : (
                  c.name
                )}
                {onSummary && (
                  <button class="summary" aria-label={`summary of ${c.name}`} title="type, nulls, distinct values, min, max, mean" onClick={() => onSummary(c.name)}>
                    Σ
                  </button>
                )}
                <span class="resizer" aria-hidden="true" onPointerDown={(e) => resize(e, i)} />
              </div>
            );
          })}
        </div>
        {visible}
      </div>
    </div>
  );
}
