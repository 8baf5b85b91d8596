// app.tsx - the workbench's frame: navigation between the screens, the theme, the
// server's health; each screen owns its path ("/chat/ID", "/sql", "/boards/NAME").

import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { linkProps, navigate, useRoute } from './router';
import { ChatScreen } from './screens/Chat';
import { SqlScreen } from './screens/Sql';
import { CatalogScreen } from './screens/Catalog';
import { SourcesScreen } from './screens/Sources';
import { AnalysesScreen } from './screens/Analyses';
import { BoardsScreen } from './screens/Boards';
import { SettingsScreen } from './screens/Settings';
import { ThemeSwitch } from './theme';
import { Modal } from './ui';

export { applyTheme } from './theme';

const SCREENS = [
  { path: 'chat', label: 'Chat', screen: ChatScreen },
  { path: 'sql', label: 'SQL', screen: SqlScreen },
  { path: 'catalog', label: 'Catalog', screen: CatalogScreen },
  { path: 'sources', label: 'Sources', screen: SourcesScreen },
  { path: 'analyses', label: 'Analyses', screen: AnalysesScreen },
  { path: 'boards', label: 'Boards', screen: BoardsScreen },
  { path: 'settings', label: 'Settings', screen: SettingsScreen },
];

function Health() {
  const [state, setState] = useState<'ok' | 'down' | '…'>('…');
  useEffect(() => {
    let alive = true;
    const check = () =>
      get('/health').then(
        () => alive && setState('ok'),
        () => alive && setState('down'),
      );
    check();
    const t = setInterval(check, 15000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  return (
    <div class={`health ${state === 'down' ? 'bad' : ''}`} title="the local server">
      {state === 'ok' ? '● server up' : state === 'down' ? '● server unreachable' : '● …'}
    </div>
  );
}

type CloudStatus = {
  signed_in: boolean;
  workspace_name?: string | null;
  outbox: { pending: number; failed: number; last_error?: string };
  runner: { polling: boolean; offline_since?: string; notices: { at: string; text: string }[] };
};

/** Pluto Cloud as the local server sees it: the workspace whose schedules run here, what
 * is still to send, and the runner's notices (a run caught up after the app was off). */
export function CloudStatusBar({ status }: { status: CloudStatus | null }) {
  const [seen, setSeen] = useState(0);
  if (!status || !status.signed_in) return null;
  const notices = status.runner.notices ?? [];
  const fresh = notices.slice(seen);
  const line = status.runner.offline_since
    ? `Pluto Cloud unreachable since ${status.runner.offline_since}`
    : `${status.workspace_name ?? 'no workspace'}${status.runner.polling ? ' · runs schedules' : ''}`;
  return (
    <div class="cloud" title="Pluto Cloud">
      <div class={status.runner.offline_since ? 'bad' : ''}>☁ {line}</div>
      {status.outbox.pending > 0 && <div>{status.outbox.pending} update(s) waiting to be sent</div>}
      {fresh.map((n) => (
        <div class="notice" role="status" key={n.at + n.text}>
          {n.text}{' '}
          <button type="button" onClick={() => setSeen(notices.length)} aria-label="dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

function Cloud() {
  const [status, setStatus] = useState<CloudStatus | null>(null);
  useEffect(() => {
    let alive = true;
    const check = () =>
      get<CloudStatus>('/cloud/status').then(
        (s) => alive && setStatus(s),
        () => alive && setStatus(null),
      );
    check();
    const t = setInterval(check, 15000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  return <CloudStatusBar status={status} />;
}

/** Every shortcut of the workbench, in one place ("?" shows them). */
const SHORTCUTS: [string, string][] = [
  ['?', 'show these shortcuts'],
  ['Ctrl/Cmd + Enter', 'SQL: run the statement'],
  ['Ctrl + Space', 'SQL: complete tables and columns'],
  ['Enter / Shift + Enter', 'Chat: ask / a new line'],
  ['Arrows / Shift + arrows', 'Boards: move / resize the focused item'],
  ['Ctrl + Z / Ctrl + Shift + Z', 'Boards: undo / redo an edit'],
  ['← → Home End', 'tabs: the next, previous, first or last'],
  ['Escape', 'close a dialog'],
  ['Tab / Shift + Tab', 'the next / previous control (inside a dialog, round it)'],
];

function Shortcuts() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key !== '?' || e.ctrlKey || e.metaKey || e.altKey || t.closest('input, textarea, select, [contenteditable="true"], .cm-editor')) return;
      e.preventDefault();
      setOpen(true);
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, []);
  if (!open) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)}>
      <table class="simple" aria-label="shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, what]) => (
            <tr><td><kbd>{k}</kbd></td><td>{what}</td></tr>
          ))}
        </tbody>
      </table>
      <div class="row end"><button onClick={() => setOpen(false)}>Close</button></div>
    </Modal>
  );
}

export function App() {
  const route = useRoute();
  const [menu, setMenu] = useState(false);
  const current = SCREENS.find((s) => s.path === route[0]);
  useEffect(() => {
    if (!current) navigate('/chat', true);
    else document.title = `${current.label} · Pluto Duck`;
  }, [current]);
  if (!current) return null;
  const Screen = current.screen;
  return (
    <div class="shell">
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <nav class={`sidebar${menu ? ' open' : ''}`} aria-label="Screens">
        <div class="top">
          <div class="brand">Pluto Duck</div>
          {/* on a narrow screen the screens are a menu */}
          <button class="menu-toggle" aria-expanded={menu} aria-controls="screens" onClick={() => setMenu(!menu)}>
            {menu ? '✕ Close' : '☰ Menu'}
          </button>
        </div>
        <div class="items" id="screens">
          {SCREENS.map((s) => (
            <a
              key={s.path}
              class={s === current ? 'active' : ''}
              aria-current={s === current ? 'page' : undefined}
              {...linkProps('/' + s.path)}
              onClick={(e) => { setMenu(false); linkProps('/' + s.path).onClick(e); }}
            >
              {s.label}
            </a>
          ))}
          <div class="grow" />
          <Cloud />
          <Health />
          <ThemeSwitch />
        </div>
      </nav>
      <main class="main" id="main" tabIndex={-1}>
        <Screen route={route.slice(1)} />
      </main>
      <Shortcuts />
    </div>
  );
}
