// lib.test.ts - the UI's logic without a browser: event-stream parsing, chart data,
// graph layout, form checks, CSV, board positions.
import { describe, expect, it } from 'vitest';
import { parseSse } from '../src/lib/sse';
import { axisLabels, chartData, ticks, toNumber } from '../src/lib/chartdata';
import { layout, NODE_W } from '../src/lib/layout';
import { checkAttach, checkDuration, checkName, parseReaderOptions } from '../src/lib/validate';
import { toCsv } from '../src/lib/csv';
import { ExactNumber, parseExact } from '../src/lib/json';
import { cellText, pickedText } from '../src/grid';
import { looksLikeRead, reshaped } from '../src/screens/Sql';
import { clampPos } from '../src/screens/Boards';
import { settle } from '../src/lib/boardlayout';
import { checkSettings } from '../src/screens/Settings';
import { draftFields, draftOf, draftProblem, paramSpec } from '../src/lib/analysisdraft';

describe('parseSse', () => {
  it('reads complete events and keeps the rest', () => {
    const { events, rest } = parseSse('id: 1\nevent: started\ndata: {"a":1}\n\nid: 2\nevent: tool\ndata: {"b"');
    expect(events).toEqual([{ id: '1', event: 'started', data: '{"a":1}' }]);
    expect(rest).toBe('id: 2\nevent: tool\ndata: {"b"');
    const more = parseSse(rest + ':2}\n\n');
    expect(more.events[0]).toEqual({ id: '2', event: 'tool', data: '{"b":2}' });
  });
  it('joins data lines, ignores comments, takes CRLF', () => {
    const { events } = parseSse(': keep-alive\r\n\r\ndata: a\r\ndata: b\r\n\r\n');
    expect(events).toEqual([{ id: '', event: 'message', data: 'a\nb' }]);
  });
});

describe('chartData', () => {
  const cols = [{ name: 'month' }, { name: 'status' }, { name: 'n' }];
  const rows = [
    ['2024-01', 'done', 3],
    ['2024-01', 'open', 1],
    ['2024-02', 'done', '4.5'],
    ['2024-01', 'done', 2],
  ];
  it('sums per category, one series per group', () => {
    const d = chartData(cols, rows, { kind: 'bar', x: 'month', y: 'n', group: 'status' });
    expect(d.categories).toEqual(['2024-01', '2024-02']);
    expect(d.series.map((s) => s.name)).toEqual(['done', 'open']);
    expect(d.series[0].values).toEqual([5, 4.5]);
    expect(d.series[1].values[0]).toBe(1);
    expect(Number.isNaN(d.series[1].values[1])).toBe(true);
  });
  it('names a missing column', () => {
    expect(() => chartData(cols, rows, { kind: 'line', x: 'day', y: 'n' })).toThrow(/no column day/);
  });
  it('keeps scatter points that are numbers', () => {
    const d = chartData([{ name: 'x' }, { name: 'y' }], [[1, 2], ['a', 3], [4, null], [5, 6]], { kind: 'scatter', x: 'x', y: 'y' });
    expect(d.points).toEqual([{ x: 1, y: 2, series: 'y' }, { x: 5, y: 6, series: 'y' }]);
  });
  it('ticks cover the range with round steps', () => {
    const t = ticks(0, 1836);
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(1836);
    expect(t[1] - t[0]).toBe(500);
  });
});

