// editor.test.tsx - the SQL editor owns its text: re-renders of its parent never
// put an older text back; only a new pick from outside replaces it.
import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { EditorView } from '@codemirror/view';
import { SqlEditor, type EditorText } from '../src/editor';

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
