// `npm run demo`: one worker, a progress endpoint and a handful of tasks on a real RabbitMQ, in under a minute.
//
// 1. checks that RabbitMQ answers at AMQP_URL (default amqp://localhost:5672), or says how to fix it;
// 2. starts a small GraphQL endpoint that prints the progress events workers report to it;
// 3. starts examples/demo/worker.mjs as a child process on a fresh queue (GRAPHQL_URL points at the endpoint);
// 4. calls it with TaskClient: a success with progress, a transient failure retried with backoff, a
//    permanent failure that ends in the dead-letter queue, a task delayed by 2 s and a delayed task cancelled
//    before its time;
// 5. shows the dead letter, stops the worker with SIGTERM, prints a summary and deletes its queues.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { HEADERS, queueNames, retryDelayMs, TaskCancelledError, TaskClient, TaskFailedError } from 'jworker-runtime';

const AMQP_URL = process.env.AMQP_URL?.trim() || 'amqp://localhost:5672';
const QUEUE = `demo.thumbnails-${randomUUID().slice(0, 8)}`;
const RETRY = { maxAttempts: 4, initialDelayMs: 500, multiplier: 2, maxDelayMs: 300_000, jitter: 0 };
const DEADLINE_MS = 55_000;
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

const TASKS = [
  { label: 'cat.jpg', task: { image: 'cat.jpg' }, expect: 'completed', attempts: 1 },
  { label: 'dog.jpg (fails twice)', task: { image: 'dog.jpg', failFirst: 2 }, expect: 'completed', attempts: 3 },
  { label: 'broken.gif', task: { image: 'broken.gif' }, expect: 'dead-lettered', attempts: 1 },
  { label: 'bird.png', task: { image: 'bird.png' }, expect: 'completed', attempts: 1 },
  // Waits 2 s on the broker (in a delay bucket), then runs.
  { label: 'owl.png (in 2 s)', task: { image: 'owl.png' }, expect: 'completed', attempts: 1, delayMs: 2000 },
  // Would run in 3 s, but is cancelled first: it never runs, and its call() rejects with TaskCancelledError.
  { label: 'fox.png (cancelled)', task: { image: 'fox.png' }, expect: 'cancelled', attempts: 0, delayMs: 3000, cancel: true },
];

const dim = (text) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const mask = (text) => String(text).replace(/(\w[\w+.-]*:\/\/[^:/?#@\s]*):([^@/?#\s]*)@/g, '$1:***@');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tries each node of AMQP_URL (comma-separated, like the runtime) once, with a short timeout. */
async function probeBroker() {
  const errors = [];
  for (const url of AMQP_URL.split(',')
    .map((u) => u.trim())
    .filter(Boolean)) {
    try {
      const connection = await amqplib.connect(url, { timeout: 3000 });
      await connection.close();
      return;
    } catch (error) {
      errors.push(`${mask(url)}: ${mask(error?.code ?? error?.message ?? error)}`);
    }
  }
  console.error(
    [
      `Cannot reach RabbitMQ at AMQP_URL=${mask(AMQP_URL)} (${errors.join('; ')}).`,
      'The demo needs a running broker. Start one, for example:',
      '  docker run -d --name rabbitmq -p 5672:5672 rabbitmq:4-management',
      'or point AMQP_URL at yours:',
      '  AMQP_URL=amqp://user:password@host:5672 npm run demo',
    ].join('\n'),
  );
  process.exit(2);
}

/** A minimal GraphQL endpoint: accepts the reportTaskEvents mutation and prints each event. */
function startProgressEndpoint(labels) {
  const events = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const list = body?.variables?.events;
      if (req.method !== 'POST' || !/reportTaskEvents\s*\(\s*events\s*:\s*\$events/.test(body?.query ?? '') || !Array.isArray(list)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'expected the reportTaskEvents(events: $events) mutation' }] }));
        return;
      }
      for (const event of list) {
        events.push(event);
        const parts = [`attempt ${event.attempt}`];
        if (event.percent !== undefined && event.percent !== null) parts.push(`${event.percent}%`);
        if (event.step) parts.push(event.step);
        if (event.error) parts.push(`error: ${event.error}`);
        console.log(
          `  progress │ ${(labels.get(event.taskId) ?? event.taskId).padEnd(22)} ${String(event.status).padEnd(9)} ${parts.join(' · ')}`,
        );
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { reportTaskEvents: true } }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, events, url: `http://127.0.0.1:${server.address().port}/graphql` }));
  });
}

