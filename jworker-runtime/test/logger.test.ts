import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import bunyan from 'bunyan';
import { createLogger, infoLine } from '../src/log/logger.js';

const BURST = fileURLToPath(new URL('./fixtures/log-burst.ts', import.meta.url));
const BUNYAN_CLI = fileURLToPath(new URL('../../node_modules/bunyan/bin/bunyan', import.meta.url));

function run(args: string[], input?: string, command: string[] = ['--import', 'tsx', BURST]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const records = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

for (const ending of ['return', 'exit', 'throw'] as const) {
  test(`every line written before the process ends (${ending}) reaches stdout, in order, as bunyan JSON`, async (t) => {
    const { code, stdout } = await run([ending, '500']);
    t.is(code, ending === 'return' ? 0 : ending === 'exit' ? 3 : 1);
    const lines = records(stdout);
    t.is(lines.length, 1000);
    t.deepEqual(
      lines.filter((r) => r.msg === 'task completed').map((r) => r.taskId),
      Array.from({ length: 500 }, (_, i) => `t-${i}`),
    );
    for (const record of lines) {
      t.deepEqual(Object.keys(record).slice(0, 4), ['name', 'hostname', 'pid', 'level']);
      t.deepEqual(Object.keys(record).slice(-3), ['msg', 'time', 'v']);
    }
    t.false(stdout.includes('burst-s3cret'), 'secrets are redacted from batched lines too');
  });
}

test('the bunyan CLI reads the lines', async (t) => {
  const { stdout } = await run(['return', '3']);
  const shown = await run([], stdout, [BUNYAN_CLI, '-o', 'short']);
  t.is(shown.code, 0);
  t.regex(shown.stdout, /INFO burst: task completed \(taskId=t-0, attempt=1, durationMs=1\.5, outcome=completed, redelivered=false\)/);
  t.regex(shown.stdout, /WARN burst: line 2 of 3/);
});

test('the fast end line is the line bunyan would write for the same fields', (t) => {
  const fields = { taskId: 'a"b\\c\u2028', attempt: 2, durationMs: 0.25, outcome: 'completed', redelivered: true };
  const fastLines: string[] = [];
  infoLine(createLogger('same', 'info', [], { write: (line) => fastLines.push(line) }), fields, 'task completed');
  const bunyanLines: string[] = [];
  bunyan
    .createLogger({ name: 'same', stream: { write: (line: string) => bunyanLines.push(line) } as never })
    .info(fields, 'task completed');
  const fast = JSON.parse(fastLines[0] ?? '') as Record<string, unknown>;
  const slow = JSON.parse(bunyanLines[0] ?? '') as Record<string, unknown>;
  t.deepEqual(Object.keys(fast), Object.keys(slow));
  t.deepEqual({ ...fast, time: 0 }, { ...slow, time: 0 });
  t.regex(String(fast.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('an end line below the logger level is not written', (t) => {
  const lines: string[] = [];
  infoLine(createLogger('quiet', 'warn', [], { write: (line) => lines.push(line) }), { taskId: 'x' }, 'task completed');
  t.deepEqual(lines, []);
});

test('a stdout nobody reads does not block the event loop, and every line arrives once the reader comes', async (t) => {
  const FLOOD = fileURLToPath(new URL('./fixtures/log-flood.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', FLOOD], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.pause();
  const fired = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('the timer never fired: the event loop waited for the reader'), 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      if (/timer fired/.test(chunk.toString())) {
        clearTimeout(timer);
        resolve(chunk.toString());
      }
    });
  });
  t.regex(fired, /timer fired after 16000 lines/);
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stdout.resume();
  child.stdin.write('go\n');
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.is(code, 0);
  const ns = stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { n: number }).n);
  t.is(ns.length, 16000);
  t.true(
    ns.every((n, i) => n === i),
    'in order, none missing',
  );
});
