// ui.tsx - the small pieces every screen uses: loading a resource (useAsync), an
// error box with the server's message, spinners, empty states, dialogs.

import { cloneElement, type ComponentChildren, type VNode } from 'preact';
import { createPortal } from 'preact/compat';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

export interface Async<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Run load() now and whenever deps change; the latest call wins. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      <strong>Error:</strong> {message}
      {onRetry && (
        <button class="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="spinner" role="status" aria-live="polite">
      <span class="spin" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab go round the dialog's controls, never out of it. */
function trapTab(dialog: HTMLElement, e: KeyboardEvent) {
  const all = Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.offsetParent !== null);
  if (all.length === 0) return;
  const first = all[0], last = all[all.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (e.shiftKey && (document.activeElement === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

let idSeq = 0;
/**
 * An id no other element of the page has, kept for the component's life. (Preact's
 * useId gave a field shown conditionally inside a dialog's fragment the id of the
 * dialog's first field: its label then named the wrong control.)
 */
function useUniqueId(): string {
  return useMemo(() => `f${++idSeq}`, []);
}

/**
 * A labelled control with its error below it: the error is the control's
 * description (aria-describedby), not part of its label.
 */
export function Field({ label, error, children }: { label: ComponentChildren; error?: string | null | false; children: VNode<any> }) {
  const id = useUniqueId();
  const control = cloneElement(children, {
    id: `${id}-c`,
    'aria-invalid': !!error,
    'aria-describedby': error ? `${id}-e` : undefined,
  });
  return (
    <div class="field">
      <label for={`${id}-c`}>
        <span class="name">{label}</span>
      </label>
      {control}
      {error && <div class="field-error" id={`${id}-e`}>{error}</div>}
    </div>
  );
}

/** Tabs: arrow keys move between them, each tab names the panel it controls. */
export function Tabs<T extends string>({ tabs, current, onChange, panel, label }: {
  tabs: { id: T; label: string }[];
  current: T;
  onChange: (t: T) => void;
  panel: string;
  label: string;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (e: KeyboardEvent, i: number) => {
    const k = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'Home' ? -i : e.key === 'End' ? tabs.length - 1 - i : 0;
    if (!k) return;
    e.preventDefault();
    const j = (i + k + tabs.length) % tabs.length;
    onChange(tabs[j].id);
    refs.current[j]?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          role="tab"
          ref={(el) => { refs.current[i] = el; }}
          id={`${panel}-tab-${t.id}`}
          aria-selected={t.id === current}
          aria-controls={panel}
          tabIndex={t.id === current ? 0 : -1}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => move(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function Modal({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDivElement>(null);
  /* focus moves into the dialog before anything can be typed (not after paint) */
  useLayoutEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, textarea, select, button');
    first?.focus();
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
      else if (e.key === 'Tab' && ref.current) trapTab(ref.current, e);
    };
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('keydown', key);
      prev?.focus();
    };
  }, []);
  /* on top of everything, the chat's composer too: rendered at the end of the page */
  return createPortal(
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>,
    document.body,
  );
}

/** Text for a time the server gave ("2026-11-21 10:04:12.05+00" or ISO). */
export function when(t: string | null | undefined): string {
  if (!t) return '';
  const d = new Date(t.replace(' ', 'T').replace(/\+00$/, 'Z'));
  return isNaN(d.getTime()) ? t : d.toLocaleString();
}
