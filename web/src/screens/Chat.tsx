// Chat.tsx - conversations with the agent: the list, the turns of one (answers with
// their SQL, result and suggested chart), a live run streaming its steps, approval
// prompts inline, and "save as analysis" / "add to board" on any answer.

import { parseExact } from '../lib/json';
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, streamEvents, type StreamHandle } from '../api';
import { Chart } from '../chart';
import { Grid } from '../grid';
import type { ChartSpec } from '../lib/chartdata';
import { linkProps, navigate } from '../router';
import { Empty, ErrorBox, Modal, Spinner, useAsync, when } from '../ui';
import { AddToBoard, SaveAnalysis } from './actions';

interface Message {
  role: 'user' | 'assistant';
  content: string;
  run_id?: string;
  data?: { sql?: string; result?: any; chart?: { type: string; x: string; y: string }; answered?: boolean; error?: string };
  created_at?: string;
}

interface Step {
  kind: 'reasoning' | 'tool' | 'approval' | 'error';
  id?: string;
  name?: string;
  args?: string;
  result?: unknown;
  error?: string;
  text?: string;
  approval?: { id: string; tool: string; args?: string; decision?: string };
}

interface LiveRun {
  runId: string;
  question: string;
  steps: Step[];
  text: string;
  reconnecting: boolean;
  error?: string;
}

/** One event of an agent run (its stream) into the run's steps and text. */
function applyEvent(r: LiveRun, event: string | undefined, data: string | undefined) {
  const ev = data ? parseExact(data) : {};
  const c = ev.content ?? {};
  if (event === 'reasoning') r.steps.push({ kind: 'reasoning', text: c.text });
  else if (event === 'tool' && ev.subtype === 'start') r.steps.push({ kind: 'tool', id: c.id, name: c.name, args: c.arguments });
  else if (event === 'tool') {
    const s = r.steps.find((x) => x.kind === 'tool' && x.id === c.id && x.result === undefined && !x.error);
    if (s) {
      s.result = ev.subtype === 'end' ? c.result : undefined;
      s.error = ev.subtype === 'error' ? c.error : undefined;
    }
  } else if (event === 'approval' && ev.subtype === 'start')
    r.steps.push({ kind: 'approval', approval: { id: c.approval_id, tool: c.tool, args: c.arguments } });
  else if (event === 'approval' && ev.subtype === 'end') {
    const s = r.steps.find((x) => x.approval?.id === c.approval_id);
    if (s) s.approval = { ...s.approval!, decision: c.decision };
  } else if (event === 'message' && ev.subtype === 'chunk') r.text += c.text;
  else if (event === 'run' && ev.subtype === 'error') r.steps.push({ kind: 'error', error: c.message });
  else if (event === 'failed') r.error = ev.error?.message;
}

/** A finished answer's steps, read again from its run's events when first opened. */
function PastSteps({ runId }: { runId: string }) {
  const [run, setRun] = useState<LiveRun | null>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open || run) return;
    const r: LiveRun = { runId, question: '', steps: [], text: '', reconnecting: false };
    const h = streamEvents(`/agent/${runId}/events`, {
      onEvent: (e) => applyEvent(r, e.event, e.data),
      onEnd: () => setRun({ ...r, text: '' }),
    });
    return () => h.close();
  }, [open]);
  return (
    <details class="past-steps" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Steps</summary>
      {run ? <Steps run={run} onDecided={() => undefined} /> : open && <Spinner />}
    </details>
  );
}

function chartSpec(c: { type: string; x: string; y: string }): ChartSpec {
  const kind = (['bar', 'line', 'area', 'pie', 'scatter'].includes(c.type) ? c.type : 'bar') as ChartSpec['kind'];
  return { kind, x: c.x, y: c.y };
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      class="small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          /* clipboard not allowed: select the text instead */
        }
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? 'Copied' : 'Copy SQL'}
    </button>
  );
}

function Answer({ m, question }: { m: Message; question?: string }) {
  const [dialog, setDialog] = useState<'save' | 'board' | null>(null);
  const d = m.data ?? {};
  if (d.error) return <div class="turn assistant"><ErrorBox error={m.content} /></div>;
  return (
    <div class="turn assistant">
      {m.run_id && <PastSteps runId={m.run_id} />}
      <div>{m.content}</div>
      {d.sql && (
        <>
          <pre class="sql">{d.sql}</pre>
          <div class="row">
            <CopyButton text={d.sql} />
            <button class="small" onClick={() => setDialog('save')}>Save as analysis</button>
            <button class="small" onClick={() => setDialog('board')}>Add to board</button>
          </div>
        </>
      )}
      {d.result?.columns?.length > 0 && (
        <div style={{ marginTop: '0.5rem' }}>
          <Grid columns={d.result.columns} rows={d.result.rows} height={220} />
          {d.result.row_count > d.result.rows.length && (
            <div class="muted">showing {d.result.rows.length} of {d.result.row_count} rows</div>
          )}
        </div>
      )}
      {d.chart && d.result?.rows?.length > 1 && (
        <div style={{ marginTop: '0.5rem' }}>
          <div class="muted">Suggested chart: {d.chart.type} of {d.chart.y} by {d.chart.x}</div>
          <Chart columns={d.result.columns} rows={d.result.rows} spec={chartSpec(d.chart)} />
        </div>
      )}
      {dialog === 'save' && d.sql && <SaveAnalysis sql={d.sql} description={question} onClose={() => setDialog(null)} />}
      {dialog === 'board' && d.sql && (
        <AddToBoard sql={d.sql} title={question} chart={d.chart ? chartSpec(d.chart) : undefined} onClose={() => setDialog(null)} />
      )}
    </div>
  );
}

