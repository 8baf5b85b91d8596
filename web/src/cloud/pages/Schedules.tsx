// Schedules.tsx - when pipelines run: cron in a time zone, for one agent or any,
// how long an occurrence waits for an agent (grace) and what is caught up after a
// machine was off. A schedule's page shows its next occurrences and what became of
// the past ones (run, missed, skipped and why); editors pause, resume, run now.

import { useState } from 'preact/hooks';
import { linkProps, navigate } from '../../router';
import { Empty, ErrorBox, Modal, Spinner, useAsync, when } from '../../ui';
import { del, get, patch, post } from '../api';
import { Confirm, useAction, type Confirmation, Head } from '../parts';
import { canEdit, type PageProps, type Workspace } from '../roles';
import type { Pipeline } from './Pipelines';
import { stateBadge } from './Runs';

interface Schedule {
  id: string;
  name: string;
  pipeline_id: string;
  cron: string;
  timezone: string;
  agent_id: string | null;
  grace_s: number;
  catch_up: 'none' | 'latest' | 'all';
  catch_up_max: number;
  paused: boolean;
  snapshot: string[];
  next_due: string | null;
  next?: string[];
}
interface Occurrence {
  id: string;
  due_at: string;
  manual: boolean;
  state: string;
  claimed_by: string | null;
  run_id: string | null;
  reason: string | null;
}

type Form = { name: string; pipeline_id: string; cron: string; timezone: string; agent_id: string; grace_s: string; catch_up: string; catch_up_max: string; snapshot: string };

const blank: Form = { name: '', pipeline_id: '', cron: '0 6 * * *', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', agent_id: '', grace_s: '600', catch_up: 'latest', catch_up_max: '10', snapshot: '' };

/** The body for a create or an update; a message per field that is wrong. */
export function scheduleBody(f: Form): { body: Record<string, unknown>; errors: Partial<Record<keyof Form, string>> } {
  const errors: Partial<Record<keyof Form, string>> = {};
  if (!f.pipeline_id) errors.pipeline_id = 'choose a pipeline';
  const fields = f.cron.trim().split(/\s+/);
  if (!(f.cron.trim().startsWith('@') || fields.length === 5)) errors.cron = 'five fields (minute hour day month weekday), or @daily, @hourly…';
  const grace = Number(f.grace_s);
  if (!Number.isInteger(grace) || grace < 1 || grace > 86400) errors.grace_s = 'whole seconds from 1 to 86400';
  const max = Number(f.catch_up_max);
  if (!Number.isInteger(max) || max < 1 || max > 100) errors.catch_up_max = 'from 1 to 100';
  const snapshot = f.snapshot.split(/[\s,]+/).filter(Boolean);
  if (snapshot.some((s) => !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(s))) errors.snapshot = 'analysis ids (letters, digits, _), separated by commas';
  else if (snapshot.length > 20) errors.snapshot = 'at most 20';
  const body: Record<string, unknown> = { pipeline_id: f.pipeline_id, cron: f.cron.trim(), timezone: f.timezone.trim() || 'UTC', grace_s: grace, catch_up: f.catch_up, catch_up_max: max, snapshot };
  if (f.name.trim()) body.name = f.name.trim();
  if (f.agent_id.trim()) body.agent_id = f.agent_id.trim();
  return { body, errors };
}

function ScheduleForm({ ws, initial, pipelines, onSaved, onCancel, id }: { ws: Workspace; initial: Form; pipelines: Pipeline[]; onSaved: (s: Schedule) => void; onCancel: () => void; id?: string }) {
  const [f, setF] = useState<Form>(initial);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>();
  const { body, errors } = scheduleBody(f);
  const save = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length) return;
    setError(undefined);
    try {
      if (id) {
        delete body.pipeline_id;
        onSaved(await patch<Schedule>(`/workspaces/${ws.id}/schedules/${id}`, body));
      } else onSaved(await post<Schedule>(`/workspaces/${ws.id}/schedules`, body));
    } catch (err) {
      setError(err);
    }
  };
  const field = (k: keyof Form, label: string, extra: Record<string, unknown> = {}) => (
    <label>
      <span class="name">{label}</span>
      <input value={f[k]} aria-invalid={touched && !!errors[k]} onInput={(e) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })} {...extra} />
      {touched && errors[k] && <div class="field-error">{errors[k]}</div>}
    </label>
  );
  return (
    <form class="schedule-form" onSubmit={save} aria-label={id ? 'Edit schedule' : 'New schedule'}>
      {!id && (
        <label>
          <span class="name">Pipeline</span>
          <select value={f.pipeline_id} aria-invalid={touched && !!errors.pipeline_id} onChange={(e) => setF({ ...f, pipeline_id: (e.target as HTMLSelectElement).value })}>
            <option value="">choose…</option>
            {pipelines.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          {touched && errors.pipeline_id && <div class="field-error">{errors.pipeline_id}</div>}
        </label>
      )}
      {field('name', 'Name')}
      {field('cron', 'Cron (minute hour day month weekday)', { class: 'mono' })}
      {field('timezone', 'Time zone (IANA)', { placeholder: 'Europe/Berlin' })}
      {field('agent_id', 'Only this agent (empty: any)', { placeholder: 'an agent token id' })}
      {field('grace_s', 'Grace (seconds an occurrence waits for an agent)', { type: 'number', min: 1, max: 86400 })}
      <label>
        <span class="name">When a machine was off</span>
        <select value={f.catch_up} onChange={(e) => setF({ ...f, catch_up: (e.target as HTMLSelectElement).value })}>
          <option value="latest">run the latest missed occurrence</option>
          <option value="all">run every missed occurrence (up to a limit)</option>
          <option value="none">run nothing missed</option>
        </select>
      </label>
      {f.catch_up === 'all' && field('catch_up_max', 'At most this many', { type: 'number', min: 1, max: 100 })}
      {field('snapshot', 'Share these results as Parquet (analysis ids; empty: none)', { placeholder: 'daily_revenue, top_customers' })}
      {f.snapshot.trim() && <div class="notice">Each run uploads the rows of these results to the team: they leave the machine that runs it.</div>}
      <ErrorBox error={error} />
      <div class="row end">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button class="primary" type="submit">
          {id ? 'Save' : 'Create schedule'}
        </button>
      </div>
    </form>
  );
}

