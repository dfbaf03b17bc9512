import type { ExecutionContext } from 'ava';
import test from 'ava';
import type { WorkerConfig } from '../src/index.js';
import { TaskClient, TaskFailedError } from '../src/index.js';
import { VERSION } from '../src/version.js';
import { delayQueueSpec } from '../src/wire/topology.js';
import type { TaskRecord } from '../src/worker/worker-events.js';
import { AMQP_URL, type RawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { sampleValue } from './helpers/prometheus.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { startSample } from './helpers/worker.js';

/** A sample worker serving metrics on a free port; stopped and its queues deleted at the end of the test. */
async function startWithMetrics(t: ExecutionContext, config: WorkerConfig = {}) {
  const { queue, worker, broker, logs } = await startSample(t, {
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    ...config,
    queue: uniqueQueue('metrics'),
  });
  const records: TaskRecord[] = [];
  worker.events.on('taskEnd', (record) => records.push(record));
  const base = `http://127.0.0.1:${worker.metricsPort}`;
  return { queue, worker, records, broker, base, logs };
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

test('/metrics counts completed, retried-then-completed and permanently failed tasks', async (t) => {
  const { queue, records, base } = await startWithMetrics(t, { retry: { initialDelayMs: 50, maxAttempts: 3 } });
  const client = new TaskClient({ url: AMQP_URL });
  t.teardown(() => client.close());
  await client.call(queue, { action: 'echo', value: 1 }, { timeoutMs: 10_000 });
  await client.call(queue, { action: 'flaky', failures: 1 }, { timeoutMs: 10_000 });
  await t.throwsAsync(client.call(queue, { action: 'permanent', value: 'x' }, { timeoutMs: 10_000 }), { instanceOf: TaskFailedError });
  // The reply is sent before the ack: wait for the worker to record all four deliveries.
  await waitFor('four task ends', () => records.length === 4);

  const { status, text } = await get(`${base}/metrics`);
  t.is(status, 200);
  const l = { worker_type: 'sample', queue };
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'completed' }), 2);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'retried' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'dead_lettered' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'abandoned' }), 0);
  t.is(sampleValue(text, 'jworker_dead_lettered_total', { ...l, reason: 'permanent' }), 1);
  t.is(sampleValue(text, 'jworker_dead_lettered_total', { ...l, reason: 'exhausted' }), 0);
  t.is(sampleValue(text, 'jworker_task_duration_seconds_count', { ...l, outcome: 'completed' }), 2);
  t.is(sampleValue(text, 'jworker_task_duration_seconds_count', { ...l, outcome: 'dead_lettered' }), 1);
  t.is(sampleValue(text, 'jworker_task_attempts_count', l), 4);
  t.is(sampleValue(text, 'jworker_task_attempts_sum', l), 5, 'attempts 1, 1, 2 and 1');
  t.is(sampleValue(text, 'jworker_tasks_in_flight', l), 0);
  t.is(sampleValue(text, 'jworker_broker_connected', l), 1);
  t.is(sampleValue(text, 'jworker_broker_reconnects_total', l), 0);
  t.is(sampleValue(text, 'jworker_progress_events_total', { ...l, result: 'sent' }), 0);
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'dead' }), 1);
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'work' }), 0);
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'retry' }), 0);
  t.not(sampleValue(text, 'process_cpu_user_seconds_total'), undefined, 'default process metrics are served');
});

/** Declares a delay bucket as a worker does the first time it needs it. */
async function assertDelayBucket(broker: RawBroker, queue: string, bucketMs: number): Promise<void> {
  const spec = delayQueueSpec({ queue, queueType: 'quorum' }, bucketMs);
  await broker.channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
}

