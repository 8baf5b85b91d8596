// Settings.tsx - who answers the agent (provider, model, base URL, timeout), how many
// rows of a result the model sees, the API key (write-only: shown masked), the
// sign-in to Pluto Cloud (CloudSignIn.tsx), and the server token this browser sends.

import { useEffect, useState } from 'preact/hooks';
import { get, getToken, put, setToken } from '../api';
import { checkDuration } from '../lib/validate';
import { ErrorBox, Spinner, useAsync, Field } from '../ui';
import { CloudSignIn } from './CloudSignIn';

interface Settings {
  provider: string;
  model: string;
  base_url: string;
  timeout: string;
  send_rows: string;
  api_key: string | null;
  api_key_from: string | null;
}

export function checkSettings(s: Partial<Settings>): Record<string, string> {
  const e: Record<string, string> = {};
  if (s.base_url && !/^https?:\/\//.test(s.base_url)) e.base_url = 'an http:// or https:// URL, or empty for OpenAI';
  if (s.send_rows !== undefined && !/^(none|\d{1,4})$/.test(s.send_rows)) e.send_rows = 'a number from 0 to 1000, or none';
  else if (s.send_rows && s.send_rows !== 'none' && Number(s.send_rows) > 1000) e.send_rows = 'at most 1000';
  const t = checkDuration(s.timeout ?? '');
  if (t || !s.timeout) e.timeout = 'a duration such as 60s or 2m';
  if (s.provider === 'openai' && !s.model) e.model = 'the openai provider needs a model name';
  return e;
}

export function SettingsScreen(_: { route: string[] }) {
  const current = useAsync<Settings>(() => get('/settings'), []);
  const [form, setForm] = useState<Settings | null>(null);
  const [key, setKey] = useState('');
  const [token, setTokenInput] = useState(getToken());
  const [saved, setSaved] = useState('');
  const [error, setError] = useState<unknown>();
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (current.data) setForm(current.data);
  }, [current.data]);

  const errors = form ? checkSettings(form) : {};
  const save = async () => {
    setTouched(true);
    setSaved('');
    if (!form || Object.keys(errors).length) return;
    setError(undefined);
    const body: Record<string, string> = {
      provider: form.provider,
      model: form.model,
      base_url: form.base_url,
      timeout: form.timeout,
      send_rows: form.send_rows,
    };
    if (key) body.api_key = key;
    try {
      const next = await put('/settings', body);
      setForm(next);
      setKey('');
      setSaved('Saved: the next question uses these settings.');
    } catch (e) {
      setError(e);
    }
  };
  const removeKey = async () => {
    try {
      setForm(await put('/settings', { api_key: '' }));
      setSaved('The API key was removed.');
    } catch (e) {
      setError(e);
    }
  };

  const field = (k: keyof Settings, label: string, hint: string) => (
    <Field label={label} error={touched && errors[k]}>
      <input
        value={(form?.[k] as string) ?? ''}
        placeholder={hint}
        onInput={(e) => form && setForm({ ...form, [k]: (e.target as HTMLInputElement).value })}
        style={{ width: '100%' }}
      />
    </Field>
  );

  return (
    <div style={{ maxWidth: '640px' }}>
      <h1>Settings</h1>
      <ErrorBox error={current.error} onRetry={current.reload} />
      {!form && !current.error && <Spinner />}
      {form && (
        <div class="panel">
          <h2>The agent</h2>
          <label>
            <span class="name">Provider</span>
            <select value={form.provider} onChange={(e) => setForm({ ...form, provider: (e.target as HTMLSelectElement).value })}>
              <option value="local">local: offline, built in</option>
              <option value="openai">openai: any OpenAI-compatible API (OpenAI, Ollama, llama.cpp, vLLM)</option>
            </select>
          </label>
          {field('model', 'Model', 'gpt-4o-mini, llama3.1, …')}
          {field('base_url', 'Base URL', 'http://127.0.0.1:11434/v1 (empty: OpenAI)')}
          {field('timeout', 'Request timeout', '60s')}
          {field('send_rows', 'Rows of a result the model sees', '20, or none: columns and counts only')}
          <label>
            <span class="name">
              API key{' '}
              {form.api_key ? <span class="badge ok">set{form.api_key_from ? ` (${form.api_key_from})` : ''}</span> : <span class="badge">not set</span>}
            </span>
            <input type="password" value={key} placeholder={form.api_key ? '*** (type to replace)' : 'sk-…'} autocomplete="off" onInput={(e) => setKey((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
          </label>
          {form.api_key && form.api_key_from === 'secret store' && (
            <button class="small danger" onClick={removeKey}>Remove the key</button>
          )}
          <ErrorBox error={error} />
          {saved && <div class="notice" role="status">{saved}</div>}
          <div class="row end">
            <button class="primary" onClick={save}>Save</button>
          </div>
        </div>
      )}
      <CloudSignIn />
      <div class="panel" style={{ marginTop: '1rem' }}>
        <h2>This browser</h2>
        <label>
          <span class="name">Server token (when the server was started with --token; kept in this browser only)</span>
          <input type="password" value={token} autocomplete="off" onInput={(e) => setTokenInput((e.target as HTMLInputElement).value)} style={{ width: '100%' }} />
        </label>
        <div class="row end">
          <button onClick={() => { setToken(token); setSaved('Token saved in this browser.'); current.reload(); }}>Save token</button>
        </div>
      </div>
    </div>
  );
}