/** Starts the worker as a child process; prints its bunyan log lines in short form. */
function startWorker(graphqlUrl) {
  const child = spawn(process.execPath, [WORKER], {
    env: {
      ...process.env,
      AMQP_URL,
      WORKER_QUEUE: QUEUE,
      RETRY_MAX_ATTEMPTS: String(RETRY.maxAttempts),
      RETRY_INITIAL_DELAY_MS: String(RETRY.initialDelayMs),
      RETRY_MULTIPLIER: String(RETRY.multiplier),
      GRAPHQL_URL: graphqlUrl,
      PROGRESS_FLUSH_INTERVAL_MS: '100',
      SHUTDOWN_TIMEOUT_MS: '5000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const levels = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line);
        console.log(dim(`  worker   │ ${(levels[entry.level] ?? entry.level).padEnd(5)} ${entry.msg}`));
      } catch {
        console.log(dim(`  worker   │ ${line}`));
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited };
}

/** Waits until the worker consumes from the queue (it declares the queues itself). */
async function waitForConsumer(connection, worker) {
  let gone = false;
  worker.exited.then(() => {
    gone = true;
  });
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (gone) throw new Error('the worker exited before it started consuming (see its log above)');
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      const { consumerCount } = await channel.checkQueue(QUEUE);
      await channel.close();
      if (consumerCount > 0) return;
    } catch {
      // Not declared yet.
    }
    await sleep(100);
  }
  throw new Error(`the worker did not start consuming from ${QUEUE} within 20 s`);
}

