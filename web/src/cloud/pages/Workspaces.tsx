// Workspaces.tsx - the workspaces the account belongs to, and a new one.

import { useState } from 'preact/hooks';
import { linkProps, navigate } from '../../router';
import { Empty, ErrorBox } from '../../ui';
import { post, type Me } from '../api';
import { Head } from '../parts';

export function WorkspacesPage({ me, reloadMe }: { me: Me; reloadMe: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const w = await post<{ id: string }>('/workspaces', { name });
      setName('');
      reloadMe();
      navigate(`/w/${w.id}/pipelines`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div style={{ maxWidth: '720px' }}>
      <h1>Workspaces</h1>
      {me.workspaces.length === 0 ? (
        <Empty>You belong to no workspace yet: create one, or open an invitation link.</Empty>
      ) : (
        <table class="simple">
          <Head cols={['Name', 'Your role']} />
          <tbody>
            {me.workspaces.map((w) => (
              <tr key={w.id}>
                <td>
                  <a {...linkProps(`/w/${w.id}/runs`)}>{w.name}</a>
                </td>
                <td>{w.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="panel" style={{ marginTop: '1rem' }} onSubmit={create}>
        <h2>New workspace</h2>
        <div class="row">
          <input aria-label="Workspace name" required maxLength={100} value={name} placeholder="analytics" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <button class="primary" type="submit">
            Create
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </div>
  );
}
