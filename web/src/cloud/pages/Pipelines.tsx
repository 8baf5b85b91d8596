// Pipelines.tsx - the workspace's pipelines; one pipeline's versions with their
// files, a side-by-side diff of any two, rollback (a new version with an older
// one's content) and pinning (the version its schedules run); comments on a version.

import { useEffect, useState } from 'preact/hooks';
import { linkProps, navigate } from '../../router';
import { Empty, ErrorBox, Spinner, useAsync, when } from '../../ui';
import { Confirm, useAction, type Confirmation, Head } from '../parts';
import { del, get, patch, post } from '../api';
import { canEdit, isOwner, type PageProps, type Workspace } from '../roles';
import { sideBySide } from '../sidebyside';
import { Comments } from './Comments';

export interface Pipeline {
  id: string;
  name: string;
  kind: string;
  current_version: number;
  pinned_version: number | null;
  created_at: string;
  updated_at: string;
  created_by: string;
}
interface Version {
  number: number;
  parent: number | null;
  diverged_from: number | null;
  rollback_of: number | null;
  author: string | null;
  message: string;
  file_count: number;
  size: number;
  created_at: string;
}
interface DiffFile {
  path: string;
  status: string;
  changed_lines: number;
  diff: string;
}

export function PipelinesPage(props: PageProps) {
  return props.route[0] ? <PipelineDetail {...props} id={props.route[0]} key={props.route[0]} /> : <PipelineList {...props} />;
}

