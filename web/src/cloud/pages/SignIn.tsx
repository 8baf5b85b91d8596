// SignIn.tsx - email and password; the refresh token stays in an HttpOnly cookie.

import { useState } from 'preact/hooks';
import { ErrorBox } from '../../ui';
import { signIn } from '../api';

export function SignInForm({ onDone, submitLabel = 'Sign in' }: { onDone?: () => void; submitLabel?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email, password);
      onDone?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Sign in">
      <label>
        <span class="name">Email</span>
        <input type="email" autocomplete="username" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
      </label>
      <label>
        <span class="name">Password</span>
        <input type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
      </label>
      <ErrorBox error={error} />
      <div class="row end">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

export function SignIn() {
  return (
    <div class="narrow">
      <h1>Sign in to Pluto Cloud</h1>
      <p class="muted">Your team's pipelines, schedules, runs and reports. Your data stays on the machines that run them.</p>
      <div class="panel">
        <SignInForm />
      </div>
      <p class="muted">No account? Ask a workspace owner for an invitation link.</p>
    </div>
  );
}
