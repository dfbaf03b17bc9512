import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

// The built bin, as `npx generator-jworker` runs it.
const CLI = fileURLToPath(new URL('../generators/cli.js', import.meta.url));

function run(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CI: 'true' } });
}

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'jworker-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('npx generator-jworker generates a worker repository, also as root, where yo refuses to write', (t) => {
  const dir = tempDir(t);
  const result = run(['email-sender', '--project', 'jupiter', '--yes', '--skip-install', '--skip-git'], dir);
  t.is(result.status, 0, result.stderr);
  const pkg = JSON.parse(readFileSync(join(dir, 'email-sender', 'package.json'), 'utf8')) as { name: string };
  t.is(pkg.name, '@jupiter/email-sender');
  t.true(existsSync(join(dir, 'email-sender', 'src', 'app', 'email-sender.worker.ts')));
  t.regex(readFileSync(join(dir, 'email-sender', 'src', 'app', 'email-sender.worker.ts'), 'utf8'), /QUEUE = 'jupiter\.email-sender'/);
});

test('with --skip-install, the next steps start with npm install', (t) => {
  const result = run(['billing', '--project', 'acme', '--yes', '--skip-install', '--skip-git'], tempDir(t));
  t.is(result.status, 0, result.stderr);
  t.regex(result.stderr, /Next: cd billing && npm install && cp \.env\.example \.env && docker compose up -d rabbitmq && npm run dev/);
});

test('a bad name exits 1 with the validation message, writing nothing', (t) => {
  const dir = tempDir(t);
  const result = run(['Bad_Name', '--project', 'jupiter', '--yes', '--skip-install', '--skip-git'], dir);
  t.is(result.status, 1);
  t.regex(result.stderr, /worker name "Bad_Name" is not kebab-case/);
  t.false(existsSync(join(dir, 'Bad_Name')));
});

test('--help lists every option without prompting', (t) => {
  const result = run(['--help'], tempDir(t));
  t.is(result.status, 0);
  for (const option of [
    '--project',
    '--description',
    '--author',
    '--runtime-version',
    '--skip-install',
    '--skip-git',
    '--yes',
    '--force',
  ]) {
    t.true(result.stdout.includes(option), option);
  }
});

test('with no terminal to answer prompts, defaults are used for what is not given, and it says so', (t) => {
  const dir = tempDir(t);
  const result = run(['billing', '--project', 'acme', '--skip-install', '--skip-git'], dir);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stderr, /no terminal to ask questions: using defaults/);
  t.true(existsSync(join(dir, 'billing', 'package.json')));
});

test('with no terminal and no project, the error names the missing option', (t) => {
  const result = run(['billing', '--skip-install', '--skip-git'], tempDir(t));
  t.is(result.status, 1);
  t.regex(result.stderr, /project/);
});
