// editor.tsx - the SQL editor: CodeMirror 6 with SQL highlighting (DuckDB is close to
// PostgreSQL's dialect), completion of the warehouse's tables and columns, and
// Ctrl/Cmd+Enter to run.

import { useEffect, useRef } from 'preact/hooks';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, placeholder as cmPlaceholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching } from '@codemirror/language';
import { autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { sql, PostgreSQL } from '@codemirror/lang-sql';

export type SqlSchema = Record<string, string[]>;

export function SqlEditor({
  value,
  onChange,
  onRun,
  schema,
  label = 'SQL',
}: {
  value: string;
  onChange: (v: string) => void;
  onRun: () => void;
  schema: SqlSchema;
  label?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>();
  const handlers = useRef({ onChange, onRun });
  handlers.current = { onChange, onRun };
  /* the text the editor last reported: a value prop equal to it is our own echo */
  const reported = useRef(value);
  /* the SQL language with the schema for completion, swapped in place when the schema comes */
  const language = useRef(new Compartment());

  useEffect(() => {
    const run = () => {
      handlers.current.onRun();
      return true;
    };
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle),
          language.current.of(sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false })),
          autocompletion(),
          cmPlaceholder('select * from orders limit 10'),
          keymap.of([{ key: 'Mod-Enter', run, preventDefault: true }, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged) return;
            reported.current = u.state.doc.toString();
            handlers.current.onChange(reported.current);
          }),
          EditorView.contentAttributes.of({ 'aria-label': label }),
        ],
      }),
    });
    return () => view.current?.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: language.current.reconfigure(sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false })),
    });
  }, [schema]);

  /* a new text from outside (a query picked from the history) replaces the editor's;
     an echo of what was typed does not, or typing and re-rendering would undo each other */
  useEffect(() => {
    const v = view.current;
    if (!v || value === reported.current) return;
    reported.current = value;
    if (v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div class="editor" ref={host} />;
}
