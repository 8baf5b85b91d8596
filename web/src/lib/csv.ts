// csv.ts - a result as CSV text (RFC 4180 quoting), for copying small results.

export function toCsv(columns: { name: string }[], rows: unknown[][]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map((c) => cell(c.name)).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}
