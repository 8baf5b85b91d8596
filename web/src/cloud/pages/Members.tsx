// Members.tsx - who is in the workspace and as what. An owner changes roles, removes
// members, invites by email (the link is shown to pass on: no mail is sent) and makes
// agent tokens for machines that run schedules. Anyone may leave.

import { useState } from 'preact/hooks';
import { navigate } from '../../router';
import { ErrorBox, Spinner, useAsync, when } from '../../ui';
import { Confirm, useAction, type Confirmation, Head } from '../parts';
import { del, get, patch, post } from '../api';
import { isOwner, type PageProps } from '../roles';

interface Member {
  user_id: string;
  email: string;
  name: string;
  role: string;
  created_at: string;
}
interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
  expires_at: string;
  accept_url?: string;
}
interface AgentToken {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  token?: string;
}

const ROLES = ['owner', 'editor', 'viewer'];

function Invitations({ wsId }: { wsId: string }) {
  const list = useAsync(() => get<Invitation[]>(`/workspaces/${wsId}/invitations`), [wsId]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [made, setMade] = useState<Invitation | null>(null);
  const { act, outcome } = useAction();
  const invite = (e: Event) => {
    e.preventDefault();
    act(async () => setMade(await post<Invitation>(`/workspaces/${wsId}/invitations`, { email, role })), '', () => {
      setEmail('');
      list.reload();
    });
  };
  const revoke = (id: string) => act(() => del(`/workspaces/${wsId}/invitations/${id}`), 'Revoked.', list.reload);
  return (
    <section class="panel">
      <h2>Invitations</h2>
      <form class="row" onSubmit={invite}>
        <input type="email" required aria-label="Email to invite" placeholder="someone@example.com" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <select aria-label="Role of the invitation" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button class="primary" type="submit">
          Invite
        </button>
      </form>
      {outcome}
      {made && (
        <div class="notice" role="status">
          Send this link to {made.email} (valid 7 days, once; it is not shown again):
          <input class="mono" readOnly value={made.accept_url} aria-label="Invitation link" style={{ width: '100%' }} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        </div>
      )}
      <table class="simple">
        <tbody>
          {list.data?.map((i) => (
            <tr key={i.id}>
              <td>{i.email}</td>
              <td>{i.role}</td>
              <td>
                <span class="badge">{i.status}</span>
              </td>
              <td class="muted">expires {when(i.expires_at)}</td>
              <td>
                {i.status === 'pending' && (
                  <button class="small danger" onClick={() => revoke(i.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AgentTokens({ wsId }: { wsId: string }) {
  const list = useAsync(() => get<AgentToken[]>(`/workspaces/${wsId}/agent-tokens`), [wsId]);
  const [name, setName] = useState('');
  const [made, setMade] = useState<AgentToken | null>(null);
  const { act, outcome } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    act(async () => setMade(await post<AgentToken>(`/workspaces/${wsId}/agent-tokens`, { name })), '', () => {
      setName('');
      list.reload();
    });
  };
  const revoke = (id: string) => act(() => del(`/workspaces/${wsId}/agent-tokens/${id}`), 'Revoked: that machine is refused from now on.', list.reload);
  return (
    <section class="panel">
      <h2>Agent tokens</h2>
      <p class="muted">For a machine that runs this workspace's schedules without a person signed in.</p>
      <form class="row" onSubmit={create}>
        <input required maxLength={100} aria-label="Machine name" placeholder="build-server" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit">Make a token</button>
      </form>
      {outcome}
      {made && (
        <div class="notice" role="status">
          The token for {made.name}, shown this once:
          <input class="mono" readOnly value={made.token} aria-label="Agent token" style={{ width: '100%' }} />
        </div>
      )}
      <table class="simple">
        <tbody>
          {list.data?.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td class="muted">{t.last_used_at ? `used ${when(t.last_used_at)}` : 'never used'}</td>
              <td>{t.revoked_at ? <span class="badge failed">revoked</span> : <button class="small danger" onClick={() => revoke(t.id)}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function MembersPage({ ws, me, reloadMe }: PageProps) {
  const list = useAsync(() => get<Member[]>(`/workspaces/${ws.id}/members`), [ws.id]);
  const { act, outcome } = useAction();
  const [confirm, setConfirm] = useState<Confirmation | null>(null);
  const owner = isOwner(ws);
  const setRole = (m: Member, role: string) => act(() => patch(`/workspaces/${ws.id}/members/${m.user_id}`, { role }), `${m.email} is now ${role}.`).then(list.reload);
  const remove = (m: Member) =>
    setConfirm(
      m.user_id === me.id
        ? { title: 'Leave the workspace?', text: 'You will no longer see its pipelines, runs and reports.', action: 'Leave', run: () => act(() => del(`/workspaces/${ws.id}/members/${m.user_id}`), '', () => (reloadMe(), navigate('/workspaces'))) }
        : { title: `Remove ${m.email}?`, text: `${m.email} will no longer see this workspace.`, action: 'Remove', run: () => act(() => del(`/workspaces/${ws.id}/members/${m.user_id}`), `${m.email} was removed.`, list.reload) },
    );
  return (
    <div style={{ maxWidth: '900px' }}>
      <h1>Members of {ws.name}</h1>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {outcome}
      {list.loading && !list.data && <Spinner />}
      <table class="simple members">
        <Head cols={['Email', 'Name', 'Role', 'Joined', '']} />
        <tbody>
          {list.data?.map((m) => (
            <tr key={m.user_id}>
              <td>{m.email}</td>
              <td>{m.name}</td>
              <td>
                {owner ? (
                  <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => setRole(m, (e.target as HTMLSelectElement).value)}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td class="muted">{when(m.created_at)}</td>
              <td>
                {(owner || m.user_id === me.id) && (
                  <button class="small danger" onClick={() => remove(m)}>
                    {m.user_id === me.id ? 'Leave' : 'Remove'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {confirm && <Confirm c={confirm} onCancel={() => setConfirm(null)} />}
      {owner && (
        <div class="stack">
          <Invitations wsId={ws.id} />
          <AgentTokens wsId={ws.id} />
        </div>
      )}
    </div>
  );
}
