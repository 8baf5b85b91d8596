// Notifications.tsx - mentions of the signed-in person in comments, newest first;
// the sidebar shows how many are unread (checked every 30 s).

import { useEffect, useState } from 'preact/hooks';
import { linkProps } from '../../router';
import { Empty, ErrorBox, Spinner, useAsync, when } from '../../ui';
import { get, post, type Me } from '../api';

interface Notification {
  id: string;
  workspace_id: string;
  workspace: string;
  target_kind: string;
  target_id: string;
  author: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

const changed = new Set<() => void>();

export function useUnread(): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    let alive = true;
    const check = () => get<Notification[]>('/notifications?unread=true').then((l) => alive && setN(l.length), () => {});
    check();
    const t = setInterval(check, 30000);
    changed.add(check);
    return () => {
      alive = false;
      clearInterval(t);
      changed.delete(check);
    };
  }, []);
  return n;
}

/** Where a notification's target is shown. */
export function targetPath(ws: string, kind: string, id: string): string {
  if (kind === 'run') return `/w/${ws}/runs/${id}`;
  if (kind === 'version') {
    const [pipeline, number] = id.split('/');
    return `/w/${ws}/pipelines/${pipeline}?version=${number}`;
  }
  return `/w/${ws}/runs`;
}

export function NotificationsPage(_: { me: Me }) {
  const list = useAsync(() => get<Notification[]>('/notifications'), []);
  const [error, setError] = useState<unknown>();
  const mark = async (path: string) => {
    try {
      await post(path, {});
      list.reload();
      changed.forEach((c) => c());
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div style={{ maxWidth: '820px' }}>
      <div class="row">
        <h1>Notifications</h1>
        <span class="spacer" />
        {list.data?.some((n) => !n.read_at) && <button onClick={() => mark('/notifications/read')}>Mark all read</button>}
      </div>
      <ErrorBox error={list.error ?? error} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.length === 0 && <Empty>No one has mentioned you yet. Mention someone with @their@email in a comment.</Empty>}
      <ul class="list-items notifications">
        {list.data?.map((n) => (
          <li key={n.id} class={n.read_at ? 'read' : 'unread'}>
            <div class="row">
              <strong>{n.author}</strong>
              <span class="muted">
                on a {n.target_kind} in {n.workspace} · {when(n.created_at)}
              </span>
              <span class="spacer" />
              <a {...linkProps(targetPath(n.workspace_id, n.target_kind, n.target_id))}>Open</a>
              {!n.read_at && (
                <button class="small" onClick={() => mark(`/notifications/${n.id}/read`)}>
                  Mark read
                </button>
              )}
            </div>
            <div class="comment-body">{n.body}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}
