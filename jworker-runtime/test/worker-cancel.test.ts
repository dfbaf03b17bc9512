import test from 'ava';
import { isTaskCancelledError, TaskCancelledError, TaskFailedError, type TaskRecord } from '../src/index.js';
import { runTask } from '../src/testing/index.js';
import { DELAY_BUCKETS_MS } from '../src/wire/delay.js';
import { queueNames } from '../src/wire/names.js';
import { Cancellations, MAX_REMEMBERED_CANCELS } from '../src/worker/cancellations.js';
import { TaskAbort } from '../src/worker/task-abort.js';
import { SampleWorker } from './fixtures/sample-worker.js';
import { AMQP_URL, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { sampleBehindProxy, startSample } from './helpers/worker.js';

function outcomes(worker: SampleWorker): TaskRecord[] {
  const records: TaskRecord[] = [];
  worker.events.on('taskEnd', (record) => records.push(record));
  return records;
}

test('a cancel is remembered for the window, aborts running attempts, and memory stays bounded', (t) => {
  const cancels = new Cancellations(1000);
  const abort = new TaskAbort();
  cancels.started('a', abort);
  cancels.cancel('a', 10_000, 10_000);
  t.true(abort.aborted);
  t.true(isTaskCancelledError(abort.reason));
  t.true(cancels.isCancelled('a', 10_500));
  t.false(cancels.isCancelled('a', 11_000), 'forgotten after the window');
  cancels.cancel('old', 0, 10_000);
  t.false(cancels.isCancelled('old', 10_000), 'a cancel older than the window is ignored');
  for (let i = 0; i < MAX_REMEMBERED_CANCELS + 10; i++) cancels.cancel(`t${i}`, 20_000, 20_000);
  t.is(cancels.size, MAX_REMEMBERED_CANCELS);
  t.false(cancels.isCancelled('t0', 20_000), 'the oldest went first');
});

test('TaskCancelledError is a TaskFailedError with code CANCELLED', (t) => {
  const error = new TaskCancelledError('t-1');
  t.true(error instanceof TaskFailedError);
  t.is(error.code, 'CANCELLED');
  t.is(error.taskId, 't-1');
  t.is(error.name, 'TaskCancelledError');
});

test('runTask: a signal aborted with a TaskCancelledError gives the cancelled outcome and a CANCELLED event', async (t) => {
  const controller = new AbortController();
  const worker = new SampleWorker({});
  const run = runTask(worker, { action: 'sleep', ms: 10_000 }, { signal: controller.signal, taskId: 'c' });
  controller.abort(new TaskCancelledError('c'));
  const result = await run;
  t.is(result.outcome, 'cancelled');
  t.deepEqual(
    result.events.map((e) => e.status),
    ['STARTED', 'PROGRESS', 'CANCELLED'],
  );
});

test('cancelling a running task aborts its signal with TaskCancelledError; its call rejects; it is acked, not retried', async (t) => {
  const { client, queue, worker, broker } = await startSample(t);
  const records = outcomes(worker);
  const call = client.call(queue, { action: 'sleep', ms: 60_000 }, { taskId: 'running', timeoutMs: 20_000 });
  await waitFor('the task to start', () => worker.attempts.length === 1);
  await client.cancel(queue, 'running');
  const error = await t.throwsAsync(call, { instanceOf: TaskCancelledError });
  t.is(error?.code, 'CANCELLED');
  await waitFor('the outcome', () => records.length === 1);
  t.is(records[0]?.outcome, 'cancelled');
  t.is((await broker.count(queue)).messageCount, 0);
  t.is((await broker.count(`${queue}.dead`)).messageCount, 0);
  t.is(worker.attempts.length, 1, 'not run again');
});

test('a task cancelled while no worker ran is dropped by the next worker before it starts', async (t) => {
  const first = await startSample(t);
  const { client, queue } = first;
  await first.worker.stop();
  const call = client.call(queue, { action: 'echo', value: 'never' }, { taskId: 'queued', timeoutMs: 20_000 });
  await client.enqueue(queue, { action: 'echo', value: 'kept' }, { taskId: 'kept' });
  await client.cancel(queue, 'queued');
  const second = new SampleWorker({ amqpUrl: AMQP_URL, queue, logger: captureLogger('sample', 'warn').logger });
  const records = outcomes(second);
  t.teardown(() => second.stop());
  await second.start();
  await t.throwsAsync(call, { instanceOf: TaskCancelledError });
  await waitFor('both outcomes', () => records.length === 2);
  t.deepEqual(
    second.attempts.map((a) => a.taskId),
    ['kept'],
  );
  t.is(records.find((r) => r.taskId === 'queued')?.outcome, 'cancelled');
});

test('a delayed task that is cancelled is dropped at its next hop and never runs', async (t) => {
  const { client, queue, worker, broker } = await startSample(t);
  const records = outcomes(worker);
  const call = client.call(queue, { action: 'echo' }, { taskId: 'delayed', delayMs: 3000, timeoutMs: 20_000 });
  const inBucket = async () => (await broker.count(queueNames(queue).delay(2048))).messageCount === 1;
  await waitFor('the task in its first delay bucket', inBucket);
  await client.cancel(queue, 'delayed');
  await t.throwsAsync(call, { instanceOf: TaskCancelledError });
  await waitFor('the outcome', () => records.length === 1);
  t.is(records[0]?.outcome, 'cancelled');
  t.is(worker.attempts.length, 0);
  let waiting = 0;
  for (const bucket of DELAY_BUCKETS_MS) waiting += (await broker.count(queueNames(queue).delay(bucket))).messageCount;
  t.is(waiting, 0);
});

test('cancelling an unknown or finished task is not an error', async (t) => {
  const { client, queue } = await startSample(t);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 1 }, { taskId: 'done' }), { echoed: 1, attempt: 1 });
  await t.notThrowsAsync(client.cancel(queue, 'done'));
  await t.notThrowsAsync(client.cancel(queue, 'never-existed'));
});

test('a task cancelled while its worker was cut off from the broker is dropped when the worker is back', async (t) => {
  const { proxy, queue, worker, client } = await sampleBehindProxy(t, 'cancel-cut');
  const records = outcomes(worker);
  await worker.start();
  proxy.refuse(true);
  proxy.cut();
  await waitFor('the worker to notice', () => worker.state === 'reconnecting');
  await client.enqueue(queue, { action: 'echo' }, { taskId: 'while-cut' });
  await client.cancel(queue, 'while-cut');
  proxy.refuse(false);
  await waitFor('the outcome', () => records.length === 1, 20_000);
  t.is(records[0]?.outcome, 'cancelled');
  t.is(worker.attempts.length, 0);
});

test('a task cancelled while it waits for a retry is dropped when the retry comes back', async (t) => {
  const { client, queue, worker, broker } = await startSample(t, { retry: { initialDelayMs: 2000, maxAttempts: 3 } });
  const records = outcomes(worker);
  const call = client.call(queue, { action: 'flaky', failures: 1 }, { taskId: 'retrying', timeoutMs: 20_000 });
  await waitFor('the retry copy', async () => (await broker.count(`${queue}.retry.2000`)).messageCount === 1);
  await client.cancel(queue, 'retrying');
  await t.throwsAsync(call, { instanceOf: TaskCancelledError });
  await waitFor('both outcomes', () => records.length === 2);
  t.deepEqual(
    records.map((r) => `${r.attempt} ${r.outcome}`),
    ['1 retried', '2 cancelled'],
  );
  t.is(worker.attempts.length, 1, 'the second attempt never ran');
});
