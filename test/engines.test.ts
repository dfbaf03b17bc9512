import { readFileSync } from 'node:fs';
import test from 'ava';
import semver from 'semver';

// `npm ci` warns EBADENGINE for every installed package whose engines.node the running Node does not satisfy; CI
// runs on each Node of its matrix, so this holds for all of them. What ships to users must also run on the lowest
// Node our engines field accepts.

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** Every locked package with an engines.node range, as `[path, version, range, dev]`. */
const withEngines = Object.entries(lock.packages).flatMap(([path, entry]) => {
  const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node;
  return range === undefined || path === '' ? [] : [{ path, version: entry.version, range, dev: entry.dev === true }];
});

test('every locked package supports the Node.js running the tests: npm ci prints no EBADENGINE warning', (t) => {
  const unsupported = withEngines.filter((p) => !semver.satisfies(process.version, p.range, { includePrerelease: true }));
  t.deepEqual(
    unsupported.map((p) => `${p.path}@${p.version} wants node ${p.range}`),
    [],
  );
});

test('every locked package that ships to users supports the lowest Node.js our engines field accepts', (t) => {
  const lowest = semver.minVersion(root.engines.node)?.version ?? '';
  t.truthy(lowest);
  const unsupported = withEngines.filter((p) => !p.dev && !semver.satisfies(lowest, p.range));
  t.deepEqual(
    unsupported.map((p) => `${p.path}@${p.version} wants node ${p.range}, our engines say ${root.engines.node}`),
    [],
  );
});
