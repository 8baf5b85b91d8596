// boardlayout.ts - where board items go after one is moved or resized: never on
// top of each other, and packed upwards with no empty rows between them.

export interface Pos {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlap(a: Pos, b: Pos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * The positions of every item once `moved` is at `to`: items are taken top to
 * bottom (the moved one first among equals), each rises as far as the items
 * above it allow, and one that would overlap an item already placed goes below
 * it, so that a drop or a resize pushes its neighbours down.
 */
export function settle<T extends { id: string; position: Pos }>(items: T[], moved: string, to: Pos): Map<string, Pos> {
  const order = items
    .map((it) => ({ id: it.id, p: it.id === moved ? { ...to } : { ...it.position } }))
    .sort((a, b) => a.p.y - b.p.y || (a.id === moved ? -1 : b.id === moved ? 1 : a.p.x - b.p.x));
  const placed: { id: string; p: Pos }[] = [];
  for (const it of order) {
    const p = it.p;
    while (p.y > 0 && !placed.some((q) => overlap({ ...p, y: p.y - 1 }, q.p))) p.y--;
    for (let hit = placed.find((q) => overlap(p, q.p)); hit; hit = placed.find((q) => overlap(p, q.p)))
      p.y = hit.p.y + hit.p.h;
    placed.push(it);
  }
  return new Map(placed.map((it) => [it.id, it.p]));
}
