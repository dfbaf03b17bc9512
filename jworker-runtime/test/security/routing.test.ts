import type { ExecutionContext } from 'ava';
import test from 'ava';
import type { TaskRecord } from '../../src/index.js';
import { type RawBroker, uniqueQueue, waitFor } from '../helpers/broker.js';
import { cli } from '../helpers/cli.js';
import { startSample } from '../helpers/worker.js';

// RabbitMQ routes a message to every queue named in its CC and BCC headers. A producer that sets them must not make
// the worker's retry or dead-letter copies, or the CLI's walked and replayed copies, reach any other queue.

/** A plain classic queue another team owns, which no copy of ours may ever reach. */
async function victimQueue(t: ExecutionContext, broker: RawBroker): Promise<string> {
  const victim = uniqueQueue('victim');
  await broker.channel.assertQueue(victim, { durable: false });
  t.teardown(() => broker.channel.deleteQueue(victim).then(() => {}));
  return victim;
}

/** Every taskEnd of the worker, to count how often a task came back. */
function taskEnds(worker: { events: { on(event: 'taskEnd', listener: (record: TaskRecord) => void): unknown } }): TaskRecord[] {
  const ends: TaskRecord[] = [];
  worker.events.on('taskEnd', (record) => ends.push(record));
  return ends;
}

/** Publishes a sentinel and waits until it completed: with concurrency 1, everything queued before it has run. */
async function drainedThrough(broker: RawBroker, queue: string, ends: TaskRecord[]): Promise<void> {
  const id = `sentinel-${Math.random().toString(36).slice(2)}`;
  await broker.publish(queue, JSON.stringify({ action: 'echo' }), { messageId: id });
  await waitFor('the sentinel to complete', () => ends.some((end) => end.taskId === id && end.outcome === 'completed'));
}

test('an invalid body with CC naming the work queue is dead-lettered once, not looped; one naming another queue reaches only the producer’s own copy', async (t) => {
  const { queue, worker, broker } = await startSample(t, { concurrency: 1 });
  const victim = await victimQueue(t, broker);
  const ends = taskEnds(worker);
  await broker.publish(queue, 'not json at all', { messageId: 'hostile-1', headers: { CC: [queue, victim], BCC: [victim] } });
  // The producer's own publish reached the victim (its CC names it): that copy is the producer's, not ours.
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  await drainedThrough(broker, queue, ends);

  t.is(ends.filter((end) => end.taskId === 'hostile-1').length, 1, 'the hostile message ran once, no copy came back');
  t.is((await broker.count(`${queue}.dead`)).messageCount, 1);
  t.is((await broker.count(victim)).messageCount, 1, 'only the producer’s own publish reached the victim');
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.properties.headers?.CC, undefined);
  t.is(dead?.properties.headers?.['x-jworker-error-code'], 'INVALID_JSON');
  t.is(worker.state, 'consuming');
});

test('retry and dead-letter copies of a task with CC and BCC headers reach no other queue', async (t) => {
  const { queue, worker, broker } = await startSample(t, { concurrency: 1, retry: { initialDelayMs: 50, maxAttempts: 3 } });
  const victim = await victimQueue(t, broker);
  const ends = taskEnds(worker);
  const headers = { CC: [victim, queue], cc: [victim], Bcc: [victim], tenant: 'acme' };
  await broker.publish(queue, JSON.stringify({ action: 'flaky', failures: 1, value: 'r' }), { messageId: 'hostile-retry', headers });
  await broker.publish(queue, JSON.stringify({ action: 'permanent', value: 'd' }), { messageId: 'hostile-dead', headers });
  await waitFor('the retried task to complete', () => ends.some((end) => end.taskId === 'hostile-retry' && end.outcome === 'completed'));
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  await drainedThrough(broker, queue, ends);

  t.deepEqual(
    ends
      .filter((end) => end.taskId.startsWith('hostile-'))
      .map((end) => `${end.taskId}:${end.attempt}:${end.outcome}`)
      .sort(),
    ['hostile-dead:1:dead_lettered', 'hostile-retry:1:retried', 'hostile-retry:2:completed'],
  );
  t.is((await broker.count(victim)).messageCount, 2, 'the producer’s two publishes, and no copy of ours');
  const [dead] = await broker.drain(`${queue}.dead`);
  const kept = Object.keys(dead?.properties.headers ?? {}).filter((key) => !key.startsWith('x-jworker-') && key !== 'x-delivery-count');
  t.deepEqual(kept, ['tenant'], 'the producer’s own headers, without CC, cc or Bcc');
});

test('jworker dead list and dead replay never re-publish CC or BCC', async (t) => {
  const { queue, worker, broker } = await startSample(t, { concurrency: 1 });
  const victim = await victimQueue(t, broker);
  const ends = taskEnds(worker);
  // How a CC header reaches a dead queue: the broker dead-letters with every header kept, or anyone publishes there.
  await broker.publish(`${queue}.dead`, JSON.stringify({ action: 'echo', value: 'replayed' }), {
    messageId: 'parked',
    headers: { CC: [victim], BCC: [victim], 'x-jworker-error': 'earlier failure' },
  });
  t.is((await broker.count(victim)).messageCount, 1, 'the producer’s own publish');

  const list = await cli(['dead', 'list', queue, '--json']);
  t.is(list.code, 0);
  t.is(JSON.parse(list.stdout).length, 1);
  t.is((await broker.count(victim)).messageCount, 1, 'listing copied nothing to the victim');
  t.is((await broker.count(queue)).messageCount, 0, 'listing copied nothing to the work queue');

  const replay = await cli(['dead', 'replay', queue, '--all', '--json']);
  t.is(replay.code, 0);
  t.deepEqual(JSON.parse(replay.stdout), { replayed: 1, notFound: [] });
  await waitFor('the replayed task to complete', () => ends.some((end) => end.taskId === 'parked' && end.outcome === 'completed'));
  await drainedThrough(broker, queue, ends);
  t.is(ends.filter((end) => end.taskId === 'parked').length, 1);
  t.is((await broker.count(victim)).messageCount, 1, 'replaying copied nothing to the victim');
  t.is((await broker.count(`${queue}.dead`)).messageCount, 0);
});
