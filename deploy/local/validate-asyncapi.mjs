// Validates an AsyncAPI document with the AsyncAPI project's own parser
// (installed by deploy/local/deps.sh under .tmp/node). Prints every
// diagnostic; exits 1 on any error.
// Usage: node deploy/local/validate-asyncapi.mjs docs/asyncapi.yaml
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(resolve(root, '.tmp/node/package.json'));
const { Parser, fromFile } = require('@asyncapi/parser');

const file = resolve(process.argv[2] ?? 'docs/asyncapi.yaml');
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, file).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  console.log(`${['error', 'warning', 'info', 'hint'][d.severity]} ${d.code} at ${d.path.join('.')}: ${d.message}`);
}
if (!document || errors.length > 0) {
  console.error(`${file}: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channel(s)`);
