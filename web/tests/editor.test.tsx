// editor.test.tsx - the SQL editor owns its text: re-renders of its parent never
// put an older text back; only a new pick from outside replaces it.
import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { EditorView } from '@codemirror/view';
import { errorOffset, SqlEditor, statementTables, type EditorText } from '../src/editor';

function mount(props: { replace?: EditorText; onChange: (v: string) => void; onRun?: (v: string) => void }, el: HTMLElement) {
  act(() => render(<SqlEditor initial="select 1" schema={{}} onRun={props.onRun ?? (() => {})} {...props} />, el));
}

const viewOf = (el: HTMLElement) => EditorView.findFromDOM(el.querySelector('.cm-editor') as HTMLElement)!;

describe('SqlEditor', () => {
  it('keeps what was typed across re-renders; a new pick replaces it once', () => {
    const el = document.body.appendChild(document.createElement('div'));
    const seen: string[] = [];
    const onChange = (v: string) => seen.push(v);
    mount({ onChange }, el);
    const view = viewOf(el);
    expect(view.state.doc.toString()).toBe('select 1');

    act(() => view.dispatch({ changes: { from: view.state.doc.length, insert: '23' } }));
    expect(seen).toEqual(['select 123']);
    mount({ onChange }, el); /* the parent renders again, as it does on every state change */
    expect(view.state.doc.toString()).toBe('select 123');

    mount({ onChange, replace: { text: 'select 2', seq: 1 } }, el);
    expect(view.state.doc.toString()).toBe('select 2');
    act(() => view.dispatch({ changes: { from: view.state.doc.length, insert: '0' } }));
    mount({ onChange, replace: { text: 'select 2', seq: 1 } }, el); /* same pick: typing stays */
    expect(view.state.doc.toString()).toBe('select 20');
    expect(seen.at(-1)).toBe('select 20');
  });
});

describe('errorOffset', () => {
  it("finds the place DuckDB's LINE and caret point at", () => {
    const text = 'select 1,\n  nonesuch + 1 from t';
    const msg = 'Binder Error: Referenced column "nonesuch" not found\n\nLINE 2:   nonesuch + 1 from t\n          ^';
    expect(errorOffset(text, msg)).toBe(text.indexOf('nonesuch'));
  });
  it('follows a line DuckDB cut short with ...', () => {
    const long = 'select ' + 'a, '.repeat(60) + 'bad_col from t';
    const msg = `Binder Error: x\n\nLINE 1: ...a, a, a, a, bad_col from t\n${' '.repeat('LINE 1: ...a, a, a, a, '.length)}^`;
    expect(errorOffset(long, msg)).toBe(long.indexOf('bad_col'));
  });
  it('is -1 without a caret or past the text', () => {
    expect(errorOffset('select 1', 'Parser Error: syntax error')).toBe(-1);
    expect(errorOffset('select 1', 'x\nLINE 5: select 1\n        ^')).toBe(-1);
  });
});

describe('statementTables', () => {
  it('finds the tables of FROM and JOIN with their aliases, not keywords', () => {
    expect(statementTables('select * from orders o join main.customers as c on o.id = c.id where 1')).toEqual([
      { table: 'orders', alias: 'o' },
      { table: 'main.customers', alias: 'c' },
    ]);
    expect(statementTables('select 1 from "my schema"."t x" where a')).toEqual([{ table: 'my schema.t x', alias: undefined }]);
    expect(statementTables('select 1 from t left join u using (k)')).toEqual([{ table: 't', alias: undefined }, { table: 'u', alias: undefined }]);
  });
});