describe('layout', () => {
  it('puts each node right of what feeds it, and never two in one place', () => {
    const nodes = ['src.a', 'cache.a', 'main.b', 'x', 'y'].map((id) => ({ id, kind: 'table', name: id }));
    const edges = [
      { from: 'src.a', to: 'cache.a' },
      { from: 'cache.a', to: 'x' },
      { from: 'main.b', to: 'x' },
      { from: 'x', to: 'y' },
      { from: 'main.b', to: 'y' },
    ];
    const g = layout(nodes, edges);
    const at = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
    for (const e of edges) expect(at[e.to].x).toBeGreaterThan(at[e.from].x + NODE_W - 1);
    expect(at.y.layer).toBe(3);
    const spots = new Set(g.nodes.map((n) => `${n.x},${n.y}`));
    expect(spots.size).toBe(nodes.length);
    expect(g.edges).toHaveLength(5);
  });
  it('survives a cycle and edges to unknown nodes', () => {
    const nodes = [{ id: 'a', kind: 'analysis', name: 'a' }, { id: 'b', kind: 'analysis', name: 'b' }];
    const g = layout(nodes, [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'a', to: 'zzz' }]);
    expect(g.nodes).toHaveLength(2);
    expect(g.edges).toHaveLength(2);
  });
});

describe('form checks', () => {
  it('names', () => {
    expect(checkName('source', 'shop_1')).toBeNull();
    expect(checkName('source', '1shop')).toMatch(/letter or _/);
    expect(checkName('source', 'drop table')).toMatch(/letter or _/);
    expect(checkName('source', '')).toMatch(/give the source a name/);
  });
  it('attach: the fields a type needs, before sending', () => {
    expect(checkAttach('pets', 'sqlite', { path: '/tmp/p.sqlite' })).toEqual({});
    expect(checkAttach('pets', 'sqlite', {})).toHaveProperty('path');
    expect(checkAttach('pets', 'sqlite', { path: 'relative.sqlite' }).path).toMatch(/absolute/);
    expect(checkAttach('pets', 'postgres', { dsn: 'host=x' })).toEqual({});
    expect(checkAttach('pets', 'postgres', {}).dsn).toMatch(/needed/);
    expect(checkAttach('pets', 'http', { url: 'ftp://x' }).url).toMatch(/http/);
    expect(checkAttach('my source', 'sqlite', { path: '/x' }).name).toBeTruthy();
  });
  it('durations and settings', () => {
    expect(checkDuration('24h')).toBeNull();
    expect(checkDuration('soon')).toBeTruthy();
    expect(checkSettings({ provider: 'local', timeout: '60s', send_rows: '20', base_url: '' })).toEqual({});
    const bad = checkSettings({ provider: 'openai', model: '', timeout: 'x', send_rows: '5000', base_url: 'ftp://x' });
    expect(Object.keys(bad).sort()).toEqual(['base_url', 'model', 'send_rows', 'timeout']);
    expect(checkSettings({ provider: 'local', timeout: '60s', send_rows: 'none', base_url: 'http://127.0.0.1:11434/v1' })).toEqual({});
  });
});

describe('csv and board positions', () => {
  it('quotes what needs quoting', () => {
    expect(toCsv([{ name: 'a' }, { name: 'b,c' }], [['x "y"', null], [1, 'line\nbreak']])).toBe('a,"b,c"\r\n"x ""y""",\r\n1,"line\nbreak"\r\n');
  });
  it('keeps items on the 12-column grid', () => {
    expect(clampPos({ x: 11.4, y: -2, w: 4, h: 0 })).toEqual({ x: 8, y: 0, w: 4, h: 1 });
    expect(clampPos({ x: -3, y: 2.6, w: 30, h: 3 })).toEqual({ x: 0, y: 3, w: 12, h: 3 });
  });
});

