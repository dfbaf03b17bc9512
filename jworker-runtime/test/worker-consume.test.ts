import test from 'ava';
import { QueueNotFoundError, TaskFailedError } from '../src/index.js';
import { uniqueQueue, waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

test('a task sent with TaskClient.call completes and its result comes back', async (t) => {
  const { client, queue } = await startSample(t);
  const result = await client.call(queue, { action: 'echo', value: { n: 42 } });
  t.deepEqual(result, { echoed: { n: 42 }, attempt: 1 });
});

test('enqueue resolves to the task id, which the worker sees as context.taskId', async (t) => {
  const { client, queue, worker } = await startSample(t);
  const taskId = await client.enqueue(queue, { action: 'echo', value: 1 }, { taskId: 'order-17' });
  t.is(taskId, 'order-17');
  await waitFor('the task to run', () => worker.attempts.some((a) => a.taskId === 'order-17'));
  t.like(worker.attempts[0], { taskId: 'order-17', attempt: 1, redelivered: false });
});

test('a plain JSON message from any AMQP client, with no jworker headers, is a valid first attempt', async (t) => {
  const { broker, queue, worker } = await startSample(t);
  await broker.publish(queue, JSON.stringify({ action: 'echo', value: 'raw' }));
  await waitFor('the raw task to run', () => worker.attempts.length === 1);
  t.is(worker.attempts[0]?.attempt, 1);
  t.regex(worker.attempts[0]?.taskId ?? '', /^[0-9a-f-]{36}$/, 'a task id is generated when messageId is absent');
  await waitFor('the work queue to be empty', async () => (await broker.count(queue)).messageCount === 0);
});

test('call rejects with TaskFailedError carrying code and permanent for a permanent failure', async (t) => {
  const { client, queue } = await startSample(t);
  const error = await t.throwsAsync(client.call(queue, { action: 'permanent', value: 'x' }), { instanceOf: TaskFailedError });
  t.is(error?.message, 'cannot process x');
  t.is(error?.code, 'BAD_VALUE');
  t.true(error?.permanent);
});

test('enqueue to a queue that does not exist is refused, not silently dropped', async (t) => {
  const { client } = await startSample(t);
  const missing = uniqueQueue('missing');
  await t.throwsAsync(client.enqueue(missing, { a: 1 }), {
    instanceOf: QueueNotFoundError,
    message: new RegExp(`no queue named "${missing}"`),
  });
});

test('call rejects after its timeout when no worker answers', async (t) => {
  const { client, queue, worker } = await startSample(t);
  await worker.stop();
  await t.throwsAsync(client.call(queue, { action: 'echo' }, { timeoutMs: 300 }), { message: /no result for task .* within 300 ms/ });
});

test('never more tasks in flight than concurrency', async (t) => {
  const { client, queue, worker } = await startSample(t, { concurrency: 3 });
  let peak = 0;
  worker.events.on('taskStart', () => {
    peak = Math.max(peak, worker.inFlight);
  });
  await Promise.all(Array.from({ length: 12 }, (_, i) => client.call(queue, { action: 'sleep', ms: 50, value: i })));
  t.is(peak, 3);
});

test('initialize runs before the first task, and start and stop are idempotent', async (t) => {
  const { worker } = await startSample(t);
  t.true(worker.initialized);
  t.is(worker.start(), worker.start());
  t.is(worker.state, 'consuming');
  const first = worker.stop();
  t.is(worker.stop(), first);
  await first;
  t.is(worker.state, 'stopped');
});

test('each task writes one end line at info with taskId, attempt, outcome, durationMs and redelivered; the start line is at debug', async (t) => {
  const { client, queue, logs } = await startSample(t);
  await client.call(queue, { action: 'echo' }, { taskId: 'log-me' });
  // The end line follows the ack, which follows the reply.
  await waitFor('the end line', () => logs.records.some((r) => r.taskId === 'log-me' && r.msg === 'task completed'));
  const lines = logs.records.filter((r) => r.taskId === 'log-me');
  const start = lines.find((r) => r.msg === 'task started');
  const end = lines.find((r) => r.msg === 'task completed');
  t.like(start, { taskId: 'log-me', attempt: 1, level: 20 });
  t.like(end, { taskId: 'log-me', attempt: 1, outcome: 'completed', redelivered: false, level: 30 });
  t.is(typeof end?.durationMs, 'number');
});

test('an internal error outside the attempt parks the message in <queue>.dead instead of leaving it stuck', async (t) => {
  const { client, queue, worker, broker } = await startSample(t);
  const listener = () => {
    throw new Error('a buggy listener');
  };
  worker.events.on('taskStart', listener);
  await client.enqueue(queue, { action: 'echo' }, { taskId: 'internal' });
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.properties.messageId, 'internal');
  t.is(dead?.properties.headers?.['x-jworker-error-code'], 'INTERNAL');
  t.regex(String(dead?.properties.headers?.['x-jworker-error']), /internal error: a buggy listener/);
  worker.events.off('taskStart', listener);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'after' }), { echoed: 'after', attempt: 1 });
});

test('a long task does not hold back the acks of quick ones finished after it (prefetch slots free up)', async (t) => {
  const { client, queue } = await startSample(t, { concurrency: 2 });
  let longDone = false;
  const long = client.call(queue, { action: 'sleep', ms: 4000, value: 'long' }, { timeoutMs: 20_000 }).then((result) => {
    longDone = true;
    return result;
  });
  // With two slots, one held by the long task, the quick ones only flow if each is acked as soon as it is done.
  const quick = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.call(queue, { action: 'echo', value: i }, { timeoutMs: 20_000 })),
  );
  t.false(longDone, 'all quick tasks finished while the long one still ran');
  t.is(quick.length, 20);
  t.deepEqual(await long, { echoed: 'long', attempt: 1 });
});

test('replies are persistent, so a reply waiting in a durable reply queue survives a broker restart', async (t) => {
  const { queue, broker } = await startSample(t);
  const replies = `${queue}.replies`;
  await broker.channel.assertQueue(replies, { durable: true });
  t.teardown(() => broker.channel.deleteQueue(replies).then(() => {}));
  await broker.publish(queue, JSON.stringify({ action: 'echo', value: 'kept' }), {
    messageId: 'p-1',
    replyTo: replies,
    correlationId: 'c-1',
  });
  await waitFor('the reply', async () => (await broker.count(replies)).messageCount === 1);
  const [message] = await broker.drain(replies);
  t.is(message?.properties.deliveryMode, 2, 'persistent');
  t.is(message?.properties.correlationId, 'c-1');
  t.deepEqual(JSON.parse(message?.content.toString() ?? ''), {
    taskId: 'p-1',
    status: 'completed',
    result: { echoed: 'kept', attempt: 1 },
  });
});
