#!/usr/bin/env node
// Publishes jworker-runtime and generator-jworker: builds both, checks that the versions agree, and publishes every
// package whose version the registry does not have yet, the runtime first. The release workflow runs it after the
// "Version Packages" pull request is merged; a maintainer can run it by hand, and test/registry.test.ts runs it
// against a private registry. It changes no version: `npm run version-packages` does that.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node scripts/release.mjs [--registry <url>] [--tag <dist-tag>] [--provenance] [--git-tag] [--dry-run]

  --registry <url>   Where to publish (default: npm config get registry)
  --tag <dist-tag>   Publish under this dist-tag (default: latest)
  --provenance       Sign the packages with npm provenance (GitHub Actions with id-token: write)
  --git-tag          Create a git tag <name>@<version> for each package published
  --dry-run          Build and check everything, publish nothing (npm publish --dry-run)
`;

/** Publishing order: the generator's default runtime range must resolve once the generator is out. */
const PACKAGES = ['jworker-runtime', 'generator-jworker'];
const ROOT = join(import.meta.dirname, '..');

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

/** Runs a command in the repository root; returns its stdout, or fails with its output unless `allowFailure`. */
function run(command, args, { allowFailure = false, quiet = false } = {}) {
  if (!quiet) process.stderr.write(`release: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'] });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0 && !allowFailure)
    fail(`${command} ${args.join(' ')} failed (exit ${result.status})\n${result.stdout}${result.stderr ?? ''}`);
  return { ok: result.status === 0, stdout: result.stdout.trim() };
}

const readJson = (path) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

let options;
try {
  options = parseArgs({
    options: {
      registry: { type: 'string' },
      tag: { type: 'string' },
      provenance: { type: 'boolean', default: false },
      'git-tag': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const registry = options.registry ?? run('npm', ['config', 'get', 'registry'], { quiet: true }).stdout;
if (!/^https?:\/\//.test(registry)) fail(`--registry must be an http(s) URL, got ${JSON.stringify(registry)}`);

// The runtime reports VERSION (logs, metrics, jworker --version): it must be the version being published.
const runtimeVersion = readJson('jworker-runtime/package.json').version;
const versionTs = readFileSync(join(ROOT, 'jworker-runtime/src/version.ts'), 'utf8');
if (!versionTs.includes(`export const VERSION = '${runtimeVersion}';`)) {
  fail(`jworker-runtime/src/version.ts does not say ${runtimeVersion} (package.json): run npm run version-packages`);
}

run('npm', ['run', 'build']);

// The generator's default --runtime-version is ^<the runtime it was built with>: the one released with it.
const bundled = readJson('generator-jworker/generators/runtime-info.json').version;
if (bundled !== runtimeVersion) fail(`generator-jworker was built against jworker-runtime ${bundled}, not ${runtimeVersion}`);

const published = [];
for (const dir of PACKAGES) {
  const pkg = readJson(`${dir}/package.json`);
  const spec = `${pkg.name}@${pkg.version}`;
  const seen = run('npm', ['view', spec, 'version', '--registry', registry], { allowFailure: true, quiet: true });
  if (seen.ok && seen.stdout !== '') {
    process.stderr.write(`release: ${spec} is already on ${registry}: skipped\n`);
    continue;
  }
  if (options.provenance) checkRepository(dir, pkg);
  const args = ['publish', '--workspace', dir, '--registry', registry];
  if (options.tag) args.push('--tag', options.tag);
  if (options.provenance) args.push('--provenance');
  if (options['dry-run']) args.push('--dry-run');
  run('npm', args);
  published.push(spec);
  if (options['git-tag'] && !options['dry-run']) run('git', ['tag', spec]);
}

// changesets/action reads these lines to create the GitHub releases.
for (const spec of published) process.stdout.write(`New tag: ${spec}\n`);
process.stderr.write(
  `release: ${published.length === 0 ? 'nothing to publish' : `${options['dry-run'] ? 'would publish' : 'published'} ${published.join(', ')}`} (${registry})\n`,
);

/**
 * npm provenance needs package.json's repository to be the repository that builds it. In GitHub Actions a package
 * without one gets it from the workflow's own repository; one that names another repository is refused.
 */
function checkRepository(dir, pkg) {
  const server = process.env.GITHUB_SERVER_URL;
  const repository = process.env.GITHUB_REPOSITORY;
  if (!server || !repository) fail('--provenance works in GitHub Actions only (GITHUB_REPOSITORY is not set)');
  const expected = `${server}/${repository}`;
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (url === undefined) {
    process.stderr.write(`release: ${dir}/package.json has no repository; using ${expected} (provenance needs it)\n`);
    run('npm', [
      'pkg',
      'set',
      'repository.type=git',
      `repository.url=git+${expected}.git`,
      `repository.directory=${dir}`,
      '--workspace',
      dir,
    ]);
    return;
  }
  if (url.replace(/^git\+/, '').replace(/\.git$/, '') !== expected) {
    fail(`${dir}/package.json names the repository ${url}, but this build runs in ${expected}: provenance would be refused`);
  }
}
