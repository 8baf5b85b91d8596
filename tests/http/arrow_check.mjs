// Read an Arrow IPC stream with the apache-arrow package and compare it, value
// by value, with the same result as JSON (an array of objects). Exit 1 with the
// first difference. Usage: node arrow_check.mjs RESULT.arrows RESULT.json
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const table = tableFromIPC(readFileSync(process.argv[2]));
const rows = JSON.parse(readFileSync(process.argv[3], "utf8"));

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

// The Arrow value as the JSON encoder writes it.
function normal(v, type) {
  if (v === null || v === undefined) return null;
  const t = String(type);
  if (t.startsWith("Decimal")) {
    const scale = type.scale;
    let s = BigInt(v.toString()).toString();
    const neg = s.startsWith("-");
    if (neg) s = s.slice(1);
    s = s.padStart(scale + 1, "0");
    const out = scale ? s.slice(0, s.length - scale) + "." + s.slice(s.length - scale) : s;
    return Number((neg ? "-" : "") + out);
  }
  if (t.startsWith("Date")) return new Date(Number(v)).toISOString().slice(0, 10);
  if (typeof v === "bigint") return Number(v);
  return v;
}

if (table.numRows !== rows.length) fail(`rows: arrow ${table.numRows}, json ${rows.length}`);
const fields = table.schema.fields;
let i = 0;
for (const row of table) {
  for (const f of fields) {
    const a = normal(row[f.name], f.type);
    const j = rows[i][f.name];
    if (a !== j && !(typeof a === "number" && Math.abs(a - j) < 1e-9))
      fail(`row ${i} column ${f.name}: arrow ${a} (${f.type}), json ${j}`);
  }
  i++;
}
console.log(`ok: ${i} rows, ${fields.length} columns equal`);
