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

export function Grid({ columns, rows, height = 360 }: { columns: Column[]; rows: unknown[][]; height?: number }) {
  const [top, setTop] = useState(0);
  const ref = useRef<HTMLDivElement>(null);
  const widths = useMemo(() => columnWidths(columns, rows), [columns, rows]);
  const total = widths.reduce((a, b) => a + b, 0);
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const visible = [];
  for (let r = first; r < last; r++) {
    const row = rows[r];
    visible.push(
      <div class="r" role="row" aria-rowindex={r + 2} key={r} style={{ top: ROW * (r + 1), width: total }}>
        {columns.map((c, i) => {
          const v = row[i];
          const cls = `c${numeric(c.type) ? ' num' : ''}${v === null || v === undefined ? ' null' : ''}`;
          return (
            <div class={cls} role="gridcell" style={{ width: widths[i] }} title={cellText(v)}>
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
      tabIndex={0}
      ref={ref}
      style={{ height: Math.min(height, ROW * (rows.length + 1) + 2) }}
      onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)}
    >
      <div style={{ height: ROW * (rows.length + 1), width: total, position: 'relative' }}>
        <div class="head" role="row" aria-rowindex={1} style={{ width: total }}>
          {columns.map((c, i) => (
            <div class="c" role="columnheader" style={{ width: widths[i] }} title={`${c.name} ${c.type}`}>
              {c.name}
            </div>
          ))}
        </div>
        {visible}
      </div>
    </div>
  );
}
