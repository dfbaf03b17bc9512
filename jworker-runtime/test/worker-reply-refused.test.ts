import test from 'ava';
import { waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

// Seen in the cluster suite's rolling restart: a quorum reply queue between leaders nacks the worker's reply. The
// delivery must go back to its queue at once, not sit unacked holding a prefetch slot while the channel stays open.
test('a reply the broker refuses sends the task back to its queue instead of holding a prefetch slot', async (t) => {
  const { queue, worker, broker, client } = await startSample(t, { concurrency: 1, deliveryLimit: 3 });
  // A reply queue that refuses every publish (nack): length limit 0 with reject-publish overflow.
  const refusing = `${queue}.refusing.replies`;
  await broker.channel.assertQueue(refusing, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
  t.teardown(async () => {
    await broker.channel.deleteQueue(refusing).catch(() => {});
  });
  await broker.publish(queue, JSON.stringify({ action: 'echo', value: 'refused' }), {
    messageId: 'refused',
    replyTo: refusing,
    contentType: 'application/json',
  });
  // With one slot, the next task completes only if the refused one gave its slot back.
  const result = await client.call(queue, { action: 'echo', value: 'next' }, { timeoutMs: 20_000 });
  t.deepEqual(result, { echoed: 'next', attempt: 1 });
  // The refused task came back and, past the delivery limit, the broker parked it in <queue>.dead.
  await waitFor('the refused task in <queue>.dead', async () => (await broker.count(`${queue}.dead`)).messageCount === 1, 20_000);
  const runs = worker.attempts.filter((a) => a.taskId === 'refused');
  t.true(runs.length >= 2, `the refused task was delivered again (${runs.length} runs)`);
  t.true(runs.slice(1).every((a) => a.redelivered));
});
