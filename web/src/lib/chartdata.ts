// chartdata.ts - a result's rows shaped for a chart: categories along x and one
// series per value of the group-by column (or one series), values summed per
// category; scatter keeps the points.
import { ExactNumber } from './json';

export interface ChartSpec {
  kind: 'bar' | 'line' | 'area' | 'pie' | 'scatter';
  x: string;
  y: string;
  group?: string;
}

export interface Series {
  name: string;
  values: number[]; // per category (NaN: none)
}

export interface ChartData {
  categories: string[];
  series: Series[];
  points?: { x: number; y: number; series: string }[];
}

const MAX_SERIES = 12;

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof ExactNumber) return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v))) return Number(v);
  return NaN;
}

export function chartData(columns: { name: string }[], rows: unknown[][], spec: ChartSpec): ChartData {
  const xi = columns.findIndex((c) => c.name === spec.x);
  const yi = columns.findIndex((c) => c.name === spec.y);
  const gi = spec.group ? columns.findIndex((c) => c.name === spec.group) : -1;
  if (xi < 0 || yi < 0) throw new Error(`the result has no column ${xi < 0 ? spec.x : spec.y}`);
  if (spec.kind === 'scatter') {
    const points = rows
      .map((r) => ({ x: toNumber(r[xi]), y: toNumber(r[yi]), series: gi >= 0 ? String(r[gi]) : spec.y }))
      .filter((p) => !isNaN(p.x) && !isNaN(p.y));
    return { categories: [], series: [], points };
  }
  const categories: string[] = [];
  const catIndex = new Map<string, number>();
  const byName = new Map<string, Series>();
  const order: Series[] = [];
  for (const r of rows) {
    const cat = r[xi] === null ? 'NULL' : String(r[xi]);
    if (!catIndex.has(cat)) {
      catIndex.set(cat, categories.length);
      categories.push(cat);
    }
    const name = gi >= 0 ? String(r[gi]) : spec.y;
    let s = byName.get(name);
    if (!s) {
      if (order.length === MAX_SERIES) continue;
      s = { name, values: [] };
      byName.set(name, s);
      order.push(s);
    }
    const v = toNumber(r[yi]);
    const k = catIndex.get(cat)!;
    if (!isNaN(v)) s.values[k] = (isNaN(s.values[k] ?? NaN) ? 0 : s.values[k]) + v;
  }
  for (const s of order) for (let k = 0; k < categories.length; k++) if (s.values[k] === undefined) s.values[k] = NaN;
  return { categories, series: order };
}

/** Round numbers for axis ticks: about n steps from 0 (or min) to max. */
export function ticks(min: number, max: number, n = 5): number[] {
  if (!isFinite(min) || !isFinite(max)) return [0];
  if (min === max) max = min + 1;
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < max) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

/**
 * The category labels an axis of `width` px can show without overlapping: dates
 * without a midnight time, cut to 12 characters, and only every k-th when they
 * would not all fit (about 6.5 px a character at the chart's font, 10 px apart).
 */
export function axisLabels(categories: string[], width: number): { index: number; text: string }[] {
  const texts = categories.map((c) => {
    const t = c.replace(/^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?([+-]00(:?00)?|Z)?$/, '$1');
    return t.length > 12 ? t.slice(0, 11) + '…' : t;
  });
  const longest = Math.max(1, ...texts.map((t) => t.length));
  const fit = Math.max(1, Math.floor(width / (longest * 6.5 + 10)));
  const every = Math.max(1, Math.ceil(texts.length / fit));
  return texts.map((text, index) => ({ index, text })).filter((l) => l.index % every === 0);
}
