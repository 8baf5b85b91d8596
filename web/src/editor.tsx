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

/** Text put into the editor from outside (a query picked from the history); seq tells replacements apart. */
export interface EditorText {
  text: string;
  seq: number;
}

/**
 * The editor owns its text: initial is where it starts, every change goes to
 * onChange, and only a new replace (a new seq) puts text in from outside. The
 * parent's copy of the text is never fed back: a render that carried an older
 * copy would undo what was typed since, and two copies could undo each other
 * for ever (the page once stopped answering that way).
 */
export function SqlEditor({
  initial,
  replace,
  onChange,
  onRun,
  schema,
  label = 'SQL',
}: {
  initial: string;
  replace?: EditorText;
  onChange: (v: string) => void;
  /** Ctrl/Cmd+Enter, with the editor's text (the parent's copy may be a render behind) */
  onRun: (text: string) => void;
  schema: SqlSchema;
  label?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>();
  const handlers = useRef({ onChange, onRun });
  handlers.current = { onChange, onRun };
  /* the SQL language with the schema for completion, swapped in place when the schema comes */
  const language = useRef(new Compartment());

  useEffect(() => {
    const run = (v: EditorView) => {
      handlers.current.onRun(v.state.doc.toString());
      return true;
    };
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
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
            if (u.docChanged) handlers.current.onChange(u.state.doc.toString());
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

  useEffect(() => {
    const v = view.current;
    if (!v || !replace) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: replace.text } });
  }, [replace?.seq]);

  return <div class="editor" ref={host} />;
}
