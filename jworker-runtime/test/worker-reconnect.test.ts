import test from 'ava';
import { SampleWorker } from './fixtures/sample-worker.js';
import { AMQP_URL, rawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { sampleBehindProxy } from './helpers/worker.js';

test.serial('after a cut connection the worker reconnects, declares its queues again and consumes', async (t) => {
  const { proxy, queue, worker, client, broker } = await sampleBehindProxy(t, 'reconnect');
  await worker.start();
  t.deepEqual(await client.call(queue, { action: 'echo', value: 1 }), { echoed: 1, attempt: 1 });
  // Delete the queues while the worker is cut off: the reconnect must declare them again.
  proxy.refuse(true);
  proxy.cut();
  await waitFor('the worker to notice', () => worker.state === 'reconnecting');
  await broker.deleteAll(queue);
  proxy.refuse(false);
  await waitFor('the worker to consume again', () => worker.state === 'consuming', 20_000);
  t.is((await broker.count(queue)).consumerCount, 1);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 2 }), { echoed: 2, attempt: 1 });
});

test.serial('tasks in flight across a cut are delivered again and complete; none is lost and no channel error occurs', async (t) => {
  const { proxy, queue, worker, client, logs } = await sampleBehindProxy(t, 'reconnect', { concurrency: 10 });
  await worker.start();
  const calls = Array.from({ length: 10 }, (_, i) =>
    client.call(queue, { action: 'sleep', ms: 400, value: i }, { taskId: `cut-${i}`, timeoutMs: 30_000 }),
  );
  await waitFor('ten tasks in flight', () => worker.inFlight === 10);
  proxy.cut();
  const results = await Promise.all(calls);
  t.deepEqual(
    results.map((r) => (r as { echoed: number }).echoed),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  const redelivered = worker.attempts.filter((a) => a.redelivered);
  t.is(redelivered.length, 10, 'each task in flight came back, marked redelivered');
  // Outcomes of the interrupted attempts are never acked on the new channel (that would be a channel error).
  t.false(logs.text().includes('PRECONDITION_FAILED'));
  t.false(logs.text().includes('unknown delivery tag'));
});

test.serial('a broker unreachable at start is retried with backoff and one clear line per attempt, password masked', async (t) => {
  const { proxy, queue, worker, client, logs } = await sampleBehindProxy(t, 'reconnect');
  proxy.refuse(true);
  const started = worker.start();
  await waitFor(
    'three failed attempts',
    () => logs.records.filter((r) => String(r.msg).startsWith('cannot reach RabbitMQ')).length >= 3,
    20_000,
  );
  const failures = logs.records.filter((r) => String(r.msg).startsWith('cannot reach RabbitMQ'));
  t.regex(String(failures[0]?.msg), /amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/);
  t.false(
    failures.some((r) => 'stack' in r || (r.err as { stack?: string } | undefined)?.stack !== undefined),
    'no stack traces',
  );
  const gaps = failures.slice(1).map((r, i) => Date.parse(String(r.time)) - Date.parse(String(failures[i]?.time)));
  t.true((gaps[1] ?? 0) > (gaps[0] ?? 0), `the waits grow: ${gaps.join(', ')} ms`);
  proxy.refuse(false);
  await started;
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'late' }), { echoed: 'late', attempt: 1 });
});

test.serial('a queue declared with other arguments is reported clearly, and the worker recovers once it is fixed', async (t) => {
  const queue = uniqueQueue('mismatch');
  const broker = await rawBroker();
  await broker.channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  const logs = captureLogger('sample', 'debug');
  const worker = new SampleWorker({ amqpUrl: AMQP_URL, queue, logger: logs.logger });
  t.teardown(async () => {
    await worker.stop();
    await broker.deleteAll(queue);
    await broker.close();
  });
  const started = worker.start();
  await waitFor('the setup error', () => logs.records.some((r) => String(r.msg).startsWith(`could not set up queue ${queue}`)), 10_000);
  const line = logs.records.find((r) => String(r.msg).startsWith(`could not set up queue ${queue}`));
  t.regex(String(line?.msg), /PRECONDITION_FAILED/);
  t.regex(String(line?.msg), /WORKER_QUEUE_TYPE/);
  await broker.channel.deleteQueue(queue);
  await started;
  t.is(worker.state, 'consuming');
});