test('queue depths count ready messages in the work, retry, delay and dead queues, and tasks in flight', async (t) => {
  const { queue, worker, broker, base } = await startWithMetrics(t, {
    concurrency: 1,
    shutdownTimeoutMs: 50,
    retry: { initialDelayMs: 30_000, maxAttempts: 3 },
  });
  const client = new TaskClient({ url: AMQP_URL });
  t.teardown(() => client.close());
  // One long task holds the only prefetch slot, so the next three stay ready in the work queue.
  await client.enqueue(queue, { action: 'sleep', ms: 60_000 });
  await waitFor('the long task to start', () => worker.inFlight === 1);
  for (let i = 0; i < 3; i++) await client.enqueue(queue, { action: 'echo', value: i });
  await broker.publish(`${queue}.retry.30000`, '{}');
  await broker.publish(`${queue}.retry.60000`, '{}');
  await broker.publish(`${queue}.dead`, '{}');
  // A delayed task waits in a delay bucket; the busy worker's prefetch is full, so declare the bucket as it would.
  await assertDelayBucket(broker, queue, 2 ** 21);
  await broker.publish(`${queue}.delay.${2 ** 21}`, '{}');

  const { text } = await get(`${base}/metrics`);
  const l = { worker_type: 'sample', queue };
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'work' }), 3);
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'retry' }), 2, 'the sum over both retry queues');
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'dead' }), 1);
  t.is(sampleValue(text, 'jworker_queue_messages', { ...l, kind: 'delay' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_in_flight', l), 1);
});

test('/healthz is 200 with the state, /readyz 200 while consuming, unknown paths 404', async (t) => {
  const { base } = await startWithMetrics(t);
  const health = await get(`${base}/healthz`);
  t.is(health.status, 200);
  t.like(JSON.parse(health.text), { status: 'ok', state: 'consuming' });
  const ready = await get(`${base}/readyz`);
  t.is(ready.status, 200);
  t.like(JSON.parse(ready.text), { state: 'consuming', connected: true });
  t.is((await get(`${base}/nope`)).status, 404);
  t.is((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
});

test.serial('/readyz is 503 while the broker connection is cut and 200 again after the reconnect', async (t) => {
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const { worker, base, queue } = await startWithMetrics(t, { amqpUrl: proxy.url });
  t.is((await get(`${base}/readyz`)).status, 200);

  proxy.refuse(true);
  proxy.cut();
  await waitFor('the worker to notice the cut', () => worker.state === 'reconnecting');
  const down = await get(`${base}/readyz`);
  t.is(down.status, 503);
  t.like(JSON.parse(down.text), { state: 'reconnecting', connected: false });
  t.is((await get(`${base}/healthz`)).status, 200, 'still alive');
  const metrics = await get(`${base}/metrics`);
  t.is(sampleValue(metrics.text, 'jworker_broker_connected', { worker_type: 'sample', queue }), 0);

  proxy.refuse(false);
  await waitFor('readiness again', async () => (await get(`${base}/readyz`)).status === 200, 30_000);
  const after = await get(`${base}/metrics`);
  t.is(sampleValue(after.text, 'jworker_broker_connected', { worker_type: 'sample', queue }), 1);
  t.is(sampleValue(after.text, 'jworker_broker_reconnects_total', { worker_type: 'sample', queue }), 1);
});

test('the metrics server closes when the worker stops', async (t) => {
  const { worker, base } = await startWithMetrics(t);
  t.is((await get(`${base}/healthz`)).status, 200);
  await worker.stop();
  await t.throwsAsync(fetch(`${base}/healthz`));
});

test('the worker logs its jworker-runtime version when it starts and serves it as jworker_build_info', async (t) => {
  const { queue, base, logs } = await startWithMetrics(t);
  const start = logs.records.find((record) => String(record['msg']).startsWith('starting sample worker'));
  t.is(start?.['msg'], `starting sample worker on queue ${queue} (jworker-runtime ${VERSION})`);
  const { text } = await get(`${base}/metrics`);
  t.is(sampleValue(text, 'jworker_build_info', { worker_type: 'sample', queue, version: VERSION, node_version: process.version }), 1);
});
