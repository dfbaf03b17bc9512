import test from 'ava';
import { HEADERS } from '../src/index.js';
import { waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

const fast = { initialDelayMs: 300, multiplier: 2, maxDelayMs: 5000 };

/** The formula's tolerance: ±10 % + 500 ms. */
function within(observed: number, expected: number): boolean {
  return Math.abs(observed - expected) <= expected * 0.1 + 500;
}

test('a flaky task is retried on the broker with the documented gaps, then completes', async (t) => {
  const { client, queue, worker } = await startSample(t, { retry: { ...fast, maxAttempts: 4 } });
  const result = await client.call(queue, { action: 'flaky', failures: 3, value: 'v' }, { taskId: 'flaky-1', timeoutMs: 15_000 });
  t.deepEqual(result, { echoed: 'v', attempt: 4 });
  const seen = worker.attempts.filter((a) => a.taskId === 'flaky-1');
  t.deepEqual(
    seen.map((a) => a.attempt),
    [1, 2, 3, 4],
    'the task arrives once per attempt',
  );
  const gaps = seen.slice(1).map((a, i) => a.at - (seen[i]?.at ?? 0));
  const expected = [300, 600, 1200];
  for (const [i, gap] of gaps.entries()) t.true(within(gap, expected[i] ?? 0), `gap ${i + 1}: ${gap} ms, expected ${expected[i]} ms`);
});

test('retry copies wait in per-delay queues on the broker, not in the process', async (t) => {
  const { client, queue, broker } = await startSample(t, { retry: { initialDelayMs: 60_000, maxAttempts: 2 } });
  await client.enqueue(queue, { action: 'flaky', failures: 1 }, { taskId: 'held' });
  await waitFor('the copy in the retry queue', async () => (await broker.count(`${queue}.retry.60000`)).messageCount === 1);
  const [copy] = await broker.drain(`${queue}.retry.60000`);
  t.is(copy?.properties.messageId, 'held');
  t.is(copy?.properties.headers?.[HEADERS.attempt], 2);
  t.is(copy?.properties.headers?.[HEADERS.lastError], 'flaky failure on attempt 1');
  await waitFor(`${queue} to hold 0 (a quorum queue's count can lag)`, async () => (await broker.count(queue)).messageCount === 0);
});

test('tasks with different delays do not wait behind each other', async (t) => {
  // Attempt 1 fails with a 4 s delay; a task failing at attempt 2 of another gets a short one... both share no queue.
  const { client, queue, worker } = await startSample(t, { retry: { initialDelayMs: 200, multiplier: 20, maxAttempts: 3 } });
  const long = client.call(queue, { action: 'flaky', failures: 2, value: 'long' }, { taskId: 'long', timeoutMs: 20_000 });
  await waitFor(
    'the long task to be in its 4 s retry queue',
    () => worker.attempts.filter((a) => a.taskId === 'long').length === 2,
    10_000,
  );
  const shortStart = Date.now();
  const short = await client.call(queue, { action: 'flaky', failures: 1, value: 'short' }, { taskId: 'short', timeoutMs: 20_000 });
  t.deepEqual(short, { echoed: 'short', attempt: 2 });
  const shortGap = (worker.attempts.find((a) => a.taskId === 'short' && a.attempt === 2)?.at ?? 0) - shortStart;
  t.true(within(shortGap, 200), `the 200 ms retry came back after ${shortGap} ms, not behind the 4 s one`);
  t.deepEqual(await long, { echoed: 'long', attempt: 3 });
});

test('a task out of attempts goes to <queue>.dead with its original body and the failure headers', async (t) => {
  const { client, queue, broker } = await startSample(t, { retry: { ...fast, maxAttempts: 2 } });
  const body = { action: 'flaky', failures: 5, value: 'never' };
  await t.throwsAsync(client.call(queue, body, { taskId: 'exhausted', timeoutMs: 10_000 }), { message: 'flaky failure on attempt 2' });
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.deepEqual(JSON.parse(dead?.content.toString() ?? ''), body);
  const headers = dead?.properties.headers ?? {};
  t.is(dead?.properties.messageId, 'exhausted');
  t.is(headers[HEADERS.error], 'flaky failure on attempt 2');
  t.is(headers[HEADERS.attempts], 2);
  t.is(headers[HEADERS.reason], 'exhausted');
  t.is(headers[HEADERS.workerType], 'sample');
  t.false(Number.isNaN(Date.parse(String(headers[HEADERS.failedAt]))));
});

test('a permanent failure is dead-lettered at once, without retries', async (t) => {
  const { client, queue, broker, worker } = await startSample(t, { retry: fast });
  await t.throwsAsync(client.call(queue, { action: 'permanent', value: 'p' }, { taskId: 'perm' }));
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.like(dead?.properties.headers, {
    [HEADERS.error]: 'cannot process p',
    [HEADERS.errorCode]: 'BAD_VALUE',
    [HEADERS.attempts]: 1,
    [HEADERS.reason]: 'permanent',
  });
  t.is(worker.attempts.filter((a) => a.taskId === 'perm').length, 1);
});

test('a body that is not JSON is dead-lettered unchanged with a reason, and the worker keeps going', async (t) => {
  const { client, queue, broker } = await startSample(t);
  await broker.publish(queue, 'this is {not json', { messageId: 'garbage' });
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.content.toString(), 'this is {not json');
  t.like(dead?.properties.headers, { [HEADERS.errorCode]: 'INVALID_JSON', [HEADERS.reason]: 'invalid', [HEADERS.attempts]: 1 });
  t.regex(String(dead?.properties.headers?.[HEADERS.error]), /^body is not valid JSON/);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'still alive' }), { echoed: 'still alive', attempt: 1 });
});

test('a task attempt that runs past taskTimeoutMs is aborted and retried', async (t) => {
  const { client, queue, worker } = await startSample(t, { taskTimeoutMs: 200, retry: { ...fast, maxAttempts: 2 } });
  const error = await t.throwsAsync(client.call(queue, { action: 'sleep', ms: 5_000 }, { taskId: 'slow', timeoutMs: 10_000 }));
  t.regex(error?.message ?? '', /task timed out after 200 ms/);
  t.is(worker.attempts.filter((a) => a.taskId === 'slow').length, 2, 'a timeout is transient: retried until attempts run out');
});

test('a retry queue deleted while the worker runs loses no task: the copy is refused, the queues are declared again, the task completes', async (t) => {
  const retry = { initialDelayMs: 100, maxAttempts: 3 };
  const { client, queue, broker, worker, logs } = await startSample(t, { retry });
  await broker.channel.deleteQueue(`${queue}.retry.100`);
  const result = await client.call(queue, { action: 'flaky', failures: 1, value: 'kept' }, { timeoutMs: 20_000 });
  t.deepEqual(result, { echoed: 'kept', attempt: 2 });
  t.true(
    logs.records.some((r) => /reached no queue/.test(String(r.msg)) && String(r.msg).includes(`${queue}.retry.100`)),
    'the missing queue was named in the log',
  );
  t.is(worker.state, 'consuming');
});
