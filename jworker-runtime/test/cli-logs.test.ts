import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { formatLogLine } from '../src/cli/logs.js';
import { captureLogger } from './helpers/log-capture.js';

const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

test('a bunyan record becomes one line: time, level, name, message and the other fields', (t) => {
  const { logger, records } = captureLogger('email-sender', 'info');
  logger.info({ taskId: 't-1', durationMs: 12, tags: ['a b'] }, 'task completed');
  const line = JSON.stringify({ ...records[0], time: '2026-11-29T10:04:05.120Z' });
  t.is(formatLogLine(line), '10:04:05.120 INFO  email-sender: task completed taskId=t-1 durationMs=12 tags=["a b"]');
});

test('an error is printed with its stack below the line, and its code', (t) => {
  const { logger, records } = captureLogger('w', 'info');
  logger.error({ err: Object.assign(new Error('SMTP 451'), { code: 'TEMP' }) }, 'attempt failed');
  const lines = formatLogLine(JSON.stringify(records[0])).split('\n');
  t.regex(lines[0] ?? '', /ERROR w: attempt failed$/);
  t.is(lines[1], '    Error: SMTP 451');
  t.regex(lines[2] ?? '', /^ {8}at /);
  t.is(lines.at(-1), '    (code TEMP)');
});

test('other lines pass through, and a prefix before the JSON is kept', (t) => {
  t.is(formatLogLine('npm warn something'), 'npm warn something');
  t.is(formatLogLine('{not json'), '{not json');
  t.is(formatLogLine('{"a":1}'), '{"a":1}', 'JSON that is not a log record');
  const record = JSON.stringify({ v: 0, level: 40, name: 'w', msg: 'slow', time: '2026-11-29T10:00:00.000Z', pid: 1, hostname: 'h' });
  t.is(formatLogLine(`worker-1  | ${record}`), 'worker-1  | 10:00:00.000 WARN  w: slow');
});

test('in a pipeline, Ctrl-C does not stop jworker logs before the worker has logged its graceful stop', async (t) => {
  // A stand-in worker: logs, and on SIGINT logs twice more over 300 ms before exiting, as runWorker does.
  const worker = `
    const log = (msg) => process.stdout.write(JSON.stringify({ v: 0, level: 30, name: 'w', msg, time: new Date().toISOString() }) + '\\n');
    log('consuming');
    setInterval(() => {}, 1000);
    process.on('SIGINT', () => { log('stopping gracefully'); setTimeout(() => { log('stopped'); process.exit(0); }, 300); });`;
  const pipeline = spawn('sh', ['-c', `"${process.execPath}" -e "$WORKER" | "${process.execPath}" "${BIN}" logs`], {
    env: { ...process.env, WORKER: worker },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The shell may die of the SIGINT itself; what counts is what reaches the terminal before the pipe closes.
  const closed = new Promise<void>((resolve) => pipeline.stdout.on('end', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not log within 10 s: ${output}`)), 10_000);
    pipeline.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('consuming')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
  process.kill(-(pipeline.pid ?? 0), 'SIGINT');
  await closed;
  t.regex(output, /INFO {2}w: consuming\n.*INFO {2}w: stopping gracefully\n.*INFO {2}w: stopped\n$/);
});
