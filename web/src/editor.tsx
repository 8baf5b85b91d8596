// editor.tsx - the SQL editor: CodeMirror 6 with SQL highlighting (DuckDB is close to
// PostgreSQL's dialect), completion of the warehouse's tables and columns, and
// Ctrl/Cmd+Enter to run.

import { useEffect, useRef } from 'preact/hooks';
import { EditorState } from '@codemirror/state';
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
          sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false }),
          autocompletion(),
          cmPlaceholder('select * from orders limit 10'),
          keymap.of([{ key: 'Mod-Enter', run, preventDefault: true }, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          EditorView.updateListener.of((u) => u.docChanged && handlers.current.onChange(u.state.doc.toString())),
          EditorView.contentAttributes.of({ 'aria-label': label }),
        ],
      }),
    });
    return () => view.current?.destroy();
    // the schema is set once known: recreate then
  }, [JSON.stringify(Object.keys(schema))]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div class="editor" ref={host} />;
}
