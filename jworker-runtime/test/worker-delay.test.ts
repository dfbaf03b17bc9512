import test from 'ava';
import { HEADERS } from '../src/index.js';
import { DELAY_BUCKETS_MS } from '../src/wire/delay.js';
import { queueNames } from '../src/wire/names.js';
import { SampleWorker } from './fixtures/sample-worker.js';
import { AMQP_URL, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { ctl, hasRabbitmqctl } from './helpers/rabbitmqctl.js';
import { startSample } from './helpers/worker.js';

/** The bound: a delayed task starts within max(1 s, 5 % of the delay) after its time, under low load. */
function lateBound(delayMs: number): number {
  return Math.max(1000, delayMs * 0.05);
}

/** Messages waiting in the delay buckets of `queue`. */
async function inBuckets(count: (queue: string) => Promise<{ messageCount: number }>, queue: string): Promise<number> {
  const names = queueNames(queue);
  let sum = 0;
  for (const bucket of DELAY_BUCKETS_MS) sum += (await count(names.delay(bucket))).messageCount;
  return sum;
}

test.serial('delayed tasks start after their delay, never before, and within max(1 s, 5 %) after it', async (t) => {
  const { client, queue, worker } = await startSample(t);
  const delays = [1000, 1500, 2000, 3000, 5000];
  const sent = new Map<string, { at: number; delayMs: number }>();
  await Promise.all(
    delays.map(async (delayMs, i) => {
      const taskId = `d${i}`;
      sent.set(taskId, { at: Date.now(), delayMs });
      await client.enqueue(queue, { action: 'echo', value: i }, { taskId, delayMs });
    }),
  );
  await waitFor('every delayed task to run', () => worker.attempts.length === delays.length, 20_000);
  // Serial: the bound is for low load, not for the other tests of this file running beside it.
  for (const attempt of worker.attempts) {
    const { at, delayMs } = sent.get(attempt.taskId) ?? { at: 0, delayMs: 0 };
    const late = attempt.at - (at + delayMs);
    t.true(late >= 0, `${attempt.taskId} (${delayMs} ms) started ${-late} ms early`);
    t.true(late <= lateBound(delayMs), `${attempt.taskId} (${delayMs} ms) started ${late} ms late`);
    t.log(`${delayMs} ms delay: started ${late} ms after its time`);
  }
});

test.serial('call() with notBefore resolves with the result after that time', async (t) => {
  const { client, queue } = await startSample(t);
  const notBefore = new Date(Date.now() + 1500);
  const result = await client.call(queue, { action: 'echo', value: 'later' }, { notBefore, timeoutMs: 10_000 });
  t.deepEqual(result, { echoed: 'later', attempt: 1 });
  t.true(Date.now() >= notBefore.getTime());
});

test.serial('a producer in another language asks for a delay with x-jworker-delay-ms or x-jworker-not-before', async (t) => {
  const { queue, worker, broker } = await startSample(t);
  const start = Date.now();
  await broker.publish(queue, JSON.stringify({ action: 'echo', value: 'rel' }), { messageId: 'rel', headers: { [HEADERS.delayMs]: 1200 } });
  await broker.publish(queue, JSON.stringify({ action: 'echo', value: 'abs' }), {
    messageId: 'abs',
    headers: { [HEADERS.notBefore]: String(start + 1200) },
  });
  await waitFor('both to run', () => worker.attempts.length === 2, 10_000);
  for (const attempt of worker.attempts) t.true(attempt.at >= start + 1200, `${attempt.taskId} ran ${start + 1200 - attempt.at} ms early`);
});

test.serial('a malformed delay header is refused into the dead-letter queue, not run early', async (t) => {
  const { queue, worker, broker } = await startSample(t);
  await broker.publish(queue, JSON.stringify({ action: 'echo' }), { messageId: 'bad', headers: { [HEADERS.notBefore]: 'soon' } });
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.properties.headers?.[HEADERS.errorCode], 'BAD_HEADER');
  t.is(worker.attempts.length, 0);
});

test.serial(
  'tasks waiting in the delay buckets all run once after the worker that delayed them stopped and a new one started',
  async (t) => {
    const first = await startSample(t);
    const { client, queue, broker } = first;
    const count = 20;
    const sentAt = Date.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        client.enqueue(queue, { action: 'echo', value: i }, { taskId: `r${i}`, delayMs: 3000 + (i % 5) * 200 }),
      ),
    );
    await waitFor('all tasks in the delay buckets', async () => (await inBuckets(broker.count, queue)) === count, 10_000);
    await first.worker.stop();
    t.is(first.worker.attempts.length, 0);
    const second = new SampleWorker({ amqpUrl: AMQP_URL, queue, logger: captureLogger('sample', 'warn').logger });
    t.teardown(() => second.stop());
    await second.start();
    await waitFor('every task to run on the new worker', () => second.attempts.length === count, 20_000);
    t.deepEqual(new Set(second.attempts.map((a) => a.taskId)).size, count, 'each task once');
    for (const a of second.attempts) t.true(a.at >= sentAt + 3000, `${a.taskId} ran before its time`);
  },
);

test.serial('1,000 tasks with random delays from 1 s to 30 days create at most 25 delay queues', async (t) => {
  const { client, queue, broker, worker } = await startSample(t, { concurrency: 50 });
  const count = 1000;
  const longest = 30 * 24 * 3600 * 1000;
  // Log-uniform between 1 s and 30 days, so that every bucket size is asked for, not only the longest ones.
  const delayMs = () => Math.round(1000 * (longest / 1000) ** Math.random());
  await Promise.all(
    Array.from({ length: count }, (_, i) => client.enqueue(queue, { action: 'echo', value: i }, { taskId: `b${i}`, delayMs: delayMs() })),
  );
  await waitFor(
    'every task in a bucket or run',
    async () => (await inBuckets(broker.count, queue)) + worker.attempts.length === count,
    60_000,
  );
  const prefix = `${queue}.`;
  let derived: string[];
  if (hasRabbitmqctl()) {
    derived = ctl('-q', 'list_queues', 'name', '--no-table-headers')
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(prefix));
  } else {
    derived = [];
    for (const bucket of DELAY_BUCKETS_MS) {
      if ((await broker.count(queueNames(queue).delay(bucket))).messageCount > 0) derived.push(queueNames(queue).delay(bucket));
    }
  }
  const delayQueues = derived.filter((name) => name.startsWith(`${prefix}delay.`));
  t.log(`${delayQueues.length} delay queues, ${derived.length} derived queues in all`);
  t.true(delayQueues.length <= 25);
  t.true(derived.length <= 50, `${derived.length} queues besides the work queue`);
});
