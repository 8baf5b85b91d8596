// Settings.tsx - (being written)
export function SettingsScreen(_: { route: string[] }) {
  return <h1>Settings</h1>;
}