describe('parseExact', () => {
  it('keeps every digit a double cannot hold, and the rest as numbers', () => {
    const v = parseExact('{"rows":[[18446744073709551615, 9007199254740993, 9007199254740991, -170141183460469231731687303715884105728, 123456789012345.12345, 1.5000000000, 0.1, 1e+300, -0]]}');
    const r = v.rows[0];
    expect(r.map(cellText)).toEqual(['18446744073709551615', '9007199254740993', '9007199254740991',
      '-170141183460469231731687303715884105728', '123456789012345.12345', '1.5000000000', '0.1', '1e+300', '0']);
    expect(r[0]).toBeInstanceOf(ExactNumber);
    expect(typeof r[2]).toBe('number');
    expect(typeof r[6]).toBe('number');
    expect(Number(r[4]) > 1e14).toBe(true);
    expect(toNumber(r[3])).toBeLessThan(-1e38); /* charts get its double */
  });
  it('reads strings, escapes, nesting and literals as JSON.parse does', () => {
    const text = '{"a":"x\\"y\\u00e9\\n","b":[true,false,null,{}],"c":[],"d":{"e":-0.00125}}';
    expect(parseExact(text)).toEqual(JSON.parse(text));
    expect(parseExact(' [ 1 , 2 ] ')).toEqual([1, 2]);
    expect(() => parseExact('{"a":1,}')).toThrow(SyntaxError);
    expect(() => parseExact('[1] x')).toThrow(SyntaxError);
    expect(() => parseExact('"open')).toThrow(SyntaxError);
  });
});

describe('parseReaderOptions', () => {
  it('reads NAME=VALUE lines, keeping = and spaces inside values', () => {
    expect(parseReaderOptions('header=true\n\n delim = ; \ncolumns={"a": "INTEGER"}')).toEqual({
      options: { header: 'true', delim: ';', columns: '{"a": "INTEGER"}' },
    });
    expect(parseReaderOptions('')).toEqual({ options: {} });
  });
  it('says which line is not NAME=VALUE', () => {
    expect(parseReaderOptions('header=true\nignore_errors').error).toBe('"ignore_errors" is not NAME=VALUE');
    expect(parseReaderOptions('=x').error).toMatch(/not NAME=VALUE/);
  });
});

describe('checkName', () => {
  it('says "an" before a vowel, and uses the field\'s own word', () => {
    expect(checkName('analysis', '1x')).toMatch(/^an analysis name is/);
    expect(checkName('board', '1x')).toMatch(/^a board name is/);
  });
});

describe('settle (board layout)', () => {
  const a = { id: 'a', position: { x: 0, y: 0, w: 6, h: 2 } };
  const b = { id: 'b', position: { x: 6, y: 0, w: 6, h: 2 } };
  const c = { id: 'c', position: { x: 0, y: 2, w: 12, h: 1 } };
  const noOverlap = (m: Map<string, { x: number; y: number; w: number; h: number }>) => {
    const ps = [...m.values()];
    for (let i = 0; i < ps.length; i++)
      for (let j = i + 1; j < ps.length; j++) {
        const [p, q] = [ps[i], ps[j]];
        expect(p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h).toBe(false);
      }
  };
  it('a drop on another item pushes that one down', () => {
    const m = settle([a, b, c], 'b', { x: 0, y: 0, w: 6, h: 2 });
    expect(m.get('b')).toEqual({ x: 0, y: 0, w: 6, h: 2 });
    expect(m.get('a')).toEqual({ x: 0, y: 2, w: 6, h: 2 });
    noOverlap(m);
  });
  it('a gap left behind closes: items rise', () => {
    const m = settle([a, b, c], 'a', { x: 0, y: 9, w: 6, h: 2 });
    expect(m.get('c')!.y).toBe(2); // under b, which stayed
    expect(m.get('a')!.y).toBe(3); // rose to just under c
    noOverlap(m);
  });
  it('a resize pushes the neighbours below it', () => {
    const m = settle([a, b, c], 'a', { x: 0, y: 0, w: 6, h: 4 });
    expect(m.get('c')!.y).toBe(4);
    noOverlap(m);
  });
});

describe('axisLabels', () => {
  it('shows dates without midnight, and only as many as fit without overlapping', () => {
    const days = Array.from({ length: 60 }, (_, i) => `2024-03-${String((i % 28) + 1).padStart(2, '0')} 00:00:00+00`);
    const shown = axisLabels(days, 568);
    expect(shown[0].text).toBe('2024-03-01');
    const each = 568 / days.length;
    // the labels shown are far enough apart for their width
    for (let i = 1; i < shown.length; i++) expect((shown[i].index - shown[i - 1].index) * each).toBeGreaterThanOrEqual(10 * 6.5);
  });
  it('shows every label when they fit', () => {
    expect(axisLabels(['a', 'b', 'c'], 568).map((l) => l.text)).toEqual(['a', 'b', 'c']);
  });
});

