// app.tsx - Pluto Cloud's pages: the frame (workspace, navigation, notifications,
// sign-out) and the route of each page. A page is given the workspace and the
// caller's role in it; controls a role may not use are not shown (and the server
// refuses them anyway).

import { useEffect, useState } from 'preact/hooks';
import { linkProps, navigate, useRoute } from '../router';
import { ThemeSwitch } from '../theme';
import { ErrorBox, Spinner } from '../ui';
import { get, onSession, refresh, signOut, type Me } from './api';
import { AuditPage } from './pages/Audit';
import { DevicePage } from './pages/Device';
import { InvitePage } from './pages/Invite';
import { MembersPage } from './pages/Members';
import { NotificationsPage, useUnread } from './pages/Notifications';
import { PipelinesPage } from './pages/Pipelines';
import { RunsPage } from './pages/Runs';
import { SchedulesPage } from './pages/Schedules';
import { SignIn } from './pages/SignIn';
import { WorkspacesPage } from './pages/Workspaces';
import type { Workspace } from './roles';

const SECTIONS = [
  { path: 'runs', label: 'Runs', page: RunsPage, owner: false },
  { path: 'pipelines', label: 'Pipelines', page: PipelinesPage, owner: false },
  { path: 'schedules', label: 'Schedules', page: SchedulesPage, owner: false },
  { path: 'members', label: 'Members', page: MembersPage, owner: false },
  { path: 'audit', label: 'Audit log', page: AuditPage, owner: true },
];

type Session = { state: 'checking' } | { state: 'out' } | { state: 'in'; me: Me };

function useSession(): [Session, () => void] {
  const [s, setS] = useState<Session>({ state: 'checking' });
  const load = () =>
    get<Me>('/me').then(
      (me) => setS({ state: 'in', me }),
      () => setS({ state: 'out' }),
    );
  useEffect(() => {
    refresh().then((ok) => (ok ? load() : setS({ state: 'out' })));
    return onSession((inNow) => (inNow ? load() : setS({ state: 'out' })));
  }, []);
  return [s, load];
}

function WorkspaceFrame({ me, route, reloadMe }: { me: Me; route: string[]; reloadMe: () => void }) {
  const wsId = route[1];
  const [ws, setWs] = useState<Workspace | null>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setWs(null);
    setError(undefined);
    get<Workspace>(`/workspaces/${wsId}`).then(setWs, setError);
  }, [wsId]);
  if (error) return <ErrorBox error={error} />;
  if (!ws) return <Spinner />;
  const section = SECTIONS.find((s) => s.path === route[2] && (!s.owner || ws.role === 'owner'));
  if (!section) {
    navigate(`/w/${ws.id}/runs`, true);
    return null;
  }
  const Page = section.page;
  return <Page ws={ws} route={route.slice(3)} me={me} reloadMe={reloadMe} />;
}

function Sidebar({ me, route }: { me: Me; route: string[] }) {
  const wsId = route[0] === 'w' ? route[1] : '';
  const current = me.workspaces.find((w) => w.id === wsId);
  const unread = useUnread();
  return (
    <nav class="sidebar" aria-label="Pages">
      <div class="brand">Pluto Cloud</div>
      <label class="ws-pick">
        <span class="name">Workspace</span>
        <select
          aria-label="Workspace"
          value={wsId}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            navigate(v ? `/w/${v}/runs` : '/workspaces');
          }}
        >
          {!current && <option value="">—</option>}
          {me.workspaces.map((w) => (
            <option value={w.id} key={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      </label>
      {current &&
        SECTIONS.filter((s) => !s.owner || current.role === 'owner').map((s) => {
          const active = route[2] === s.path;
          return (
            <a key={s.path} class={active ? 'active' : ''} aria-current={active ? 'page' : undefined} {...linkProps(`/w/${current.id}/${s.path}`)}>
              {s.label}
            </a>
          );
        })}
      <a class={route[0] === 'workspaces' ? 'active' : ''} {...linkProps('/workspaces')}>
        All workspaces
      </a>
      <a class={route[0] === 'notifications' ? 'active' : ''} {...linkProps('/notifications')}>
        Notifications {unread > 0 && <span class="badge count" aria-label={`${unread} unread`}>{unread}</span>}
      </a>
      <div class="grow" />
      <div class="who" title="signed in as">
        {me.email}
        {current && <span class="muted"> · {current.role}</span>}
      </div>
      <button class="small" onClick={() => signOut().then(() => navigate('/'))}>
        Sign out
      </button>
      <ThemeSwitch />
    </nav>
  );
}

export function CloudApp() {
  const route = useRoute();
  const [session, reloadMe] = useSession();
  /* pages anyone may open: they sign in themselves */
  if (route[0] === 'device') return <DevicePage signedIn={session.state === 'in'} />;
  if (route[0] === 'invite') return <InvitePage signedIn={session.state === 'in'} />;
  if (session.state === 'checking') return <Spinner label="Signing in…" />;
  if (session.state === 'out') return <SignIn />;
  const me = session.me;
  let body;
  if (route[0] === 'w' && route[1]) body = <WorkspaceFrame me={me} route={route} reloadMe={reloadMe} key={route[1]} />;
  else if (route[0] === 'notifications') body = <NotificationsPage me={me} />;
  else if (route[0] === 'workspaces' || me.workspaces.length === 0) body = <WorkspacesPage me={me} reloadMe={reloadMe} />;
  else {
    navigate(`/w/${me.workspaces[0].id}/runs`, true);
    return null;
  }
  return (
    <div class="shell">
      <Sidebar me={me} route={route} />
      <main class="main">{body}</main>
    </div>
  );
}
