// layout.ts - a lineage graph laid out left to right: each node in the column of
// its longest path from a node nothing feeds, nodes in a column ordered to cross
// as few edges as they can (a few sweeps of the barycenter rule), edges as curves.

export interface GraphNode {
  id: string;
  kind: string;
  name: string;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface Placed extends GraphNode {
  x: number;
  y: number;
  layer: number;
}

export interface Layout {
  nodes: Placed[];
  edges: { from: Placed; to: Placed; path: string }[];
  width: number;
  height: number;
}

export const NODE_W = 180;
export const NODE_H = 36;
const GAP_X = 90;
const GAP_Y = 22;
const PAD = 16;

export function layout(nodes: GraphNode[], edges: GraphEdge[]): Layout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ins = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const outs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const good = edges.filter((e) => byId.has(e.from) && byId.has(e.to) && e.from !== e.to);
  for (const e of good) {
    ins.get(e.to)!.push(e.from);
    outs.get(e.from)!.push(e.to);
  }
  // longest path from the roots; a cycle (which duckpipe refuses) cannot loop here
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    if (layer.has(id)) return layer.get(id)!;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...ins.get(id)!.map(depth)) + 1;
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  nodes.forEach((n) => depth(n.id));
  const columns: string[][] = [];
  for (const n of nodes) (columns[layer.get(n.id)!] ??= []).push(n.id);
  for (const c of columns) c?.sort((a, b) => byId.get(a)!.name.localeCompare(byId.get(b)!.name));

  const pos = new Map<string, number>();
  const index = () => columns.forEach((c) => c?.forEach((id, i) => pos.set(id, i)));
  index();
  const bary = (id: string, side: Map<string, string[]>) => {
    const ns = side.get(id)!;
    return ns.length ? ns.reduce((a, n) => a + pos.get(n)!, 0) / ns.length : pos.get(id)!;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? columns.map((_, i) => i) : columns.map((_, i) => columns.length - 1 - i);
    for (const li of order) {
      const c = columns[li];
      if (!c) continue;
      const key = new Map(c.map((id) => [id, bary(id, down ? ins : outs)]));
      c.sort((a, b) => key.get(a)! - key.get(b)! || pos.get(a)! - pos.get(b)!);
      c.forEach((id, i) => pos.set(id, i));
    }
  }

  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y;
  const placed = new Map<string, Placed>();
  columns.forEach((c, li) => {
    if (!c) return;
    const colHeight = c.length * NODE_H + (c.length - 1) * GAP_Y;
    const top = PAD + (height - PAD * 2 - colHeight) / 2;
    c.forEach((id, i) =>
      placed.set(id, { ...byId.get(id)!, layer: li, x: PAD + li * (NODE_W + GAP_X), y: top + i * (NODE_H + GAP_Y) }),
    );
  });
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X;
  return {
    nodes: [...placed.values()],
    edges: good.map((e) => {
      const a = placed.get(e.from)!;
      const b = placed.get(e.to)!;
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      return { from: a, to: b, path: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` };
    }),
    width,
    height,
  };
}