async function main() {
  const startedAt = Date.now();
  const deadline = setTimeout(() => {
    console.error(`The demo did not finish within ${DEADLINE_MS / 1000} s; giving up.`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  await probeBroker();
  console.log(bold(`jworker demo: RabbitMQ at ${mask(AMQP_URL)}, queue ${QUEUE}`));
  console.log(
    `Retries: ${RETRY.maxAttempts} attempts, delays ${[1, 2, 3].map((n) => retryDelayMs(RETRY, n)).join(' ms, ')} ms (RETRY_INITIAL_DELAY_MS=${RETRY.initialDelayMs})\n`,
  );

  const labels = new Map();
  const endpoint = await startProgressEndpoint(labels);
  console.log(`Progress endpoint (GRAPHQL_URL): ${endpoint.url}`);
  const worker = startWorker(endpoint.url);
  const admin = await amqplib.connect(AMQP_URL.split(',')[0].trim());
  const client = new TaskClient({ url: AMQP_URL, callTimeoutMs: 20_000 });
  const names = queueNames(QUEUE);
  const problems = [];
  const rows = [];
  let workerExit;

  try {
    await waitForConsumer(admin, worker);
    console.log(`Worker is consuming from ${QUEUE}. Calling ${TASKS.length} tasks with TaskClient.call…\n`);

    const results = await Promise.all(
      TASKS.map(async (spec) => {
        const taskId = randomUUID();
        labels.set(taskId, spec.label);
        const t0 = performance.now();
        try {
          const call = client.call(QUEUE, spec.task, { taskId, ...(spec.delayMs ? { delayMs: spec.delayMs } : {}) });
          if (spec.cancel) await client.cancel(QUEUE, taskId);
          const result = await call;
          if (spec.delayMs && performance.now() - t0 < spec.delayMs) problems.push(`${spec.label}: ran before its delay`);
          return { spec, taskId, ms: performance.now() - t0, outcome: 'completed', attempts: result.attempts, detail: result.thumbnail };
        } catch (error) {
          if (error instanceof TaskCancelledError) return { spec, taskId, ms: performance.now() - t0, outcome: 'cancelled', error };
          if (!(error instanceof TaskFailedError)) throw error;
          return { spec, taskId, ms: performance.now() - t0, outcome: 'failed', error };
        }
      }),
    );

    // The permanent failure: find it in <queue>.dead with the headers the worker added.
    const channel = await admin.createChannel();
    const deadLetters = new Map();
    for (;;) {
      const message = await channel.get(names.dead, { noAck: true });
      if (!message) break;
      deadLetters.set(message.properties.messageId, message);
    }
    await channel.close();

    for (const r of results) {
      if (r.outcome === 'completed') {
        const outcome = r.attempts > 1 ? `completed after ${r.attempts - 1} retries` : 'completed';
        rows.push([r.spec.label, outcome, String(r.attempts), `${Math.round(r.ms)} ms`, r.detail]);
        if (r.spec.expect !== 'completed') problems.push(`${r.spec.label}: expected ${r.spec.expect}, got completed`);
        if (r.attempts !== r.spec.attempts) problems.push(`${r.spec.label}: expected ${r.spec.attempts} attempts, got ${r.attempts}`);
        continue;
      }
      if (r.outcome === 'cancelled') {
        rows.push([r.spec.label, 'cancelled', '0', `${Math.round(r.ms)} ms`, `${r.error.code}: ${r.error.message}`]);
        if (r.spec.expect !== 'cancelled') problems.push(`${r.spec.label}: expected ${r.spec.expect}, got cancelled`);
        continue;
      }
      const dead = deadLetters.get(r.taskId);
      const headers = dead?.properties.headers ?? {};
      if (dead) {
        console.log(`\nDead letter in ${names.dead} (messageId ${r.taskId}):`);
        for (const name of [HEADERS.error, HEADERS.errorCode, HEADERS.reason, HEADERS.attempts, HEADERS.workerType]) {
          console.log(`  ${name.padEnd(24)} ${headers[name]}`);
        }
        console.log(`  body                     ${dead.content.toString('utf8')}`);
      } else {
        problems.push(`${r.spec.label}: not found in ${names.dead}`);
      }
      const attempts = headers[HEADERS.attempts] ?? '?';
      rows.push([r.spec.label, 'dead-lettered', String(attempts), `${Math.round(r.ms)} ms`, `${r.error.code}: ${r.error.message}`]);
      if (r.spec.expect !== 'dead-lettered') problems.push(`${r.spec.label}: expected ${r.spec.expect}, got ${r.error.message}`);
    }

    // Late progress events are flushed on stop; SIGTERM is the graceful stop Docker and Kubernetes send.
    await sleep(300);
    console.log('\nStopping the worker with SIGTERM…');
    worker.child.kill('SIGTERM');
    workerExit = await Promise.race([worker.exited, sleep(15_000).then(() => ({ code: 'timeout' }))]);
    if (workerExit.code !== 0) problems.push(`the worker exited with ${workerExit.code ?? workerExit.signal} after SIGTERM, expected 0`);
  } finally {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await client.close();
    const channel = await admin.createChannel();
    channel.on('error', () => {});
    const retryQueues = [];
    for (let attempt = 1; attempt < RETRY.maxAttempts; attempt++) retryQueues.push(names.retry(retryDelayMs(RETRY, attempt)));
    // Delay buckets are powers of two from 128 ms; deleting one that was never declared is harmless.
    const delayQueues = Array.from({ length: 25 }, (_, k) => names.delay(2 ** (k + 7)));
    for (const name of [names.work, names.dead, names.cancel, ...new Set(retryQueues), ...delayQueues]) {
      await channel.deleteQueue(name).catch(() => {});
    }
    await admin.close().catch(() => {});
    endpoint.server.close();
  }

  const header = ['task', 'outcome', 'attempts', 'time', 'result / error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`\n${bold('Summary')} (from TaskClient results)`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
  const count = endpoint.events.length;
  console.log(
    `\nProgress events received by the GraphQL endpoint: ${count}${count === 0 ? ' (none arrived: this jworker-runtime build does not report progress to GRAPHQL_URL; see docs/progress.md)' : ''}`,
  );
  console.log(
    `Worker stopped with exit code ${workerExit?.code}. Queues of ${QUEUE} deleted. ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`,
  );

  if (problems.length > 0) {
    console.error(`\nThe demo did not go as expected:\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  console.log(bold('\nDemo OK.'));
  process.exit(0);
}

main().catch((error) => {
  console.error(`The demo failed: ${mask(error?.stack ?? error)}`);
  process.exit(1);
});
