// Invite.tsx - an invitation link (/invite#TOKEN: the token never reaches a server
// log): join the workspace signed in, or create the account it was made for.

import { useState } from 'preact/hooks';
import { navigate } from '../../router';
import { ErrorBox } from '../../ui';
import { post, register } from '../api';
import { SignInForm } from './SignIn';

export function InvitePage({ signedIn }: { signedIn: boolean }) {
  const token = location.hash.slice(1);
  const [mode, setMode] = useState<'register' | 'signin'>('register');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const go = (ws: string) => {
    history.replaceState(null, '', location.pathname); /* the token leaves the address bar */
    navigate(ws ? `/w/${ws}/runs` : '/', true);
    location.reload();
  };
  const join = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const m = await post<{ workspace_id: string }>('/invitations/accept', { token });
      go(m.workspace_id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    if (password.length < 8) {
      setError(new Error('the password needs 8 characters or more'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await register(email, password, name, token);
      go('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!token)
    return (
      <div class="narrow">
        <h1>Invitation</h1>
        <div class="error">This link has no invitation in it: open the whole link you were sent.</div>
      </div>
    );
  return (
    <div class="narrow">
      <h1>Join a workspace</h1>
      <div class="panel">
        {signedIn ? (
          <>
            <p>Join the workspace you were invited to, with the account you are signed in with.</p>
            <ErrorBox error={error} />
            <div class="row end">
              <button class="primary" disabled={busy} onClick={join}>
                Join
              </button>
            </div>
          </>
        ) : mode === 'register' ? (
          <form onSubmit={create} aria-label="Create an account">
            <p>Create your account with the email address the invitation was made for.</p>
            <label>
              <span class="name">Email</span>
              <input type="email" required autocomplete="username" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
            </label>
            <label>
              <span class="name">Name</span>
              <input autocomplete="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
            </label>
            <label>
              <span class="name">Password (8 characters or more)</span>
              <input type="password" required autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
            </label>
            <ErrorBox error={error} />
            <div class="row">
              <button type="button" class="link" onClick={() => setMode('signin')}>
                I have an account
              </button>
              <span class="spacer" />
              <button class="primary" type="submit" disabled={busy}>
                Create account and join
              </button>
            </div>
          </form>
        ) : (
          <SignInForm submitLabel="Sign in, then join" />
        )}
      </div>
    </div>
  );
}
