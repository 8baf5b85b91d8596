// editor.tsx - the SQL editor: CodeMirror 6 with SQL highlighting (DuckDB is close to
// PostgreSQL's dialect), completion of the warehouse's tables and columns, and
// Ctrl/Cmd+Enter to run.

import { useEffect, useRef } from 'preact/hooks';
import { Compartment, EditorState, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, lineNumbers, highlightActiveLine, placeholder as cmPlaceholder, type DecorationSet } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { syntaxHighlighting, HighlightStyle, bracketMatching } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { autocompletion, completionKeymap, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { sql, PostgreSQL } from '@codemirror/lang-sql';

export type SqlSchema = Record<string, string[]>;

/** Highlighting by the page's theme (CSS variables), so dark mode keeps its contrast. */
const themed = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--hl-keyword)' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--hl-string)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--hl-number)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--hl-comment)', fontStyle: 'italic' },
  { tag: [tags.typeName, tags.standard(tags.name), tags.special(tags.name)], color: 'var(--hl-name)' },
  { tag: [tags.operator, tags.punctuation], color: 'var(--hl-operator)' },
]);

/** A function DuckDB has: its name and one signature, for completion. */
export interface SqlFunction {
  name: string;
  params: string;
  returns: string;
}

const NOT_ALIAS = new Set(['where', 'join', 'on', 'group', 'order', 'limit', 'left', 'right', 'inner', 'outer', 'cross', 'full', 'natural', 'using', 'union', 'select', 'having', 'qualify', 'window', 'offset', 'as', 'positional', 'asof', 'anti', 'semi', 'lateral']);

/** The tables a statement reads (FROM and JOIN) and the aliases it gives them. */
export function statementTables(text: string): { table: string; alias?: string }[] {
  const out: { table: string; alias?: string }[] = [];
  const re = /\b(?:from|join)\s+((?:"[^"]+"|[A-Za-z_][\w]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w]*))?)(?:\s+(?:as\s+)?([A-Za-z_]\w*))?/gi;
  for (let m; (m = re.exec(text)); ) {
    const table = m[1].replace(/"/g, '');
    const alias = m[2] && !NOT_ALIAS.has(m[2].toLowerCase()) ? m[2] : undefined;
    out.push({ table, alias });
  }
  return out;
}

/** The columns schema has for a table as written ("orders", "main.orders", "shop.orders"). */
function columnsOf(schema: SqlSchema, table: string): string[] {
  const t = table.toLowerCase();
  const key = Object.keys(schema).find((k) => k.toLowerCase() === t || `main.${k}`.toLowerCase() === t);
  return key ? schema[key] : [];
}

/**
 * Completion that knows the statement: the columns of the tables in its FROM,
 * unqualified; its aliases; the project's analyses as ref() and, after ':', the
 * analysis's parameters (when editing one);
 * DuckDB's functions with a signature; the SQL
 * language's own keywords come after them (they carry no boost).
 */
export function statementCompletions(schema: SqlSchema, functions: SqlFunction[], refs: string[] = [], params: string[] = []) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[\w$]*/);
    if (!word) return null;
    const before = ctx.state.sliceDoc(Math.max(0, word.from - 2), word.from);
    /* after ':' (not a '::' cast) only the analysis's parameters */
    if (before.endsWith(':') && before !== '::' && params.length)
      return { from: word.from, options: params.map((p) => ({ label: p, type: 'variable', detail: 'parameter', boost: 5 })), validFor: /^\w*$/ };
    if (word.from === word.to && !ctx.explicit) return null;
    if (before.endsWith('.')) return null; /* qualified: the language's */
    const tables = statementTables(ctx.state.doc.toString());
    const options: Completion[] = [];
    const seen = new Set<string>();
    for (const t of tables)
      for (const c of columnsOf(schema, t.table))
        if (!seen.has(c)) {
          seen.add(c);
          options.push({ label: c, type: 'property', detail: t.alias ?? t.table, boost: 3 });
        }
    for (const t of tables) if (t.alias) options.push({ label: t.alias, type: 'variable', detail: t.table, boost: 2 });
    for (const r of refs) options.push({ label: `ref('${r}')`, type: 'class', detail: 'analysis', apply: `{{ ref('${r}') }}`, boost: 2 });
    for (const f of functions)
      options.push({ label: f.name, type: 'function', detail: `(${f.params}) → ${f.returns}`, apply: `${f.name}(`, boost: 1 });
    return { from: word.from, options, validFor: /^[\w$]*$/ };
  };
}

