import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { copyCheckout, ROOT } from './helpers/checkout.js';

// The release workflow runs the commands test/registry.test.ts runs, with least permissions; the publishing script
// refuses what would publish a wrong version. (The publishing itself is tested against a registry there.)

interface Workflow {
  on: { push: { branches: string[] } };
  permissions: Record<string, string>;
  jobs: Record<
    string,
    { permissions: Record<string, string>; steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }> }
  >;
}

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

test('the release workflow versions with npm run version-packages and publishes with scripts/release.mjs, signed', (t) => {
  const workflow = YAML.parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as Workflow;
  t.deepEqual(workflow.on.push.branches, ['main']);
  t.deepEqual(workflow.permissions, { contents: 'read' }, 'read the repository, nothing more, by default');
  const jobs = Object.values(workflow.jobs);
  t.is(jobs.length, 1);
  const [job] = jobs;
  t.deepEqual(job?.permissions, { contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
  const changesets = job?.steps.find((step) => step.uses?.startsWith('changesets/action@'));
  t.is(changesets?.with?.['version'], 'npm run version-packages');
  t.regex(changesets?.with?.['publish'] ?? '', /^npm run release -- .*--provenance/);
  t.is(rootPackage.scripts['release'], 'node scripts/release.mjs', 'the script the registry test runs');
  t.regex(rootPackage.scripts['version-packages'] ?? '', /^changeset version && node scripts\/sync-versions\.mjs\b/);
});

/** A copy of this checkout to run the release scripts in; removed after the test. */
function scratchCheckout(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'jworker-release-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return copyCheckout(join(dir, 'checkout'));
}

const node = (cwd: string, args: string[]) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });

test('release.mjs publishes nothing when the runtime would report another version than package.json', (t) => {
  const checkout = scratchCheckout(t);
  writeFileSync(join(checkout, 'jworker-runtime/src/version.ts'), "export const VERSION = '0.0.0-stale';\n");
  const result = node(checkout, ['scripts/release.mjs', '--registry', 'http://127.0.0.1:9/', '--dry-run']);
  t.is(result.status, 1);
  t.regex(result.stderr, /version\.ts does not say .*: run npm run version-packages/);
  t.notRegex(result.stderr, /npm run build/, 'it stops before building');
});

test('release.mjs refuses a registry that is not an http(s) URL, and an unknown option', (t) => {
  const bad = node(ROOT, ['scripts/release.mjs', '--registry', 'registry.example.com']);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /--registry must be an http\(s\) URL/);
  const unknown = node(ROOT, ['scripts/release.mjs', '--publish-everything']);
  t.is(unknown.status, 1);
  t.regex(unknown.stderr, /Unknown option '--publish-everything'[\s\S]*Usage:/);
});

test('sync-versions.mjs writes the version of jworker-runtime/package.json into version.ts', (t) => {
  const checkout = scratchCheckout(t);
  const manifest = join(checkout, 'jworker-runtime/package.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"version": "[^"]+"/, '"version": "9.8.7"'));
  t.is(node(checkout, ['scripts/sync-versions.mjs']).status, 0);
  t.regex(readFileSync(join(checkout, 'jworker-runtime/src/version.ts'), 'utf8'), /^export const VERSION = '9\.8\.7';$/m);
});
