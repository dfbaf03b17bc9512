import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { AMQP_URL, rawBroker, uniqueQueue } from './helpers/broker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = 'examples/demo/run.mjs';

/** Runs the demo script (what `npm run demo` runs after building) and collects its output. */
function runDemo(env: Record<string, string>) {
  return run([DEMO], env);
}

/** Runs a node script from the repository root and collects its output. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - startedAt }));
  });
}

test.serial(
  'the demo runs a success, a retried success, a dead letter, a delayed task and a cancel against RabbitMQ, and exits 0',
  async (t) => {
    const { code, stdout, stderr, ms } = await runDemo({ AMQP_URL });
    t.log(`demo took ${ms} ms`);
    t.is(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
    t.true(ms < 60_000);
    const summary = stdout.slice(stdout.indexOf('Summary'));
    t.regex(summary, /cat\.jpg\s+completed\s+1\s/);
    t.regex(summary, /dog\.jpg \(fails twice\)\s+completed after 2 retries\s+3\s/);
    t.regex(summary, /broken\.gif\s+dead-lettered\s+1\s.*UNSUPPORTED_FORMAT/);
    t.regex(summary, /owl\.png \(in 2 s\)\s+completed\s+1\s/);
    t.regex(summary, /fox\.png \(cancelled\)\s+cancelled\s+0\s.*CANCELLED/);
    t.regex(stdout, /Dead letter in demo\.thumbnails-[0-9a-f]{8}\.dead/);
    t.regex(stdout, /x-jworker-error\s+cannot make a thumbnail of broken\.gif/);
    t.regex(stdout, /Worker stopped with exit code 0/);
    t.regex(stdout, /Demo OK/);
  },
);

test.serial('the demo fails fast with a message naming AMQP_URL when no broker answers', async (t) => {
  const { code, stdout, stderr, ms } = await runDemo({ AMQP_URL: 'amqp://127.0.0.1:1' });
  t.not(code, 0);
  t.true(ms < 10_000, `took ${ms} ms`);
  t.regex(stderr, /Cannot reach RabbitMQ at AMQP_URL=amqp:\/\/127\.0\.0\.1:1/);
  t.notRegex(stdout, /Summary/);
});

test.serial('the demo never prints the password of AMQP_URL', async (t) => {
  const { code, stderr } = await runDemo({ AMQP_URL: 'amqp://demo:s3cret-pass@127.0.0.1:1' });
  t.not(code, 0);
  t.regex(stderr, /amqp:\/\/demo:\*\*\*@127\.0\.0\.1:1/);
  t.false(stderr.includes('s3cret-pass'));
});

test.serial('the plain amqplib producer of docs/protocol.md gets the result from a running worker', async (t) => {
  const queue = uniqueQueue('protocol');
  const broker = await rawBroker();
  const worker = spawn(process.execPath, ['examples/demo/worker.mjs'], {
    cwd: ROOT,
    env: { ...process.env, AMQP_URL, WORKER_QUEUE: queue, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
  try {
    for (let i = 0; i < 100 && (await broker.count(queue)).consumerCount === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const { code, stdout, stderr } = await run(['examples/protocol/producer.mjs'], { AMQP_URL, QUEUE: queue });
    t.is(code, 0, stderr);
    const reply = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { taskId: string; status: string; result: unknown };
    t.regex(stdout, new RegExp(`enqueued task ${reply.taskId} on ${queue}`));
    t.deepEqual(reply.result, { thumbnail: 'cat.thumb.jpg', attempts: 1 });
    t.is(reply.status, 'completed');
  } finally {
    worker.kill('SIGTERM');
    t.is(await exited, 0);
    await broker.deleteAll(queue);
    await broker.close();
  }
});

test.serial('the plain amqplib producer says so when the queue does not exist', async (t) => {
  const { code, stderr } = await run(['examples/protocol/producer.mjs'], { AMQP_URL, QUEUE: uniqueQueue('absent') });
  t.is(code, 1);
  t.regex(stderr, /no queue named jw-absent-[0-9a-f]{8}: start its worker first/);
});
