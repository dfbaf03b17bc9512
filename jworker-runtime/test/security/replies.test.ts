import test from 'ava';
import { TaskFailedError } from '../../src/index.js';
import { type SampleResult, type SampleTask, SampleWorker } from '../fixtures/sample-worker.js';
import { AMQP_URL, uniqueQueue, waitFor } from '../helpers/broker.js';
import { startSample, startWorker } from '../helpers/worker.js';

// A producer chooses replyTo, and the worker publishes there with its own credentials: by default only to direct
// reply-to, server-named queues and queues named `*.replies`, never to its own queues.

test('a replyTo naming the worker’s own work, retry or dead queue, or another worker’s queue, is dead-lettered unrun with a reason', async (t) => {
  const { queue, worker, broker, client } = await startSample(t);
  const other = uniqueQueue('other-worker');
  await broker.channel.assertQueue(other, { durable: false });
  t.teardown(() => broker.channel.deleteQueue(other).then(() => {}));
  const targets = { own: queue, dead: `${queue}.dead`, retry: `${queue}.retry.1000`, other };
  for (const [id, replyTo] of Object.entries(targets)) {
    await broker.publish(queue, JSON.stringify({ action: 'echo', value: id }), { messageId: id, replyTo });
  }
  await waitFor('four dead letters', async () => (await broker.count(`${queue}.dead`)).messageCount === 4);
  const dead = await broker.drain(`${queue}.dead`);
  t.deepEqual(dead.map((m) => m.properties.messageId).sort(), ['dead', 'other', 'own', 'retry']);
  for (const message of dead) {
    t.is(message.properties.headers?.['x-jworker-error-code'], 'REPLY_TO_REFUSED');
    t.is(message.properties.headers?.['x-jworker-reason'], 'invalid');
    t.regex(
      String(message.properties.headers?.['x-jworker-error']),
      /^replyTo ".+" (names one of this worker's own queues|is not a reply queue)/,
    );
  }
  t.deepEqual(worker.attempts, [], 'none of them ran');
  t.is((await broker.count(other)).messageCount, 0, 'nothing was published to the other worker’s queue');
  t.is((await broker.count(queue)).messageCount, 0, 'no reply came back as a task');
  t.is((await broker.count(`${queue}.retry.1000`)).messageCount, 0);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'still consuming' }), { echoed: 'still consuming', attempt: 1 });
});

test('direct reply-to, a server-named queue, a *.replies queue and a REPLY_TO_ALLOW pattern are answered', async (t) => {
  const { queue, broker, client, logs } = await startSample(t, { replyToAllow: ['billing-*-results'] });
  const serverNamed = (await broker.channel.assertQueue('', { exclusive: true })).queue;
  const named = `${queue}.replies`;
  const allowed = `billing-${uniqueQueue('x')}-results`;
  for (const name of [named, allowed]) {
    await broker.channel.assertQueue(name, { durable: false });
    t.teardown(() => broker.channel.deleteQueue(name).then(() => {}));
  }
  for (const replyTo of [serverNamed, named, allowed]) {
    await broker.publish(queue, JSON.stringify({ action: 'echo', value: replyTo }), { messageId: replyTo, replyTo });
  }
  for (const replyTo of [serverNamed, named, allowed]) {
    await waitFor(`the reply in ${replyTo}`, async () => (await broker.count(replyTo)).messageCount === 1);
    const [reply] = await broker.drain(replyTo);
    t.deepEqual(JSON.parse(reply?.content.toString() ?? ''), {
      taskId: replyTo,
      status: 'completed',
      result: { echoed: replyTo, attempt: 1 },
    });
  }
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'direct' }), { echoed: 'direct', attempt: 1 });
  // The end line is written after the reply's confirm, where a returned reply would have been logged.
  await waitFor('four end lines', () => logs.records.filter((r) => r.msg === 'task completed').length === 4);
  t.deepEqual(
    logs.records.filter((r) => /reached no|reached nobody/.test(String(r.msg))).map((r) => r.msg),
    [],
    'a reply its caller got is not reported as lost',
  );
});

test('a reply nobody can receive is logged once per cause, not once per task, and the tasks are acked', async (t) => {
  const { queue, broker, logs, worker } = await startSample(t);
  const ends: string[] = [];
  worker.events.on('taskEnd', (record) => ends.push(`${record.taskId}:${record.outcome}`));
  for (let i = 0; i < 5; i++) {
    await broker.publish(queue, JSON.stringify({ action: 'echo', value: i }), { messageId: `gone-${i}`, replyTo: 'nobody-here.replies' });
  }
  await waitFor('five tasks to end', () => ends.length === 5);
  t.deepEqual(
    ends.sort(),
    [0, 1, 2, 3, 4].map((i) => `gone-${i}:completed`),
  );
  await waitFor('the queue to be empty', async () => (await broker.count(queue)).messageCount === 0);
  const lines = logs.records.filter((r) => String(r.msg).includes('nobody-here.replies'));
  t.is(lines.length, 1);
  t.regex(String(lines[0]?.msg), /reached no queue: it does not exist; logged once for this queue/);
});

test('a result with no JSON form (a BigInt, a cycle) with replyTo ends as a clear failure: acked, dead-lettered, and the caller told why', async (t) => {
  class OddResultWorker extends SampleWorker {
    protected override async executeTask(task: SampleTask): Promise<SampleResult> {
      if (task.value === 'bigint') return { echoed: 10n, attempt: 1 };
      const cyclic: Record<string, unknown> = { attempt: 1 };
      cyclic.echoed = cyclic;
      return cyclic as unknown as SampleResult;
    }
  }
  const queue = uniqueQueue('odd-result');
  const { worker, client, broker } = await startWorker(t, new OddResultWorker({ amqpUrl: AMQP_URL, queue, logLevel: 'fatal' }), queue);
  for (const value of ['bigint', 'cycle']) {
    const error = await t.throwsAsync(client.call(queue, { action: 'echo', value }), { instanceOf: TaskFailedError });
    t.is(error?.code, 'RESULT_NOT_SERIALIZABLE');
    t.true(error?.permanent);
    t.regex(error?.message ?? '', /cannot be sent as JSON: .*(BigInt|circular)/i);
  }
  await waitFor('two dead letters', async () => (await broker.count(`${queue}.dead`)).messageCount === 2);
  await waitFor('nothing left unacked', () => worker.inFlight === 0);
  t.is((await broker.count(queue)).messageCount, 0);
  t.is(worker.state, 'consuming');
});
