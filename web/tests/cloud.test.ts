// cloud.test.ts - the pure parts of Pluto Cloud's pages: the side-by-side diff, the
// schedule form's checks, the filters' query strings.
import { describe, expect, it } from 'vitest';
import { sideBySide } from '../src/cloud/sidebyside';
import { scheduleBody } from '../src/cloud/pages/Schedules';
import { auditQuery } from '../src/cloud/pages/Audit';
import { runsQuery } from '../src/cloud/pages/Runs';

describe('sideBySide', () => {
  const diff = ['--- a/x.sql', '+++ b/x.sql', '@@ -1,4 +1,5 @@', ' select', '-  a,', '-  b', '+  a2,', '+  b2,', '+  c', ' from t', '@@ -10,2 +11,1 @@', ' where', '-  x', ''].join('\n');
  const rows = sideBySide(diff);
  it('pairs a removed run with the added run that replaced it', () => {
    expect(rows.slice(0, 4).map((r) => r.kind)).toEqual(['same', 'changed', 'changed', 'added']);
    expect(rows[1]).toEqual({ kind: 'changed', left: { n: 2, text: '  a,' }, right: { n: 2, text: '  a2,' } });
    expect(rows[3]).toEqual({ kind: 'added', left: undefined, right: { n: 4, text: '  c' } });
  });
  it('numbers each side from its hunk and marks the gap between hunks', () => {
    expect(rows[4]).toEqual({ kind: 'same', left: { n: 4, text: 'from t' }, right: { n: 5, text: 'from t' } });
    expect(rows[5].kind).toBe('gap');
    expect(rows[6]).toEqual({ kind: 'same', left: { n: 10, text: 'where' }, right: { n: 11, text: 'where' } });
    expect(rows[7]).toEqual({ kind: 'removed', left: { n: 11, text: '  x' }, right: undefined });
  });
  it('shows a new file on the right only, and ignores the no-newline marker', () => {
    const r = sideBySide('--- /dev/null\n+++ b/n.yaml\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n');
    expect(r.map((x) => [x.kind, x.left, x.right?.n])).toEqual([
      ['added', undefined, 1],
      ['added', undefined, 2],
    ]);
  });
});

describe('scheduleBody', () => {
  const ok = { name: ' nightly ', pipeline_id: 'p1', cron: ' 0 6 * * * ', timezone: 'Europe/Berlin', agent_id: '', grace_s: '600', catch_up: 'latest', catch_up_max: '10', snapshot: '' };
  it('makes the body the API takes', () => {
    const { body, errors } = scheduleBody(ok);
    expect(errors).toEqual({});
    expect(body).toEqual({ pipeline_id: 'p1', cron: '0 6 * * *', timezone: 'Europe/Berlin', grace_s: 600, catch_up: 'latest', catch_up_max: 10, snapshot: [], name: 'nightly' });
  });
  it('names each field that is wrong', () => {
    const { errors } = scheduleBody({ ...ok, pipeline_id: '', cron: '0 6 * *', grace_s: '0', catch_up_max: '101' });
    expect(Object.keys(errors).sort()).toEqual(['catch_up_max', 'cron', 'grace_s', 'pipeline_id']);
    expect(scheduleBody({ ...ok, cron: '@hourly' }).errors).toEqual({});
    expect(scheduleBody({ ...ok, snapshot: 'daily, top_5' }).body.snapshot).toEqual(['daily', 'top_5']);
    expect(Object.keys(scheduleBody({ ...ok, snapshot: 'daily; drop table' }).errors)).toEqual(['snapshot']);
  });
});

describe('filters', () => {
  it('sends only the filters that are set, times as RFC 3339', () => {
    expect(auditQuery({ action: ' member. ', actor: '' }, { limit: '5' })).toBe('?action=member.&limit=5');
    expect(auditQuery({})).toBe('');
    const q = new URLSearchParams(runsQuery({ state: 'failed', since: '2026-12-01T10:00' }).slice(1));
    expect(q.get('state')).toBe('failed');
    expect(new Date(q.get('since')!).getTime()).toBe(new Date('2026-12-01T10:00').getTime());
    expect(q.get('limit')).toBe('200');
  });
});
