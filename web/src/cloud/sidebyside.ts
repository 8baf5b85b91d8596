// sidebyside.ts - a unified diff (as the server's /diff gives it) as the rows of a
// side-by-side view: the old file on the left, the new on the right, a removed run
// of lines paired with the added run that replaced it.

export interface Side {
  n: number;
  text: string;
}
export interface Row {
  kind: 'same' | 'removed' | 'added' | 'changed' | 'gap';
  left?: Side;
  right?: Side;
}

export function sideBySide(diff: string): Row[] {
  const rows: Row[] = [];
  let ln = 0;
  let rn = 0;
  let dels: Side[] = [];
  let adds: Side[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      const left = dels[i];
      const right = adds[i];
      rows.push({ kind: left && right ? 'changed' : left ? 'removed' : 'added', left, right });
    }
    dels = [];
    adds = [];
  };
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('--- ') || line.startsWith('+++ ')) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      flush();
      if (rows.length) rows.push({ kind: 'gap' });
      ln = Number(hunk[1]);
      rn = Number(hunk[2]);
      continue;
    }
    const mark = line[0];
    const text = line.slice(1);
    if (mark === '-') dels.push({ n: ln++, text });
    else if (mark === '+') adds.push({ n: rn++, text });
    else if (mark === '\\') continue; /* "\ No newline at end of file" */
    else {
      flush();
      rows.push({ kind: 'same', left: { n: ln++, text }, right: { n: rn++, text } });
    }
  }
  flush();
  return rows;
}
