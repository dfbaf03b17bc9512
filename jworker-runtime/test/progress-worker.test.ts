import test from 'ava';
import { type TaskClient, type TaskEvent, TaskFailedError } from '../src/index.js';
import { type SampleResult, type SampleTask, SampleWorker } from './fixtures/sample-worker.js';
import { AMQP_URL, rawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { startWorker } from './helpers/worker.js';
import { byTask, deadEndpoint, type EndpointMode, startProgressServer } from './progress-server.js';

/** A sample worker on its own queue reporting to `url`, plus a client; all cleaned up after the test. */
async function setup(t: import('ava').ExecutionContext, url: string, progress: Record<string, unknown> = {}) {
  const queue = uniqueQueue('progress');
  const log = captureLogger('sample', 'info');
  const retry = { maxAttempts: 3, initialDelayMs: 50 };
  const worker = new SampleWorker({
    amqpUrl: AMQP_URL,
    queue,
    concurrency: 20,
    retry,
    logger: log.logger,
    progress: { url, flushTimeoutMs: 300, ...progress },
  });
  const { client } = await startWorker(t, worker, queue, retry);
  return { queue, worker, client, log };
}

const call = (client: TaskClient, queue: string, task: SampleTask, taskId: string) =>
  client.call<SampleResult>(queue, task, { taskId }).then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );

function shape(events: readonly TaskEvent[]) {
  return events.map((e) => ({
    status: e.status,
    attempt: e.attempt,
    maxAttempts: e.maxAttempts,
    percent: e.percent ?? null,
    step: e.step ?? null,
    message: e.message ?? null,
    result: e.result ?? null,
    error: e.error ?? null,
  }));
}

test('every task’s events reach the endpoint in order, with the right fields, in far fewer requests than tasks', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { queue, client, worker } = await setup(t, server.url);
  const echo = Array.from({ length: 200 }, (_, i) => `echo-${i}`);
  const flaky = Array.from({ length: 5 }, (_, i) => `flaky-${i}`);
  const permanent = Array.from({ length: 5 }, (_, i) => `perm-${i}`);
  const outcomes = await Promise.all([
    ...echo.map((id, i) => call(client, queue, { action: 'echo', value: i }, id)),
    ...flaky.map((id) => call(client, queue, { action: 'flaky', failures: 1, value: id }, id)),
    ...permanent.map((id) => call(client, queue, { action: 'permanent', value: id }, id)),
  ]);
  t.is(outcomes.filter((o) => o.ok).length, 205);
  t.true(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.error instanceof TaskFailedError));

  const total = 200 * 3 + 5 * 6 + 5 * 3;
  await waitFor('every event at the endpoint', () => server.events().length === total);
  const tasks = byTask(server.events());
  for (const [taskId, events] of tasks) {
    t.true(events.every((e) => e.workerType === 'sample' && e.queue === queue && e.taskId === taskId));
    t.true(events.every((e) => !Number.isNaN(Date.parse(e.timestamp))));
  }
  t.deepEqual(shape(tasks.get('echo-7') ?? []), [
    { status: 'STARTED', attempt: 1, maxAttempts: 3, percent: null, step: 'Starting echo', message: null, result: null, error: null },
    {
      status: 'PROGRESS',
      attempt: 1,
      maxAttempts: 3,
      percent: 50,
      step: 'halfway',
      message: '{"action":"echo"}',
      result: null,
      error: null,
    },
    {
      status: 'COMPLETED',
      attempt: 1,
      maxAttempts: 3,
      percent: 100,
      step: null,
      message: null,
      result: { echoed: 7, attempt: 1 },
      error: null,
    },
  ]);
  for (const id of echo) {
    t.deepEqual(
      tasks.get(id)?.map((e) => e.status),
      ['STARTED', 'PROGRESS', 'COMPLETED'],
      id,
    );
  }
  for (const id of flaky) {
    const events = tasks.get(id) ?? [];
    t.deepEqual(
      events.map((e) => `${e.status}@${e.attempt}`),
      ['STARTED@1', 'PROGRESS@1', 'RETRYING@1', 'STARTED@2', 'PROGRESS@2', 'COMPLETED@2'],
      id,
    );
    t.like(events[2], { error: 'flaky failure on attempt 1', message: 'retrying in 50 ms (attempt 2 of 3)' });
    t.deepEqual(events[5]?.result, { echoed: id, attempt: 2 });
  }
  for (const id of permanent) {
    const events = tasks.get(id) ?? [];
    t.deepEqual(
      events.map((e) => e.status),
      ['STARTED', 'PROGRESS', 'FAILED'],
      id,
    );
    t.is(events[2]?.error, `cannot process ${id}`);
  }
  t.log(`210 tasks, ${total} events: ${server.requests.length} requests`);
  t.true(server.requests.length <= 210 / 5, `${server.requests.length} requests`);
  await waitFor('stats', () => worker.progressStats?.sent === total);
  t.deepEqual(worker.progressStats, { sent: total, dropped: 0, failed: 0, pending: 0 });
});

test('an invalid payload reports a single FAILED event', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { queue, client } = await setup(t, server.url);
  const broker = await rawBroker();
  t.teardown(() => broker.close());
  await broker.publish(queue, 'not json', { messageId: 'bad-1' });
  // A good task after it shows the worker went on.
  t.like(await call(client, queue, { action: 'echo', value: 1 }, 'good-1'), { ok: true });
  await waitFor('FAILED for bad-1', () => server.events().some((e) => e.taskId === 'bad-1'));
  const events = byTask(server.events()).get('bad-1') ?? [];
  t.is(events.length, 1);
  t.like(events[0], { status: 'FAILED', attempt: 1 });
  t.regex(events[0]?.error ?? '', /not valid JSON/);
});

for (const [name, mode] of [
  ['slow (10 s per request)', { kind: 'slow', ms: 10_000 }],
  ['returning GraphQL errors', { kind: 'errors' }],
  ['answering HTTP 500', { kind: 'http500' }],
] as const satisfies ReadonlyArray<readonly [string, EndpointMode]>) {
  test(`tasks complete while the endpoint is ${name}`, async (t) => {
    const server = await startProgressServer({ mode });
    t.teardown(() => server.close());
    const { queue, client, worker } = await setup(t, server.url);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call(client, queue, { action: 'echo', value: i }, `t${i}`)));
    t.is(results.filter((r) => r.ok).length, 100);
    t.is(worker.progressStats?.sent, 0);
    await waitFor('the endpoint tried', () => server.attempts > 0);
  });
}

test('tasks complete while the endpoint is down; the worker logs why, without the token', async (t) => {
  const token = 'secret-token-5a7c03b1';
  const { queue, client, worker, log } = await setup(t, await deadEndpoint(), { token });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call(client, queue, { action: 'echo', value: i }, `t${i}`)));
  t.is(results.filter((r) => r.ok).length, 100);
  await waitFor('a warning', () => /could not send task events/.test(log.text()));
  t.regex(log.text(), /ECONNREFUSED/);
  t.false(log.text().includes(token));
  t.is(worker.progressStats?.sent, 0);
});

test('stop() flushes pending events before it resolves', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { queue, client, worker } = await setup(t, server.url, { flushIntervalMs: 3_600_000, flushTimeoutMs: 10_000 });
  await Promise.all(Array.from({ length: 20 }, (_, i) => call(client, queue, { action: 'echo', value: i }, `t${i}`)));
  t.is(server.events().length, 0);
  await worker.stop();
  t.is(server.events().length, 60);
  t.deepEqual(worker.progressStats, { sent: 60, dropped: 0, failed: 0, pending: 0 });
});
