import { readFileSync } from 'node:fs';
import test from 'ava';
import { VERSION } from '../src/index.js';

test('VERSION is the version in package.json (npm run version-packages keeps them equal)', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  t.is(VERSION, pkg.version);
});
