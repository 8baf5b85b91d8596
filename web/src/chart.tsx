// chart.tsx - charts as SVG (bar, line, area, pie, scatter; grouped series) and the
// chart builder that picks kind, x, y and group-by from a result's columns.

import { axisLabels, chartData, ticks, type ChartSpec } from './lib/chartdata';
import type { Column } from './grid';

const COLORS = ['#2563eb', '#e4572e', '#17a398', '#f3a712', '#8e44ad', '#29335c', '#a8c256', '#db2b39', '#3c91e6', '#9a6d38', '#5d737e', '#ff7f11'];
const W = 640;
const H = 300;
const PAD = { l: 56, r: 16, t: 12, b: 44 };

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(Number(v.toFixed(2)));
}

function Legend({ names }: { names: string[] }) {
  if (names.length < 2) return null;
  return (
    <g>
      {names.map((n, i) => (
        <g transform={`translate(${PAD.l + i * 110}, ${H - 10})`}>
          <rect width="10" height="10" y="-9" fill={COLORS[i % COLORS.length]} />
          <text x="14">{n.length > 14 ? n.slice(0, 13) + '…' : n}</text>
        </g>
      ))}
    </g>
  );
}

export function Chart({ columns, rows, spec }: { columns: Column[]; rows: unknown[][]; spec: ChartSpec }) {
  let data;
  try {
    data = chartData(columns, rows, spec);
  } catch (e) {
    return <div class="error">{(e as Error).message}</div>;
  }
  const label = `${spec.kind} chart of ${spec.y} by ${spec.x}${spec.group ? ' per ' + spec.group : ''}`;
  if (spec.kind === 'pie') {
    const s = data.series[0];
    const values = s ? s.values.map((v) => (isNaN(v) || v < 0 ? 0 : v)) : [];
    const total = values.reduce((a, b) => a + b, 0) || 1;
    let angle = -Math.PI / 2;
    const cx = W / 2, cy = (H - 20) / 2, rad = Math.min(cx, cy) - 10;
    return (
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {values.map((v, i) => {
          const a0 = angle, a1 = angle + (v / total) * Math.PI * 2;
          angle = a1;
          const large = a1 - a0 > Math.PI ? 1 : 0;
          const p = (a: number) => `${cx + rad * Math.cos(a)},${cy + rad * Math.sin(a)}`;
          const mid = (a0 + a1) / 2;
          return (
            <g>
              <path d={`M${cx},${cy} L${p(a0)} A${rad},${rad} 0 ${large} 1 ${p(a1)} Z`} fill={COLORS[i % COLORS.length]}>
                <title>{`${data.categories[i]}: ${v}`}</title>
              </path>
              {v / total > 0.04 && (
                <text x={cx + rad * 0.65 * Math.cos(mid)} y={cy + rad * 0.65 * Math.sin(mid)} text-anchor="middle" style={{ fill: '#fff' }}>
                  {`${data.categories[i]} ${Math.round((v / total) * 100)}%`}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    );
  }
  const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b;
  if (spec.kind === 'scatter') {
    const pts = data.points!;
    const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
    const xt = ticks(Math.min(...xs, 0), Math.max(...xs, 1)), yt = ticks(Math.min(...ys, 0), Math.max(...ys, 1));
    const sx = (v: number) => PAD.l + ((v - xt[0]) / (xt[xt.length - 1] - xt[0])) * iw;
    const sy = (v: number) => PAD.t + ih - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * ih;
    const names = [...new Set(pts.map((p) => p.series))];
    return (
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <Axes yt={yt} sy={sy} iw={iw} />
        {xt.map((t) => <text x={sx(t)} y={PAD.t + ih + 16} text-anchor="middle">{fmt(t)}</text>)}
        {pts.slice(0, 5000).map((p) => (
          <circle cx={sx(p.x)} cy={sy(p.y)} r="3" fill={COLORS[names.indexOf(p.series) % COLORS.length]} fill-opacity="0.75" />
        ))}
        <Legend names={names} />
      </svg>
    );
  }
  const n = data.categories.length;
  const all = data.series.flatMap((s) => s.values.filter((v) => !isNaN(v)));
  const yt = ticks(Math.min(0, ...all), Math.max(0, ...all));
  const sy = (v: number) => PAD.t + ih - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * ih;
  const band = iw / Math.max(1, n);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <Axes yt={yt} sy={sy} iw={iw} />
      {axisLabels(data.categories, iw).map(({ index: k, text }) => (
        <text x={PAD.l + band * (k + 0.5)} y={PAD.t + ih + 16} text-anchor="middle">
          {text}
        </text>
      ))}
      {spec.kind === 'bar'
        ? data.series.map((s, si) => {
            const bw = (band * 0.8) / data.series.length;
            return s.values.map((v, k) =>
              isNaN(v) ? null : (
                <rect x={PAD.l + band * k + band * 0.1 + bw * si} y={Math.min(sy(v), sy(0))} width={Math.max(1, bw - 1)} height={Math.abs(sy(0) - sy(v))} fill={COLORS[si % COLORS.length]}>
                  <title>{`${data.categories[k]} · ${s.name}: ${v}`}</title>
                </rect>
              ),
            );
          })
        : data.series.map((s, si) => {
            const pts = s.values.map((v, k) => (isNaN(v) ? null : [PAD.l + band * (k + 0.5), sy(v)] as const)).filter(Boolean) as (readonly [number, number])[];
            if (pts.length === 0) return null;
            const line = pts.map((p) => p.join(',')).join(' ');
            const color = COLORS[si % COLORS.length];
            return (
              <g>
                {spec.kind === 'area' && <polygon points={`${pts[0][0]},${sy(0)} ${line} ${pts[pts.length - 1][0]},${sy(0)}`} fill={color} fill-opacity="0.25" />}
                <polyline points={line} fill="none" stroke={color} stroke-width="2" />
              </g>
            );
          })}
      <Legend names={data.series.map((s) => s.name)} />
    </svg>
  );
}

function Axes({ yt, sy, iw }: { yt: number[]; sy: (v: number) => number; iw: number }) {
  return (
    <g>
      {yt.map((t) => (
        <g>
          <line class="axis" x1={PAD.l} x2={PAD.l + iw} y1={sy(t)} y2={sy(t)} />
          <text x={PAD.l - 6} y={sy(t) + 4} text-anchor="end">{fmt(t)}</text>
        </g>
      ))}
    </g>
  );
}

/** Pick a sensible first chart: a text/date column for x, a numeric one for y. */
export function defaultSpec(columns: Column[]): ChartSpec | null {
  const num = columns.filter((c) => /INT|DECIMAL|DOUBLE|FLOAT|REAL|NUMERIC/i.test(c.type) && !/_id$/.test(c.name));
  const x = columns.find((c) => !num.includes(c)) ?? columns[0];
  const y = num.find((c) => c !== x);
  if (!x || !y) return null;
  return { kind: /DATE|TIME/i.test(x.type) ? 'line' : 'bar', x: x.name, y: y.name };
}

export function ChartBuilder({ columns, spec, onChange }: { columns: Column[]; spec: ChartSpec; onChange: (s: ChartSpec) => void }) {
  const pick = (label: string, value: string | undefined, set: (v: string) => void, optional = false) => (
    <label class="row">
      <span class="muted">{label}</span>
      <select value={value ?? ''} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        {optional && <option value="">(none)</option>}
        {columns.map((c) => (
          <option value={c.name}>{c.name}</option>
        ))}
      </select>
    </label>
  );
  return (
    <div class="row">
      <label class="row">
        <span class="muted">chart</span>
        <select value={spec.kind} onChange={(e) => onChange({ ...spec, kind: (e.target as HTMLSelectElement).value as ChartSpec['kind'] })}>
          {['bar', 'line', 'area', 'pie', 'scatter'].map((k) => (
            <option value={k}>{k}</option>
          ))}
        </select>
      </label>
      {pick('x', spec.x, (x) => onChange({ ...spec, x }))}
      {pick('y', spec.y, (y) => onChange({ ...spec, y }))}
      {pick('group by', spec.group, (g) => onChange({ ...spec, group: g || undefined }), true)}
    </div>
  );
}
