// Boards.tsx - (being written)
export function BoardsScreen(_: { route: string[] }) {
  return <h1>Boards</h1>;
}