describe('reshaped (sort and filter by DuckDB)', () => {
  it('wraps the statement, quotes the names and the text', () => {
    expect(reshaped('select * from t;', { column: 'a"b', dir: 'desc' }, { column: '', text: '' })).toBe(
      'select * from (\nselect * from t\n) as pd_result order by "a""b" desc nulls last',
    );
    const f = reshaped('select 1', null, { column: 'name', text: "it's 50%_x" });
    expect(f).toContain(`where cast("name" as varchar) ilike '%it''s 50\\%\\_x%' escape '\\'`);
  });
});

describe('pickedText (copy)', () => {
  it('copies a rectangle of cells as tab-separated lines, either way round', () => {
    const rows = [[1, 'a', null], [2, 'b', true]];
    expect(pickedText(rows, { r0: 1, c0: 2, r1: 0, c1: 1 })).toBe('a\tNULL\nb\ttrue');
  });
});

describe('looksLikeRead (live preview)', () => {
  it('takes one read, not writes or several statements', () => {
    expect(looksLikeRead('  -- a note\n select 1;')).toBe(true);
    expect(looksLikeRead('with x as (select 1) select * from x')).toBe(true);
    expect(looksLikeRead('create table t as select 1')).toBe(false);
    expect(looksLikeRead('select 1; drop table t')).toBe(false);
    expect(looksLikeRead('')).toBe(false);
  });
});

describe('analysis drafts', () => {
  const saved = {
    id: 'big', sql: 'select * from orders where amount > :floor', materialize: 'table', tags: ['a', 'b'],
    parameters: [{ name: 'floor', type: 'int', default: '100' }, { name: 'day', type: 'date', default: null }],
    freshness: 'assume_fresh', unique_key: null, path: null,
  };
  it('goes back to the API as it came, parameters as specs (no default: required)', () => {
    const f = draftFields(draftOf(saved));
    expect(f.parameters).toEqual(['floor:int=100', 'day:date']);
    expect(f.tags).toEqual(['a', 'b']);
    expect(f.freshness).toBe('assume_fresh');
    expect(f.unique_key).toBe('');
    expect(paramSpec({ name: ' x ', type: 'string', default: 'a=b' })).toBe('x:string=a=b');
  });
  it('drops empty parameter rows and tags; keeps fields only for their materialization', () => {
    const d = { ...draftOf(null, 'select 1'), id: 'n', tags: ' x, ,y ', materialize: 'incremental', unique_key: 'id', path: 'p.parquet' };
    d.params = [{ name: '', type: 'int', default: '' }];
    const f = draftFields(d);
    expect(f.tags).toEqual(['x', 'y']);
    expect(f.parameters).toEqual([]);
    expect([f.unique_key, f.path]).toEqual(['id', '']);
  });
  it('says what is missing before the server is asked', () => {
    const d = draftOf(null, 'select 1');
    expect(draftProblem(d, true)).toMatch(/give the analysis a name/);
    expect(draftProblem({ ...d, id: '1x' }, true)).toMatch(/letter or _/);
    expect(draftProblem({ ...d, id: 'ok', sql: ' ' }, true)).toMatch(/SQL/);
    expect(draftProblem({ ...d, id: 'ok', materialize: 'incremental' }, true)).toMatch(/key columns/);
    expect(draftProblem({ ...d, id: 'ok', materialize: 'parquet' }, true)).toMatch(/file/);
    expect(draftProblem({ ...d, id: 'ok', params: [{ name: '9p', type: 'int', default: '' }] }, true)).toMatch(/parameter name/);
    expect(draftProblem({ ...d, id: '' }, false)).toBeNull(); /* an existing one keeps its id */
  });
});
