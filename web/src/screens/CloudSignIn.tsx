// CloudSignIn.tsx - Settings' Pluto Cloud panel: sign in to a team's server with the
// device grant (this app shows a code; a signed-in person approves it in Pluto Cloud's
// page), choose the workspace whose pipelines this machine pushes and whose schedules
// it runs, see what is still to send, sign out.

import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, put } from '../api';
import { ErrorBox, Spinner, useAsync, when } from '../ui';

interface Status {
  signed_in: boolean;
  url?: string;
  email?: string;
  workspace_id?: string | null;
  workspace_name?: string | null;
  token_expires_at?: string | null;
  last_sync_at?: string | null;
  outbox: { pending: number; failed: number; last_error?: string };
  runner: { polling: boolean; offline_since?: string; last_error?: string };
}
interface Login {
  url: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}
interface Workspace {
  id: string;
  name: string;
  role: string;
  in_use: boolean;
}

const URL_KEY = 'pluto-duck.cloud-url';

function Waiting({ login, onDone, onCancel }: { login: Login; onDone: () => void; onCancel: () => void }) {
  const [error, setError] = useState<unknown>();
  const timer = useRef<number>();
  useEffect(() => {
    let alive = true;
    const poll = async () => {
      try {
        const s = await post<{ state: string }>('/cloud/login/poll', {});
        if (!alive) return;
        if (s.state === 'signed_in') onDone();
        else timer.current = window.setTimeout(poll, Math.max(1, login.interval) * 1000);
      } catch (e) {
        if (alive) setError(e);
      }
    };
    timer.current = window.setTimeout(poll, Math.max(1, login.interval) * 1000);
    return () => {
      alive = false;
      clearTimeout(timer.current);
    };
  }, [login]);
  return (
    <div class="device-code" role="status">
      <p>
        Approve this code in Pluto Cloud (signed in as yourself); this page notices by itself.
      </p>
      <div class="code mono" aria-label="Sign-in code">
        {login.user_code}
      </div>
      <div class="row">
        <a class="button primary" href={login.verification_uri_complete} target="_blank" rel="noopener noreferrer">
          Open the approval page
        </a>
        <span class="muted">or go to {login.verification_uri}</span>
      </div>
      {error ? <ErrorBox error={error} /> : <Spinner label="Waiting for the approval…" />}
      <div class="row end">
        <button onClick={onCancel}>{error ? 'Start again' : 'Cancel'}</button>
      </div>
    </div>
  );
}

export function CloudSignIn() {
  const status = useAsync(() => get<Status>('/cloud/status'), []);
  const [url, setUrl] = useState(() => localStorage.getItem(URL_KEY) ?? '');
  const [name, setName] = useState('');
  const [login, setLogin] = useState<Login | null>(null);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState('');
  const s = status.data;
  const workspaces = useAsync(() => (s?.signed_in ? get<Workspace[]>('/cloud/workspaces') : Promise.resolve([])), [s?.signed_in, s?.email]);

  const start = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setNote('');
    if (!/^https?:\/\/\S+$/.test(url.trim())) {
      setError(new Error("the server's address starts with https:// (or http://)"));
      return;
    }
    try {
      const l = await post<Login>('/cloud/login', name.trim() ? { url: url.trim(), name: name.trim() } : { url: url.trim() });
      localStorage.setItem(URL_KEY, l.url);
      setLogin(l);
    } catch (err) {
      setError(err);
    }
  };
  const use = async (ws: string) => {
    setError(undefined);
    try {
      const w = await put<Workspace>('/cloud/workspace', { workspace: ws });
      setNote(`Using ${w.name}: pipelines are pushed there and its schedules run on this machine.`);
      status.reload();
      workspaces.reload();
    } catch (err) {
      setError(err);
    }
  };
  const signOut = async () => {
    setError(undefined);
    try {
      await post('/cloud/logout', {});
      setNote('Signed out. Anything not yet sent stays here for the next sign-in.');
      status.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="panel" style={{ marginTop: '1rem' }} aria-label="Pluto Cloud">
      <h2>Pluto Cloud</h2>
      <p class="muted">Share pipelines, schedules, runs and reports with your team. Your data stays on this machine.</p>
      <ErrorBox error={status.error} onRetry={status.reload} />
      {!s && !status.error && <Spinner />}
      {s && !s.signed_in && !login && (
        <form onSubmit={start} aria-label="Sign in to Pluto Cloud">
          <label>
            <span class="name">Server</span>
            <input value={url} placeholder="https://cloud.example.com" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
          </label>
          <label>
            <span class="name">This machine's name, as your team sees it (default: its host name)</span>
            <input value={name} placeholder="laptop" onInput={(e) => setName((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
          </label>
          <div class="row end">
            <button class="primary" type="submit">
              Sign in
            </button>
          </div>
        </form>
      )}
      {s && !s.signed_in && login && (
        <Waiting
          login={login}
          onCancel={() => setLogin(null)}
          onDone={() => {
            setLogin(null);
            setNote('Signed in.');
            status.reload();
          }}
        />
      )}
      {s?.signed_in && (
        <>
          <dl class="facts">
            <dt>Signed in as</dt>
            <dd>{s.email}</dd>
            <dt>Server</dt>
            <dd class="mono">{s.url}</dd>
            <dt>Last sync</dt>
            <dd>{s.last_sync_at ? when(s.last_sync_at) : 'never'}</dd>
            <dt>To send</dt>
            <dd>
              {s.outbox.pending} update(s){s.outbox.last_error ? ` (last error: ${s.outbox.last_error})` : ''}
            </dd>
            <dt>Schedules</dt>
            <dd>{s.runner.polling ? 'run on this machine' : s.workspace_id ? 'not run here' : 'choose a workspace'}</dd>
          </dl>
          <label>
            <span class="name">Workspace</span>
            <select aria-label="Cloud workspace" value={s.workspace_id ?? ''} onChange={(e) => use((e.target as HTMLSelectElement).value)}>
              {!s.workspace_id && <option value="">choose…</option>}
              {(workspaces.data ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name} ({w.role})
                </option>
              ))}
            </select>
          </label>
          <ErrorBox error={workspaces.error} />
          <div class="row end">
            <button class="danger" onClick={signOut}>
              Sign out
            </button>
          </div>
        </>
      )}
      <ErrorBox error={error} />
      {note && (
        <div class="notice" role="status">
          {note}
        </div>
      )}
    </div>
  );
}