function PipelineList({ ws }: PageProps) {
  const list = useAsync(() => get<Pipeline[]>(`/workspaces/${ws.id}/pipelines`), [ws.id]);
  return (
    <div style={{ maxWidth: '960px' }}>
      <h1>Pipelines</h1>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.length === 0 && (
        <Empty>
          No pipelines yet. Push one from Pluto Duck: <code>pluto-duck cloud push PROJECT</code>
        </Empty>
      )}
      {!!list.data?.length && (
        <table class="simple">
          <Head cols={['Name', 'Kind', 'Newest', 'Runs as', 'Changed']} />
          <tbody>
            {list.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <a {...linkProps(`/w/${ws.id}/pipelines/${p.id}`)}>{p.name}</a>
                </td>
                <td>{p.kind}</td>
                <td>v{p.current_version}</td>
                <td>{p.pinned_version ? <span class="badge pinned">pinned v{p.pinned_version}</span> : 'newest'}</td>
                <td class="muted">{when(p.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function SideBySide({ file }: { file: DiffFile }) {
  const rows = sideBySide(file.diff);
  return (
    <div class="diff-file">
      <div class="diff-head">
        <span class="mono">{file.path}</span> <span class={`badge ${file.status}`}>{file.status}</span> <span class="muted">{file.changed_lines} line(s) changed</span>
      </div>
      <table class="diff" aria-label={`Changes to ${file.path}`}>
        <tbody>
          {rows.map((r, i) =>
            r.kind === 'gap' ? (
              <tr class="gap" key={i}>
                <td colSpan={4}>⋯</td>
              </tr>
            ) : (
              <tr class={r.kind} key={i}>
                <td class="n">{r.left?.n ?? ''}</td>
                <td class={`l ${r.left && r.kind !== 'same' ? 'del' : ''}`}>{r.left?.text ?? ''}</td>
                <td class="n">{r.right?.n ?? ''}</td>
                <td class={`r ${r.right && r.kind !== 'same' ? 'add' : ''}`}>{r.right?.text ?? ''}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function Compare({ ws, p, versions }: { ws: Workspace; p: Pipeline; versions: Version[] }) {
  const newest = p.current_version;
  const [from, setFrom] = useState(Math.max(1, newest - 1));
  const [to, setTo] = useState(newest);
  const diff = useAsync(() => get<{ files: DiffFile[] }>(`/workspaces/${ws.id}/pipelines/${p.id}/diff?from=${from}&to=${to}`), [p.id, from, to]);
  const pick = (v: number, set: (n: number) => void, label: string) => (
    <select aria-label={label} value={v} onChange={(e) => set(Number((e.target as HTMLSelectElement).value))}>
      {versions.map((x) => (
        <option key={x.number} value={x.number}>
          v{x.number}
        </option>
      ))}
    </select>
  );
  return (
    <section class="panel">
      <div class="row">
        <h2>Compare</h2>
        {pick(from, setFrom, 'Compare from')} → {pick(to, setTo, 'Compare to')}
      </div>
      <ErrorBox error={diff.error} />
      {diff.data && diff.data.files.length === 0 && <p class="muted">These versions have the same files.</p>}
      {diff.data?.files.map((f) => <SideBySide file={f} key={f.path} />)}
    </section>
  );
}

function Files({ ws, p, number }: { ws: Workspace; p: Pipeline; number: number }) {
  const v = useAsync(() => get<{ files: Record<string, string> }>(`/workspaces/${ws.id}/pipelines/${p.id}/versions/${number}`), [p.id, number]);
  const [open, setOpen] = useState('');
  useEffect(() => setOpen(''), [number]);
  if (v.error) return <ErrorBox error={v.error} />;
  if (!v.data) return <Spinner />;
  const paths = Object.keys(v.data.files).sort();
  const shown = open || paths[0];
  return (
    <div class="split files">
      <ul class="list-items list" aria-label="Files">
        {paths.map((f) => (
          <li key={f}>
            <button class={`item mono ${f === shown ? 'active' : ''}`} onClick={() => setOpen(f)}>
              {f}
            </button>
          </li>
        ))}
      </ul>
      <pre class="detail">{shown ? v.data.files[shown] : ''}</pre>
    </div>
  );
}

function PipelineDetail({ ws, me, id }: PageProps & { id: string }) {
  const p = useAsync(() => get<Pipeline>(`/workspaces/${ws.id}/pipelines/${id}`), [id]);
  const versions = useAsync(() => get<Version[]>(`/workspaces/${ws.id}/pipelines/${id}/versions`), [id]);
  const [selected, setSelected] = useState<number>(Number(new URLSearchParams(location.search).get('version')) || 0);
  const [confirm, setConfirm] = useState<Confirmation | null>(null);
  const { act: run, outcome } = useAction();
  if (p.error) return <ErrorBox error={p.error} />;
  if (!p.data || !versions.data) return <Spinner />;
  const pipe = p.data;
  const shown = selected || pipe.current_version;
  const act = (work: () => Promise<unknown>, done: string) =>
    run(work, done, () => {
      p.reload();
      versions.reload();
    });
  return (
    <div>
      <div class="row">
        <a {...linkProps(`/w/${ws.id}/pipelines`)}>Pipelines</a> /
        <h1 style={{ margin: 0 }}>{pipe.name}</h1>
        <span class="badge">{pipe.kind}</span>
        {pipe.pinned_version ? <span class="badge pinned">pinned v{pipe.pinned_version}</span> : <span class="muted">schedules run the newest version</span>}
        <span class="spacer" />
        {canEdit(ws) && pipe.pinned_version && (
          <button onClick={() => act(() => patch(`/workspaces/${ws.id}/pipelines/${id}`, { pinned_version: null }), 'Unpinned: schedules run the newest version.')}>Unpin</button>
        )}
        {isOwner(ws) && (
          <button
            class="danger"
            onClick={() =>
              setConfirm({
                title: `Delete ${pipe.name}?`,
                text: 'Every version goes, and its schedules with them. Runs and their reports stay in the history.',
                action: 'Delete',
                run: () => run(() => del(`/workspaces/${ws.id}/pipelines/${id}`), '', () => navigate(`/w/${ws.id}/pipelines`)),
              })
            }
          >
            Delete
          </button>
        )}
      </div>
      {outcome}
      <section class="panel">
        <h2>Versions</h2>
        <table class="simple versions">
          <Head cols={['Version', 'Author', 'Message', 'Files', 'Made', '']} />
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.number} class={v.number === shown ? 'selected' : ''}>
                <td>
                  <button class="link" onClick={() => setSelected(v.number)} aria-label={`Show v${v.number}`}>
                    v{v.number}
                  </button>
                  {v.number === pipe.pinned_version && <span class="badge pinned">pinned</span>}
                  {v.diverged_from && <span class="badge stale" title={`made from v${v.parent}, not from v${v.diverged_from}`}>diverged</span>}
                  {v.rollback_of && <span class="muted"> (content of v{v.rollback_of})</span>}
                </td>
                <td>{v.author}</td>
                <td>{v.message}</td>
                <td>{v.file_count}</td>
                <td class="muted">{when(v.created_at)}</td>
                <td class="nowrap">
                  {canEdit(ws) && v.number !== pipe.pinned_version && (
                    <button class="small" onClick={() => act(() => patch(`/workspaces/${ws.id}/pipelines/${id}`, { pinned_version: v.number }), `Pinned to v${v.number}: schedules run it.`)}>
                      Pin
                    </button>
                  )}
                  {canEdit(ws) && v.number !== pipe.current_version && (
                    <button
                      class="small"
                      onClick={() =>
                        setConfirm({
                          title: `Roll back to v${v.number}?`,
                          text: `A new version v${pipe.current_version + 1} is made with the files of v${v.number}. Nothing is deleted.`,
                          action: 'Roll back',
                          run: () => act(() => post(`/workspaces/${ws.id}/pipelines/${id}/rollback`, { to: v.number }), `Rolled back: v${pipe.current_version + 1} has the files of v${v.number}.`),
                        })
                      }
                    >
                      Roll back
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Files of v{shown}</h2>
        <Files ws={ws} p={pipe} number={shown} />
      </section>
      {versions.data.length > 1 && <Compare ws={ws} p={pipe} versions={versions.data} />}
      <Comments ws={ws} me={me} kind="version" target={`${pipe.id}/${shown}`} key={shown} />
      {confirm && <Confirm c={confirm} onCancel={() => setConfirm(null)} />}
    </div>
  );
}
