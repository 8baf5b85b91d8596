// Comments.tsx - the comments on a run, an artifact or a pipeline version, oldest
// first; @someone@example.com notifies that member. Every member may comment; a
// comment is deleted by its author (or an owner).

import { useState } from 'preact/hooks';
import { ErrorBox, useAsync, when } from '../../ui';
import { del, get, post, type Me } from '../api';
import { isOwner, type Workspace } from '../roles';

interface Comment {
  id: string;
  author: string;
  body: string;
  created_at: string;
  notified: string[];
}

/** The comment's text with its @mentions marked (as text: nothing in it is markup). */
function withMentions(body: string) {
  return body.split(/(@[^\s@]+@[^\s@]+\.[^\s@.,;:!?)]+)/).map((part, i) => (i % 2 ? <span class="mention">{part}</span> : part));
}

export function Comments({ ws, me, kind, target }: { ws: Workspace; me: Me; kind: 'run' | 'artifact' | 'version'; target: string }) {
  const q = `/workspaces/${ws.id}/comments?target_kind=${kind}&target_id=${encodeURIComponent(target)}`;
  const list = useAsync(() => get<Comment[]>(q), [q]);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState('');
  const member = ws.role !== 'runner';
  const send = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const c = await post<Comment>(`/workspaces/${ws.id}/comments`, { target_kind: kind, target_id: target, body: text });
      setText('');
      setSent(c.notified?.length ? `Notified ${c.notified.join(', ')}.` : '');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (id: string) => {
    try {
      await del(`/workspaces/${ws.id}/comments/${id}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="comments" aria-label="Comments">
      <h2>Comments</h2>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data?.length === 0 && <p class="muted">No comments yet.</p>}
      {list.data?.map((c) => (
        <div class="comment" key={c.id}>
          <div class="row">
            <strong>{c.author}</strong>
            <span class="muted">{when(c.created_at)}</span>
            <span class="spacer" />
            {(c.author === me.email || isOwner(ws)) && (
              <button class="small danger" onClick={() => remove(c.id)} aria-label="Delete comment">
                Delete
              </button>
            )}
          </div>
          <div class="comment-body">{withMentions(c.body)}</div>
        </div>
      ))}
      {member && (
        <form onSubmit={send}>
          <textarea aria-label="New comment" rows={3} maxLength={10000} value={text} placeholder="Write a comment; @name@example.com notifies a member" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <ErrorBox error={error} />
          {sent && (
            <div class="notice" role="status">
              {sent}
            </div>
          )}
          <div class="row end">
            <button class="primary" type="submit" disabled={!text.trim()}>
              Comment
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
