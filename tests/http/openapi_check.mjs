// Validate an OpenAPI document with two real validators: the OpenAPI 3.1
// schema (@seriousme/openapi-schema-validator) and @apidevtools/swagger-parser,
// which also resolves every $ref.
// Usage: node openapi_check.mjs openapi.json
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import SwaggerParser from "@apidevtools/swagger-parser";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const validator = new Validator();
const res = await validator.validate(structuredClone(doc));
if (!res.valid) {
  console.error(JSON.stringify(res.errors, null, 2));
  process.exit(1);
}
try {
  await SwaggerParser.validate(structuredClone(doc));
} catch (e) {
  console.error(`swagger-parser: ${e.message}`);
  process.exit(1);
}
console.log(`ok: OpenAPI ${validator.version}, swagger-parser`);
