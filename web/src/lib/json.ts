// json.ts - JSON.parse that keeps every digit. The server writes numbers
// exactly (a UBIGINT of 2^64-1, a HUGEINT, a DECIMAL(38,10)); JSON.parse would
// round them to a double (9007199254740993 becomes ...992). A number a double
// cannot hold as written becomes an ExactNumber: its text for display, its
// nearest double for arithmetic (charts, sorting).

/** A number too long or too precise for a double: the digits as the server wrote them. */
export class ExactNumber {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
  toJSON(): number {
    return Number(this.text);
  }
  // what code written for numbers calls on them
  toFixed(digits?: number): string {
    return Number(this.text).toFixed(digits);
  }
  toPrecision(digits?: number): string {
    return Number(this.text).toPrecision(digits);
  }
  toLocaleString(...args: Parameters<number['toLocaleString']>): string {
    return Number(this.text).toLocaleString(...args);
  }
}

/** Does the double for text print back as text (so nothing is lost)? */
function fitsDouble(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  if (/^-?\d+$/.test(text)) return Number.isSafeInteger(n);
  return String(n) === text;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`JSON: ${what} at position ${this.i}`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const)
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected '${c}'`);
  }

  object(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return o;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail("expected ':'");
      Object.defineProperty(o, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return o;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  array(): unknown[] {
    const a: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return a;
    }
    for (;;) {
      a.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return a;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const start = this.i;
    let escaped = false;
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') break;
      if (c === '\\') escaped = true;
      this.i += c === '\\' ? 2 : 1;
    }
    this.i++;
    // escapes as JSON defines them; a plain string is its text
    return escaped ? JSON.parse(this.s.slice(start, this.i)) : this.s.slice(start + 1, this.i - 1);
  }

  number(): number | ExactNumber {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 512));
    if (!m) return this.fail('bad number');
    this.i += m[0].length;
    return fitsDouble(m[0]) ? Number(m[0]) : new ExactNumber(m[0]);
  }
}

/** Parse text as JSON, numbers kept exactly (see ExactNumber). */
export function parseExact(text: string): any {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('unexpected text after the value');
  return v;
}
