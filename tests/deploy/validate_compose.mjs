// Validates a Compose file against the Compose Specification's JSON schema, as shipped (and
// kept current) by the pinned npm package dclint (schemas/compose.schema.json). Only the
// schema is used, not dclint's style rules. Interpolations like ${SECRET_KEY:?...} stay
// strings, which the schema accepts wherever Compose allows them.
// Usage: node validate_compose.mjs FILE   (exit 0 = valid; errors on stderr)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "../../package.json"));
const Ajv = require("ajv");
const YAML = require("yaml");

// The package does not export the file: find it next to its package.json.
const dclint = path.dirname(require.resolve("dclint/package.json"));
const schema = JSON.parse(readFileSync(path.join(dclint, "schemas/compose.schema.json"), "utf8"));
// It names draft-07 by an https URL Ajv does not register; draft-07 is Ajv's default dialect.
delete schema.$schema;
const doc = YAML.parse(readFileSync(process.argv[2], "utf8"), { merge: true });
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
if (!validate(doc)) {
  for (const e of validate.errors) console.error(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  process.exit(1);
}
console.log(JSON.stringify({ valid: true, services: Object.keys(doc.services) }));