/** DuckDB's SQL (close to PostgreSQL's) with the schema, and the statement-aware completion. */
function sqlLanguage(schema: SqlSchema, functions: SqlFunction[], refs: string[], params: string[]) {
  const support = sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false });
  return [support, support.language.data.of({ autocomplete: statementCompletions(schema, functions, refs, params) })];
}

/** Where an error points: a range of the text, or null to clear it. */
const setErrorMark = StateEffect.define<{ from: number; to: number } | null>();
const errorMark = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const e of tr.effects)
      if (e.is(setErrorMark))
        marks = e.value ? Decoration.set([Decoration.mark({ class: 'cm-sql-error' }).range(e.value.from, e.value.to)]) : Decoration.none;
    return tr.docChanged ? Decoration.none : marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/**
 * The offset in text that DuckDB's error message points at with its "LINE n: ..."
 * and "^" lines (the shown line may be cut short with "..."), or -1.
 */
export function errorOffset(text: string, message: string): number {
  const m = /LINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!m) return -1;
  const lineNo = Number(m[1]), shown = m[2], caret = m[3].length - `LINE ${m[1]}: `.length;
  const lines = text.split('\n');
  if (lineNo < 1 || lineNo > lines.length || caret < 0) return -1;
  const cut = shown.startsWith('...') ? 3 : 0;
  const piece = shown.slice(cut).replace(/\.\.\.$/, '');
  const at = lines[lineNo - 1].indexOf(piece);
  if (at < 0) return -1;
  const col = at + caret - cut;
  let offset = 0;
  for (let i = 0; i < lineNo - 1; i++) offset += lines[i].length + 1;
  return offset + Math.max(0, Math.min(col, lines[lineNo - 1].length));
}

const NO_NAMES: string[] = [];

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
  error,
  functions = [],
  refs = NO_NAMES,
  params = NO_NAMES,
  ready = true,
}: {
  initial: string;
  replace?: EditorText;
  /** the message of the statement's failure: the place it points at is marked */
  error?: string;
  /** DuckDB's functions, for completion */
  functions?: SqlFunction[];
  /** the project's analyses, completed as ref('id') (the analysis editor) */
  refs?: string[];
  /** the analysis's parameters, completed after ':' (the analysis editor) */
  params?: string[];
  /** whether the schema and functions have come (data-completion says so, for tests) */
  ready?: boolean;
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
          syntaxHighlighting(themed),
          errorMark,
          language.current.of(sqlLanguage(schema, functions, refs, params)),
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
    view.current?.dispatch({ effects: language.current.reconfigure(sqlLanguage(schema, functions, refs, params)) });
  }, [schema, functions, refs, params]);

  useEffect(() => {
    const v = view.current;
    if (!v || !replace) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: replace.text } });
  }, [replace?.seq]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const at = error ? errorOffset(v.state.doc.toString(), error) : -1;
    if (at < 0) {
      v.dispatch({ effects: setErrorMark.of(null) });
      return;
    }
    const word = /^\w*/.exec(v.state.doc.sliceString(at, at + 64))![0].length;
    const to = Math.min(v.state.doc.length, at + Math.max(1, word));
    v.dispatch({ effects: setErrorMark.of(to > at ? { from: at, to } : null), selection: { anchor: at }, scrollIntoView: true });
  }, [error]);

  return <div class="editor" ref={host} data-completion={ready ? 'ready' : 'loading'} />;
}
