// Read an Arrow IPC stream (file given) with the apache-arrow package and print it as
// JSON lines of rows, so tests can compare it with the server's JSON result.
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const table = tableFromIPC(readFileSync(process.argv[2]));
const out = { columns: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) })), rows: table.numRows };
console.log(JSON.stringify(out));
for (const row of table) {
  const o = {};
  for (const f of table.schema.fields) {
    const v = row[f.name];
    o[f.name] = typeof v === "bigint" ? v.toString() : v instanceof Date ? v.toISOString() : v === null ? null : v.toString();
  }
  console.log(JSON.stringify(o));
}
