// parts.tsx - what Pluto Cloud's pages share beyond ui.tsx: an action that says how
// it went (the server's error, or a note), and a confirmation before a change that
// cannot be taken back.

import { useState } from 'preact/hooks';
import { ErrorBox, Modal } from '../ui';

export interface Action {
  /** Run work; on success show done (if any) and call after. */
  act: (work: () => Promise<unknown>, done?: string, after?: () => void) => Promise<void>;
  /** The outcome: the error of the last action, or its note. */
  outcome: preact.JSX.Element;
}

export function useAction(): Action {
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState('');
  const act = async (work: () => Promise<unknown>, done = '', after?: () => void) => {
    setError(undefined);
    setNote('');
    try {
      await work();
      setNote(done);
      after?.();
    } catch (e) {
      setError(e);
    }
  };
  const outcome = (
    <>
      <ErrorBox error={error} />
      {note && (
        <div class="notice" role="status">
          {note}
        </div>
      )}
    </>
  );
  return { act, outcome };
}

export interface Confirmation {
  title: string;
  text: string;
  action: string; /* the button's label */
  run: () => void;
}

export function Confirm({ c, onCancel }: { c: Confirmation; onCancel: () => void }) {
  return (
    <Modal title={c.title} onClose={onCancel}>
      <p>{c.text}</p>
      <div class="row end">
        <button onClick={onCancel}>Cancel</button>
        <button
          class="primary"
          onClick={() => {
            onCancel();
            c.run();
          }}
        >
          {c.action}
        </button>
      </div>
    </Modal>
  );
}

/** A table's header row ('' for a column with no heading). */
export function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c, i) => (
          <th key={i}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}