function Approval({ runId, step, onDecided }: { runId: string; step: Step; onDecided: () => void }) {
  const a = step.approval!;
  const [editing, setEditing] = useState(false);
  const [args, setArgs] = useState(() => {
    try {
      return JSON.stringify(JSON.parse(a.args ?? '{}'), null, 2);
    } catch {
      return a.args ?? '{}';
    }
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const decide = async (decision: string) => {
    setError(undefined);
    let body: any = { decision };
    if (decision === 'edit') {
      try {
        body.edited_args = JSON.parse(args);
      } catch (e) {
        setError(`the arguments are not valid JSON: ${(e as Error).message}`);
        return;
      }
    }
    setBusy(true);
    try {
      await post(`/agent/${runId}/approvals/${a.id}/decision`, body);
      onDecided();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  if (a.decision) {
    return (
      <div class="approval">
        {a.tool}: <strong>{a.decision === 'approve' ? 'approved' : a.decision === 'edit' ? 'approved with edits' : 'rejected'}</strong>
      </div>
    );
  }
  return (
    <div class="approval" role="group" aria-label={`approval for ${a.tool}`}>
      <div>
        The agent wants to run <strong>{a.tool}</strong>:
      </div>
      {editing ? (
        <textarea rows={6} class="mono" value={args} onInput={(e) => setArgs((e.target as HTMLTextAreaElement).value)} aria-label="arguments" />
      ) : (
        <pre>{args}</pre>
      )}
      <ErrorBox error={error} />
      <div class="row">
        <button class="primary" disabled={busy} onClick={() => decide(editing ? 'edit' : 'approve')}>
          {editing ? 'Approve with these arguments' : 'Approve'}
        </button>
        <button class="danger" disabled={busy} onClick={() => decide('reject')}>Reject</button>
        {!editing && <button disabled={busy} onClick={() => setEditing(true)}>Edit arguments</button>}
      </div>
    </div>
  );
}

function Steps({ run, onDecided }: { run: LiveRun; onDecided: () => void }) {
  return (
    <div class="steps" aria-live="polite">
      {run.steps.map((s) =>
        s.kind === 'reasoning' ? (
          <div>{s.text}</div>
        ) : s.kind === 'tool' ? (
          <details>
            <summary>
              {s.error ? '✗' : s.result !== undefined ? '✓' : '…'} {s.name}
              {s.args && s.args !== '{}' ? ' ' + (s.args.length > 80 ? s.args.slice(0, 79) + '…' : s.args) : ''}
            </summary>
            <pre>{s.args}</pre>
            {s.error && <div class="field-error">{s.error}</div>}
            {s.result !== undefined && <pre>{JSON.stringify(s.result, null, 1).slice(0, 2000)}</pre>}
          </details>
        ) : s.kind === 'approval' ? (
          <Approval runId={run.runId} step={s} onDecided={onDecided} />
        ) : (
          <ErrorBox error={s.error} />
        ),
      )}
      {run.text && <div class="turn assistant">{run.text}</div>}
      {run.reconnecting && <Spinner label="Connection lost: reconnecting…" />}
    </div>
  );
}

/** Questions offered on an empty conversation: a click asks them. */
const EXAMPLES = ['how many orders per month in 2024', 'top 5 customers by revenue'];

/* A run started in a new conversation, picked up once the conversation's page opens. */
const pending = new Map<string, { runId: string; question: string }>();

function Conversation({ id, onChanged }: { id: string | null; onChanged: () => void }) {
  const messages = useAsync<Message[]>(() => (id ? get(`/chat/sessions/${id}/messages`) : Promise.resolve([])), [id]);
  const [question, setQuestion] = useState('');
  const [live, setLive] = useState<LiveRun | null>(null);
  const [error, setError] = useState<unknown>();
  const stream = useRef<StreamHandle>();
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const p = id ? pending.get(id) : undefined;
    if (p && id) {
      pending.delete(id);
      follow(p.runId, p.question);
    }
    return () => stream.current?.close();
  }, [id]);
  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [messages.data, live?.steps.length, live?.text]);

  const follow = (runId: string, q: string) => {
    const run: LiveRun = { runId, question: q, steps: [], text: '', reconnecting: false };
    setLive(run);
    const update = (f: (r: LiveRun) => void) => setLive((r) => (r ? (f(r), { ...r, steps: [...r.steps] }) : r));
    stream.current = streamEvents(`/agent/${runId}/events`, {
      onRetry: (n) => update((r) => (r.reconnecting = n > 0)),
      onEvent: (e) => update((r) => applyEvent(r, e.event, e.data)),
      onEnd: () => {
        setLive((r) => (r && r.error ? r : null));
        messages.reload();
        onChanged();
      },
    });
  };

  const ask = async (text?: string) => {
    const q = (text ?? question).trim();
    if (!q || live) return;
    setError(undefined);
    try {
      const job = id ? await post(`/chat/sessions/${id}/messages`, { content: q }) : await post('/agent/run', { question: q });
      setQuestion('');
      if (id) {
        follow(job.run_id, q);
      } else {
        pending.set(job.conversation_id, { runId: job.run_id, question: q });
        navigate(`/chat/${job.conversation_id}`);
        onChanged();
      }
    } catch (e) {
      setError(e);
    }
  };

  /* while a run is followed live, its turns (already kept) show only once: live */
  const list = (messages.data ?? []).filter((m) => !live || m.run_id !== live.runId);
  return (
    <div class="chat">
      {messages.loading && !messages.data && <Spinner />}
      <ErrorBox error={messages.error} onRetry={messages.reload} />
      {list.length === 0 && !live && !messages.loading && (
        <Empty>
          Ask about your data in plain language, for example{' '}
          {EXAMPLES.map((q, i) => (
            <>
              {i > 0 && ' or '}
              <button class="link" onClick={() => { setQuestion(q); void ask(q); }}>{q}</button>
            </>
          ))}
          , then follow up: "and in 2023?". Offline, the built-in provider answers; configure a model in Settings.
        </Empty>
      )}
      {list.map((m, i) =>
        m.role === 'user' ? (
          <div class="turn user">{m.content}</div>
        ) : (
          <Answer m={m} question={list[i - 1]?.content} />
        ),
      )}
      {live && (
        <>
          <div class="turn user">{live.question}</div>
          <Steps run={live} onDecided={() => undefined} />
          {live.error && <ErrorBox error={live.error} />}
        </>
      )}
      <ErrorBox error={error} />
      <div ref={bottom} />
      <div class="composer">
        <textarea
          rows={2}
          placeholder={id ? 'Ask a follow-up…' : 'Ask a question about your data…'}
          aria-label="question"
          value={question}
          onInput={(e) => setQuestion((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void ask();
            }
          }}
        />
        <button class="primary" onClick={() => ask()} disabled={!question.trim() || !!live}>
          Ask
        </button>
      </div>
    </div>
  );
}

export function ChatScreen({ route }: { route: string[] }) {
  const id = route[0] ?? null;
  const sessions = useAsync<any[]>(() => get('/chat/sessions'), []);
  const [confirm, setConfirm] = useState<any>(null);
  const [error, setError] = useState<unknown>();
  const remove = async (c: any) => {
    try {
      await del(`/chat/sessions/${c.id}`);
      setConfirm(null);
      if (c.id === id) navigate('/chat');
      sessions.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="split">
      <div class="list">
        <div class="row">
          <h1 class="spacer">Chat</h1>
          <button onClick={() => navigate('/chat')}>New</button>
        </div>
        <ErrorBox error={sessions.error} onRetry={sessions.reload} />
        <ul class="list-items" aria-label="Conversations">
          {(sessions.data ?? []).map((c) => (
            <li class="row" style={{ flexWrap: 'nowrap' }}>
              <a class={c.id === id ? 'active spacer' : 'spacer'} {...linkProps(`/chat/${c.id}`)} title={when(c.updated_at)}>
                {c.title}
              </a>
              <button class="link" aria-label={`delete ${c.title}`} onClick={() => setConfirm(c)}>
                ✕
              </button>
            </li>
          ))}
        </ul>
        {sessions.data?.length === 0 && <div class="muted">No conversations yet.</div>}
      </div>
      <div class="detail">
        <Conversation key={id ?? 'new'} id={id} onChanged={sessions.reload} />
      </div>
      {confirm && (
        <Modal title="Delete this conversation?" onClose={() => setConfirm(null)}>
          <p>
            "{confirm.title}" and its work zone will be removed.
          </p>
          <ErrorBox error={error} />
          <div class="row end">
            <button onClick={() => setConfirm(null)}>Keep it</button>
            <button class="danger" onClick={() => remove(confirm)}>Delete</button>
          </div>
        </Modal>
      )}
    </div>
  );
}