export function SchedulesPage(props: PageProps) {
  return props.route[0] ? <ScheduleDetail {...props} id={props.route[0]} key={props.route[0]} /> : <ScheduleList {...props} />;
}

function ScheduleList({ ws }: PageProps) {
  const list = useAsync(() => get<Schedule[]>(`/workspaces/${ws.id}/schedules`), [ws.id]);
  const pipes = useAsync(() => get<Pipeline[]>(`/workspaces/${ws.id}/pipelines`), [ws.id]);
  const [creating, setCreating] = useState(false);
  const names = new Map((pipes.data ?? []).map((p) => [p.id, p.name]));
  return (
    <div style={{ maxWidth: '1000px' }}>
      <div class="row">
        <h1>Schedules</h1>
        <span class="spacer" />
        {canEdit(ws) && (
          <button class="primary" onClick={() => setCreating(true)} disabled={!pipes.data?.length}>
            New schedule
          </button>
        )}
      </div>
      <ErrorBox error={list.error ?? pipes.error} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.length === 0 && <Empty>No schedules. {canEdit(ws) ? 'Make one to run a pipeline on the team’s machines.' : ''}</Empty>}
      {!!list.data?.length && (
        <table class="simple schedules">
          <Head cols={['Schedule', 'Pipeline', 'When', 'Next', 'Catch-up']} />
          <tbody>
            {list.data.map((s) => (
              <tr key={s.id}>
                <td>
                  <a {...linkProps(`/w/${ws.id}/schedules/${s.id}`)}>{s.name || s.cron}</a> {s.paused && <span class="badge stale">paused</span>}
                </td>
                <td>{names.get(s.pipeline_id) ?? ''}</td>
                <td class="mono">
                  {s.cron} <span class="muted">{s.timezone}</span>
                </td>
                <td class="muted">{s.paused ? '' : when(s.next_due)}</td>
                <td>{s.catch_up}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && pipes.data && (
        <Modal title="New schedule" onClose={() => setCreating(false)}>
          <ScheduleForm ws={ws} initial={blank} pipelines={pipes.data} onCancel={() => setCreating(false)} onSaved={(s) => navigate(`/w/${ws.id}/schedules/${s.id}`)} />
        </Modal>
      )}
    </div>
  );
}

function ScheduleDetail({ ws, id }: PageProps & { id: string }) {
  const s = useAsync(() => get<Schedule>(`/workspaces/${ws.id}/schedules/${id}`), [id]);
  const occ = useAsync(() => get<Occurrence[]>(`/workspaces/${ws.id}/schedules/${id}/occurrences?limit=100`), [id]);
  const pipes = useAsync(() => get<Pipeline[]>(`/workspaces/${ws.id}/pipelines`), [ws.id]);
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState<Confirmation | null>(null);
  const { act: run, outcome } = useAction();
  if (s.error) return <ErrorBox error={s.error} />;
  if (!s.data) return <Spinner />;
  const sch = s.data;
  const pipe = pipes.data?.find((p) => p.id === sch.pipeline_id);
  const act = (work: () => Promise<unknown>, done: string) =>
    run(work, done, () => {
      s.reload();
      occ.reload();
    });
  const missed = (occ.data ?? []).filter((o) => o.state === 'missed' || o.state === 'skipped' || o.state === 'expired');
  return (
    <div style={{ maxWidth: '1000px' }}>
      <div class="row">
        <a {...linkProps(`/w/${ws.id}/schedules`)}>Schedules</a> /<h1 style={{ margin: 0 }}>{sch.name || sch.cron}</h1>
        {sch.paused && <span class="badge stale">paused</span>}
        <span class="spacer" />
        {canEdit(ws) && (
          <>
            <button onClick={() => act(() => post(`/workspaces/${ws.id}/schedules/${id}/trigger`, {}), 'Due now: an agent picks it up at its next poll.')}>Run now</button>
            <button onClick={() => act(() => patch(`/workspaces/${ws.id}/schedules/${id}`, { paused: !sch.paused }), sch.paused ? 'Resumed from now: the paused time is not caught up.' : 'Paused.')}>{sch.paused ? 'Resume' : 'Pause'}</button>
            <button onClick={() => setEditing(true)}>Edit</button>
            <button
              class="danger"
              onClick={() =>
                setConfirm({
                  title: 'Delete this schedule?',
                  text: 'Its past occurrences go with it; the runs stay in the history.',
                  action: 'Delete',
                  run: () => run(() => del(`/workspaces/${ws.id}/schedules/${id}`), '', () => navigate(`/w/${ws.id}/schedules`)),
                })
              }
            >
              Delete
            </button>
          </>
        )}
      </div>
      {outcome}
      <dl class="facts">
        <dt>Pipeline</dt>
        <dd>{pipe ? <a {...linkProps(`/w/${ws.id}/pipelines/${pipe.id}`)}>{pipe.name}</a> : sch.pipeline_id} {pipe && <span class="muted">runs {pipe.pinned_version ? `v${pipe.pinned_version} (pinned)` : `the newest version (v${pipe.current_version})`}</span>}</dd>
        <dt>When</dt>
        <dd class="mono">
          {sch.cron} in {sch.timezone}
        </dd>
        <dt>Agent</dt>
        <dd class="mono">{sch.agent_id ?? 'any'}</dd>
        <dt>Grace</dt>
        <dd>{sch.grace_s} s</dd>
        <dt>Catch-up</dt>
        <dd>{sch.catch_up === 'all' ? `all (at most ${sch.catch_up_max})` : sch.catch_up}</dd>
        <dt>Snapshots</dt>
        <dd>{sch.snapshot?.length ? sch.snapshot.join(', ') + ' (Parquet, each run)' : 'none: no data leaves the machines'}</dd>
      </dl>
      <div class="split">
        <section class="panel list">
          <h2>Next</h2>
          {sch.paused ? (
            <p class="muted">Paused.</p>
          ) : (
            <ol class="next" aria-label="Next occurrences">
              {(sch.next ?? []).map((t) => (
                <li key={t}>{when(t)}</li>
              ))}
            </ol>
          )}
        </section>
        <section class="panel detail">
          <h2>Past occurrences</h2>
          {missed.length > 0 && (
            <p class="muted">
              {missed.length} missed or skipped of the last {occ.data?.length}.
            </p>
          )}
          <ErrorBox error={occ.error} />
          {occ.data?.length === 0 && <p class="muted">None yet.</p>}
          {!!occ.data?.length && (
            <table class="simple occurrences">
              <Head cols={['Due', 'State', 'Run', 'Why']} />
              <tbody>
                {occ.data.map((o) => (
                  <tr key={o.id}>
                    <td>
                      {when(o.due_at)} {o.manual && <span class="muted">(run now)</span>}
                    </td>
                    <td>{stateBadge(o.state)}</td>
                    <td>{o.run_id && <a class="mono" {...linkProps(`/w/${ws.id}/runs/${o.run_id}`)}>{o.run_id.slice(-8)}</a>}</td>
                    <td class="muted">{o.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {editing && pipes.data && (
        <Modal title="Edit schedule" onClose={() => setEditing(false)}>
          <ScheduleForm
            ws={ws}
            id={id}
            pipelines={pipes.data}
            initial={{ name: sch.name ?? '', pipeline_id: sch.pipeline_id, cron: sch.cron, timezone: sch.timezone, agent_id: sch.agent_id ?? '', grace_s: String(sch.grace_s), catch_up: sch.catch_up, catch_up_max: String(sch.catch_up_max), snapshot: (sch.snapshot ?? []).join(', ') }}
            onCancel={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              act(async () => {}, 'Saved.');
            }}
          />
        </Modal>
      )}
      {confirm && <Confirm c={confirm} onCancel={() => setConfirm(null)} />}
    </div>
  );
}
