// Validate an OpenAPI document with a real validator (OpenAPI 3.1 schema).
// Usage: node openapi_check.mjs openapi.json
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

const validator = new Validator();
const res = await validator.validate(JSON.parse(readFileSync(process.argv[2], "utf8")));
if (!res.valid) {
  console.error(JSON.stringify(res.errors, null, 2));
  process.exit(1);
}
console.log(`ok: OpenAPI ${validator.version}`);
