// Prints the figures of the last reliability run (jworker-runtime/.tmp/reliability/*.json) as a Markdown table.
// Usage: npm run test:reliability -w jworker-runtime && node jworker-runtime/test/reliability/report.mjs
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../../.tmp/reliability/', import.meta.url);
const rows = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')));
const cell = (value) => (value === undefined ? '' : String(value));
console.log('| scenario | sent | completed | dead | duplicates | lost | other figures |');
console.log('|---|---|---|---|---|---|---|');
for (const { scenario, at, sent, completed, dead, duplicates, lost, ...rest } of rows) {
  const other = Object.entries(rest)
    .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join('/') : value}`)
    .join(', ');
  console.log(`| ${scenario} | ${cell(sent)} | ${cell(completed)} | ${cell(dead)} | ${cell(duplicates)} | ${cell(lost)} | ${other} |`);
}
