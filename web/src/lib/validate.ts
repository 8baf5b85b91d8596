// validate.ts - what forms check before sending: names the server accepts, the
// fields each source type needs, durations. Each returns a message or null.

export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function checkName(what: string, v: string): string | null {
  if (!v.trim()) return `give the ${what} a name`;
  if (!NAME_RE.test(v)) return `${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} name is a letter or _ followed by letters, digits or _ (at most 63)`;
  return null;
}

export function checkDuration(v: string): string | null {
  if (!v.trim()) return null;
  return /^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(v.trim()) ? null : 'a duration such as 30m, 24h or 7d';
}

export type SourceType = 'sqlite' | 'duckdb' | 'postgres' | 'mysql' | 'file' | 'http';

export const SOURCE_FIELDS: Record<SourceType, { key: string; label: string; hint: string; required: boolean; secret?: boolean }[]> = {
  sqlite: [{ key: 'path', label: 'File', hint: '/data/shop.sqlite', required: true }],
  duckdb: [{ key: 'path', label: 'File', hint: '/data/other.duckdb', required: true }],
  postgres: [
    { key: 'dsn', label: 'Connection string', hint: 'host=127.0.0.1 port=5432 dbname=shop user=me', required: true },
    { key: 'schema', label: 'Schema', hint: 'public', required: false },
    { key: 'password', label: 'Password', hint: 'kept in the secret store', required: false, secret: true },
  ],
  mysql: [
    { key: 'dsn', label: 'Connection string', hint: 'host=127.0.0.1 port=3306 database=shop user=me', required: true },
    { key: 'password', label: 'Password', hint: 'kept in the secret store', required: false, secret: true },
  ],
  file: [
    { key: 'path', label: 'File or glob', hint: '/data/events/*.parquet', required: true },
    { key: 'table', label: 'Table name', hint: 'events (default: from the file name)', required: false },
  ],
  http: [{ key: 'url', label: 'URL', hint: 'https://example.com/data.csv', required: true }],
};

/** Errors by field for an attach form; empty when it can be sent. */
export function checkAttach(name: string, type: SourceType, values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  const n = checkName('source', name);
  if (n) errors.name = n;
  for (const f of SOURCE_FIELDS[type]) {
    const v = (values[f.key] ?? '').trim();
    if (f.required && !v) errors[f.key] = `${f.label} is needed for a ${type} source`;
  }
  const path = (values.path ?? '').trim();
  if (path && (type === 'sqlite' || type === 'duckdb') && !path.startsWith('/')) errors.path = 'give the absolute path of the file (starting with /)';
  const url = (values.url ?? '').trim();
  if (type === 'http' && url && !/^https?:\/\//.test(url)) errors.url = 'an http:// or https:// URL';
  if (type === 'postgres' && values.schema && !NAME_RE.test(values.schema)) errors.schema = 'a schema name: letters, digits or _';
  return errors;
}

/** Reader options typed one NAME=VALUE per line: the object sent, or what is wrong. */
export function parseReaderOptions(text: string): { options: Record<string, string>; error?: string } {
  const options: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { options, error: `"${line}" is not NAME=VALUE` };
    options[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { options };
}
