#!/usr/bin/env node
// Writes jworker-runtime's package.json version into jworker-runtime/src/version.ts (VERSION, what the runtime
// reports). Run by `npm run version-packages` after `changeset version` has bumped the versions.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RUNTIME = join(import.meta.dirname, '..', 'jworker-runtime');
const { version } = JSON.parse(readFileSync(join(RUNTIME, 'package.json'), 'utf8'));
const file = join(RUNTIME, 'src', 'version.ts');
const source = readFileSync(file, 'utf8');
const pattern = /export const VERSION = '[^']*';/;
if (!pattern.test(source)) {
  process.stderr.write(`sync-versions: no "export const VERSION = '…';" line in ${file}\n`);
  process.exit(1);
}
writeFileSync(file, source.replace(pattern, `export const VERSION = '${version}';`));
process.stderr.write(`sync-versions: jworker-runtime VERSION = ${version}\n`);
