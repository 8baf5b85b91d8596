// components.test.tsx - components rendered in jsdom: the grid keeps only the rows
// in view in the page; charts draw what the data says; errors show their message.
import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import { Grid } from '../src/grid';
import { Chart } from '../src/chart';
import { ErrorBox } from '../src/ui';
import { ApiError } from '../src/api';
import { CloudStatusBar } from '../src/app';

function mount(vnode: any): HTMLElement {
  const el = document.createElement('div');
  document.body.appendChild(el);
  render(vnode, el);
  return el;
}

describe('Grid', () => {
  it('puts only the visible rows of 100,000 in the page', () => {
    const rows = Array.from({ length: 100000 }, (_, i) => [i, `row ${i}`, i % 3 ? null : 1.5]);
    const el = mount(<Grid columns={[{ name: 'n', type: 'BIGINT' }, { name: 's', type: 'VARCHAR' }, { name: 'x', type: 'DOUBLE' }]} rows={rows} height={300} />);
    const shown = el.querySelectorAll('.r');
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(60);
    expect(el.querySelector('[role=grid]')!.getAttribute('aria-rowcount')).toBe('100001');
    expect(el.querySelector('.c.null')!.textContent).toBe('NULL');
    expect(el.querySelector('.c.num')).not.toBeNull();
  });
});

describe('Chart', () => {
  const columns = [{ name: 'status', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }];
  const rows = [['a', 3], ['b', 5], ['c', 0]];
  it('draws a bar per category and a slice per value', () => {
    expect(mount(<Chart columns={columns} rows={rows} spec={{ kind: 'bar', x: 'status', y: 'n' }} />).querySelectorAll('rect').length).toBe(3);
    expect(mount(<Chart columns={columns} rows={rows} spec={{ kind: 'pie', x: 'status', y: 'n' }} />).querySelectorAll('path').length).toBe(3);
    expect(mount(<Chart columns={columns} rows={rows} spec={{ kind: 'line', x: 'status', y: 'n' }} />).querySelector('polyline')!.getAttribute('points')!.split(' ')).toHaveLength(3);
  });
  it('says which column is missing', () => {
    expect(mount(<Chart columns={columns} rows={rows} spec={{ kind: 'bar', x: 'status', y: 'total' }} />).textContent).toMatch(/no column total/);
  });
});

describe('ErrorBox', () => {
  it("shows the server's message", () => {
    const el = mount(<ErrorBox error={new ApiError(404, 'not_found', "no source named 'x'")} />);
    expect(el.textContent).toContain("no source named 'x'");
    expect(el.querySelector('[role=alert]')).not.toBeNull();
  });
});

describe('CloudStatusBar', () => {
  const base = {
    signed_in: true,
    workspace_name: 'Data team',
    outbox: { pending: 0, failed: 0 },
    runner: { polling: true, notices: [] as { at: string; text: string }[] },
  };
  it('shows nothing when nobody is signed in', () => {
    const el = mount(<CloudStatusBar status={{ ...base, signed_in: false }} />);
    expect(el.textContent).toBe('');
  });
  it('says when the cloud is unreachable and what waits to be sent', () => {
    const el = mount(
      <CloudStatusBar status={{ ...base, outbox: { pending: 4, failed: 0 }, runner: { ...base.runner, offline_since: '2026-12-04T10:00:00Z' } }} />,
    );
    expect(el.textContent).toContain('unreachable since 2026-12-04T10:00:00Z');
    expect(el.textContent).toContain('4 update(s) waiting');
  });
  it('shows a catch-up notice as text until it is dismissed', async () => {
    const text = 'catching up an occurrence <b>missed</b> while the app was off';
    const el = mount(<CloudStatusBar status={{ ...base, runner: { ...base.runner, notices: [{ at: 'now', text }] } }} />);
    expect(el.querySelector('[role=status]')!.textContent).toContain(text);
    expect(el.querySelector('b')).toBeNull(); // a notice is never markup
    (el.querySelector('[role=status] button') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect(el.querySelector('[role=status]')).toBeNull();
  });
});
