// Read an Arrow IPC stream with the apache-arrow package and print it as JSON
// that loses nothing, for a checker in another language:
//   {"fields": [{"name", "type"}], "rows": [[value, ...], ...]}
// Integers beyond 2^53, decimals, dates, times, timestamps and intervals are
// their raw stored values as strings (a decimal with its point placed); BLOBs
// hex; floats that JSON cannot hold ("NaN", "Infinity", "-Infinity") strings;
// nested values read the same way from the child buffers (a MAP as [key,
// value] pairs). apache-arrow decodes the stream; the values are read from
// its buffers because its own getters cannot convert extreme timestamps.
// Usage: node arrow_dump.mjs RESULT.arrows
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const table = tableFromIPC(readFileSync(process.argv[2]));

function isNull(d, i) {
  if (!d.nullBitmap || d.nullCount === 0) return false;
  return ((d.nullBitmap[i >> 3] >> (i & 7)) & 1) === 0;
}

function decimalText(words, i, scale) {
  // four little-endian 32-bit words, two's complement
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[i * 4 + w] >>> 0);
  if (v >= 1n << 127n) v -= 1n << 128n;
  let s = (v < 0n ? -v : v).toString().padStart(scale + 1, "0");
  if (scale) s = s.slice(0, s.length - scale) + "." + s.slice(s.length - scale);
  return (v < 0n ? "-" : "") + s;
}

function number(v) {
  if (typeof v === "bigint") return v.toString();
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return v;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

// The value at index i of Data d (its offset not yet added), read from the buffers.
function raw(d, i) {
  const t = String(d.type);
  const k = i + d.offset;
  if (t.startsWith("Union")) {
    const child = d.type.typeIds.indexOf(d.typeIds[k]);
    return raw(d.children[child], t.includes("Sparse") || !d.valueOffsets ? i : d.valueOffsets[k]);
  }
  if (isNull(d, k)) return null;
  if (t.startsWith("Dictionary")) return d.dictionary.get(Number(d.values[k]));
  if (t.startsWith("Decimal")) return decimalText(d.values, k, d.type.scale);
  if (t.startsWith("Date32") || t.startsWith("Time") || t.startsWith("Timestamp"))
    return d.values[k].toString();
  if (t.startsWith("Interval")) {
    const w = d.values; // months, days: int32; nanoseconds: int64 (two int32 words)
    const nanos = (BigInt(w[k * 4 + 3]) << 32n) | BigInt(w[k * 4 + 2] >>> 0);
    return [w[k * 4], w[k * 4 + 1], nanos.toString()];
  }
  if (t === "Bool") return ((d.values[k >> 3] >> (k & 7)) & 1) === 1;
  if (t === "Utf8" || t === "Binary") {
    const bytes = d.values.subarray(d.valueOffsets[k], d.valueOffsets[k + 1]);
    return t === "Utf8" ? utf8.decode(bytes) : Buffer.from(bytes).toString("hex");
  }
  if (t.startsWith("Int") || t.startsWith("Uint") || t.startsWith("Float")) return number(d.values[k]);
  if (t.startsWith("List") || t.startsWith("Map")) {
    const out = [];
    for (let j = d.valueOffsets[k]; j < d.valueOffsets[k + 1]; j++) out.push(raw(d.children[0], j));
    return t.startsWith("Map") ? out.map((kv) => [kv.key, kv.value]) : out;
  }
  if (t.startsWith("FixedSizeList")) {
    const n = d.type.listSize, out = [];
    for (let j = 0; j < n; j++) out.push(raw(d.children[0], k * n + j));
    return out;
  }
  if (t.startsWith("Struct")) {
    const out = {};
    d.type.children.forEach((f, j) => (out[f.name] = raw(d.children[j], k)));
    return out;
  }
  throw new Error(`no reader here for ${t}`);
}

function value(vector, i) {
  let k = i;
  for (const d of vector.data) {
    if (k < d.length) return raw(d, k);
    k -= d.length;
  }
  throw new Error(`row ${i} out of range`);
}

const fields = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
const rows = [];
for (let i = 0; i < table.numRows; i++)
  rows.push(table.schema.fields.map((f) => value(table.getChild(f.name), i)));
console.log(JSON.stringify({ fields, rows }));
