import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { VERSION } from '../src/version.js';
import { AMQP_URL, uniqueQueue } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

// Run `npx tsup` first: these tests spawn the built command, as users run it.
const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function run(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, AMQP_URL, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

test.before(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npx tsup" before these tests`);
});

test('the built jworker runs by itself and prints help', async (t) => {
  const main = await run(['--help']);
  t.is(main.code, 0);
  t.regex(main.stdout, /Usage: jworker <command>/);
  const dead = await run(['dead', 'replay', '--help']);
  t.is(dead.code, 0);
  t.regex(dead.stdout, /--task-id <id>/);
});

test('the built jworker exits non-zero on bad usage and an unreachable broker, with the password masked', async (t) => {
  const bad = await run(['enqueue', 'q', '{nope']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not valid JSON/);
  const purge = await run(['dead', 'purge', 'q']);
  t.is(purge.code, 2);
  const down = await run(['stats', 'q'], { env: { AMQP_URL: 'amqp://ops:hunter22@127.0.0.1:1' } });
  t.is(down.code, 4);
  t.regex(down.stderr, /ops:\*\*\*@127\.0\.0\.1:1/);
  t.false(down.stderr.includes('hunter22'));
  const missing = await run(['dead', 'list', uniqueQueue('absent')]);
  t.is(missing.code, 3);
});

test('the built jworker enqueues from stdin, waits for the result, and shows stats', async (t) => {
  const { queue } = await startSample(t, { queue: uniqueQueue('cli-bin') });
  const result = await run(['enqueue', queue, '-', '--wait', '--timeout', '10000'], { stdin: '{"action":"echo","value":"hi"}' });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), { echoed: 'hi', attempt: 1 });
  const stats = await run(['stats', queue, '--json']);
  t.is(stats.code, 0, stats.stderr);
  const parsed = JSON.parse(stats.stdout) as { queues: Array<{ kind: string; ready: number; consumers: number }> };
  t.like(parsed.queues[0], { kind: 'work', ready: 0, consumers: 1 });
  const list = await run(['dead', 'list', queue, '--json']);
  t.deepEqual(JSON.parse(list.stdout), []);
});

test('the built jworker serves the dashboard page from the package and stops on SIGTERM', async (t) => {
  const { queue } = await startSample(t, { queue: uniqueQueue('cli-dash') });
  const child = spawn(BIN, ['dashboard', '--port', '0', '--queues', queue], { env: { ...process.env, AMQP_URL } });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('close', (code) => reject(new Error(`exited ${code} before serving: ${stdout}`)));
  });
  const page = await fetch(url);
  t.is(page.status, 200);
  t.regex(await page.text(), /<script type="module" src="\/dashboard\.js"><\/script>/);
  t.is((await fetch(new URL('dashboard.js', url))).status, 200);
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.kill('SIGTERM');
  t.is(await closed, 0);
  t.regex(stdout, /jworker dashboard stopped/);
});

test('the built jworker prints its version, and with no arguments its help on stderr with exit code 2', async (t) => {
  for (const flag of ['--version', '-v']) {
    const version = await run([flag]);
    t.is(version.code, 0, flag);
    t.is(version.stdout, `${VERSION}\n`, flag);
  }
  const none = await run([]);
  t.is(none.code, 2);
  t.is(none.stdout, '');
  t.regex(none.stderr, /Usage: jworker <command>/);
  t.regex(none.stderr, /--version/);
});
