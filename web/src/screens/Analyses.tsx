// Analyses.tsx - (being written)
export function AnalysesScreen(_: { route: string[] }) {
  return <h1>Analyses</h1>;
}
