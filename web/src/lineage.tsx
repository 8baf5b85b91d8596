// lineage.tsx - the interactive lineage graph: sources, tables and cached tables
// feeding analyses, laid out automatically; a node is a link (click or Enter).

import { useMemo } from 'preact/hooks';
import { layout, NODE_H, NODE_W, type GraphEdge, type GraphNode } from './lib/layout';

const FILL: Record<string, string> = {
  analysis: '#dbe7ff',
  table: '#e3f4e8',
  cache: '#fff1d6',
  source: '#f5e1f7',
  file: '#eeeeee',
};

export function kindOf(n: GraphNode): string {
  if (n.kind !== 'table') return n.kind;
  if (n.name.startsWith('cache.')) return 'cache';
  if (n.name.split('.').length === 2 && !n.name.startsWith('main.') && !n.name.startsWith('analysis')) return 'source';
  return 'table';
}

export function LineageGraph({
  nodes,
  edges,
  selected,
  onOpen,
}: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  selected?: string;
  onOpen: (n: GraphNode) => void;
}) {
  const g = useMemo(() => layout(nodes, edges), [nodes, edges]);
  if (nodes.length === 0) return <div class="empty">No analyses yet: their lineage shows here.</div>;
  return (
    <div class="lineage">
      <svg width={g.width} height={g.height} role="img" aria-label="lineage graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
          </marker>
        </defs>
        {g.edges.map((e) => (
          <path class="edge" d={e.path} marker-end="url(#arrow)" data-from={e.from.id} data-to={e.to.id} />
        ))}
        {g.nodes.map((n) => {
          const kind = kindOf(n);
          const label = n.name.length > 24 ? n.name.slice(0, 23) + '…' : n.name;
          return (
            <g
              class="node"
              transform={`translate(${n.x},${n.y})`}
              tabIndex={0}
              role="link"
              aria-label={`${kind} ${n.name}`}
              data-node={n.id}
              onClick={() => onOpen(n)}
              onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && onOpen(n)}
            >
              <rect width={NODE_W} height={NODE_H} rx="6" fill={FILL[kind] ?? '#eee'} stroke={n.id === selected ? '#2563eb' : '#9aa1ad'} stroke-width={n.id === selected ? 3 : 1.5} />
              <text x="10" y="15" style={{ fontSize: '10px', fill: '#555' }}>{kind}</text>
              <text x="10" y="29" style={{ fill: '#1d1f23' }}>{label}</text>
              <title>{n.name}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
