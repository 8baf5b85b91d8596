// Sources.tsx - (being written)
export function SourcesScreen(_: { route: string[] }) {
  return <h1>Sources</h1>;
}
