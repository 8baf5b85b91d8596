// Device.tsx - approve (or refuse) signing in a device: the Pluto Duck app or CLI
// shows a code and this page's address (RFC 8628). Signed out, the page signs in first.

import { useState } from 'preact/hooks';
import { ErrorBox } from '../../ui';
import { post } from '../api';
import { SignInForm } from './SignIn';

export function DevicePage({ signedIn }: { signedIn: boolean }) {
  const [code, setCode] = useState(new URLSearchParams(location.search).get('user_code') ?? '');
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const d = await post<{ client_name: string }>('/auth/device/approve', { user_code: code, approve });
      setDone(approve ? `Approved: ${d.client_name || 'the device'} is signed in. You can close this page.` : 'Refused: the device is not signed in.');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="narrow">
      <h1>Sign in a device</h1>
      <p class="muted">Enter the code the Pluto Duck app or CLI shows. Approve it only if you started that sign-in yourself.</p>
      {done ? (
        <div class="notice" role="status">
          {done}
        </div>
      ) : (
        <div class="panel">
          <label>
            <span class="name">Code</span>
            <input
              id="code"
              class="code"
              autocomplete="off"
              value={code}
              placeholder="ABCD-EFGH"
              pattern="[A-Za-z]{4}-?[A-Za-z]{4}"
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
            />
          </label>
          {signedIn ? (
            <>
              <ErrorBox error={error} />
              <div class="row end">
                <button type="button" disabled={busy} onClick={() => decide(false)}>
                  Deny
                </button>
                <button class="primary" type="button" disabled={busy || !code} onClick={() => decide(true)}>
                  Approve
                </button>
              </div>
            </>
          ) : (
            <>
              <p>Sign in to approve it:</p>
              <SignInForm submitLabel="Sign in" />
            </>
          )}
        </div>
      )}
    </div>
  );
}
