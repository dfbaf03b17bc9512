import test from 'ava';
import { AckBatcher } from '../src/transport/ack-batcher.js';

/** A channel that records acks as [tag, multiple]. */
function recorder() {
  const acks: Array<[number, boolean]> = [];
  return {
    acks,
    channel: {
      ack: (message: { fields: { deliveryTag: number } }, multiple?: boolean) => acks.push([message.fields.deliveryTag, multiple ?? false]),
    },
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves once `check` holds, looking every millisecond; fails after `ms`. */
async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function batcher(channel: ReturnType<typeof recorder>['channel'], errors: unknown[] = []) {
  return new AckBatcher(channel as never, (error) => errors.push(error));
}

test('finished deliveries in order are acked with one multiple ack', (t) => {
  const { acks, channel } = recorder();
  const b = batcher(channel);
  for (const tag of [1, 2, 3, 4]) b.track(tag);
  for (const tag of [2, 1, 3, 4]) b.ack(tag);
  b.flush();
  t.deepEqual(acks, [[4, true]]);
  // Nothing is left outstanding: the next delivery is acked alone, as the head of a new run.
  b.track(5);
  b.ack(5);
  b.flush();
  t.deepEqual(acks.at(-1), [5, true]);
});

test('a delivery still running is never covered: those after it are acked one by one', (t) => {
  const { acks, channel } = recorder();
  const b = batcher(channel);
  for (const tag of [1, 2, 3, 4, 5]) b.track(tag);
  for (const tag of [1, 2, 4, 5]) b.ack(tag);
  b.flush();
  t.deepEqual(acks, [
    [2, true],
    [4, false],
    [5, false],
  ]);
  // Only 3 is outstanding: acking it covers nothing else.
  b.ack(3);
  b.flush();
  t.deepEqual(acks.at(-1), [3, true]);
  b.track(6);
  b.ack(6);
  b.flush();
  t.deepEqual(acks.at(-1), [6, true], 'nothing outstanding any more');
});

test('finished deliveries behind a running one wait for it, then one multiple ack covers them all', async (t) => {
  const { acks, channel } = recorder();
  const b = new AckBatcher(channel as never, () => {}, 60_000);
  for (const tag of [1, 2, 3, 4]) b.track(tag);
  for (const tag of [3, 4]) b.ack(tag);
  await nextTurn();
  t.deepEqual(acks, [], 'held while 1 and 2 run');
  b.ack(1);
  await nextTurn();
  t.deepEqual(acks, [[1, true]], 'the run from the oldest goes at once; 3 and 4 are still held behind 2');
  b.ack(2);
  await nextTurn();
  t.deepEqual(acks.at(-1), [4, true], 'one multiple ack for 2, 3 and 4');
  t.is(acks.length, 2);
});

test('a delivery running longer than the hold does not keep those behind it unacked', async (t) => {
  const { acks, channel } = recorder();
  const b = new AckBatcher(channel as never, () => {}, 5);
  for (const tag of [1, 2, 3]) b.track(tag);
  b.ack(2);
  b.ack(3);
  await waitFor(() => acks.length === 2, 2_000);
  t.deepEqual(acks, [
    [2, false],
    [3, false],
  ]);
  b.ack(1);
  await nextTurn();
  t.deepEqual(acks.at(-1), [1, true]);
});

test('a delivery left unacked on purpose (a forced stop) is never covered by a multiple ack', (t) => {
  const { acks, channel } = recorder();
  const b = batcher(channel);
  for (const tag of [1, 2, 3]) b.track(tag);
  // 1 is abandoned: neither acked nor forgotten, so it stays outstanding.
  b.ack(2);
  b.ack(3);
  b.flush();
  t.deepEqual(acks, [
    [2, false],
    [3, false],
  ]);
});

test('a nacked delivery is forgotten: the broker no longer counts it, so the run starts after it', (t) => {
  const { acks, channel } = recorder();
  const b = batcher(channel);
  for (const tag of [1, 2, 3]) b.track(tag);
  b.forget(1);
  b.ack(2);
  b.ack(3);
  b.flush();
  t.deepEqual(acks, [[3, true]]);
});

test('acks are flushed on the next turn of the event loop without a call to flush', async (t) => {
  const { acks, channel } = recorder();
  const b = batcher(channel);
  b.track(7);
  b.ack(7);
  t.deepEqual(acks, []);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(acks, [[7, true]]);
});

test('a closed channel is reported with the number of acks lost, and nothing is retried on it', (t) => {
  const errors: unknown[] = [];
  const b = new AckBatcher(
    {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as never,
    (error, count) => errors.push([String(error), count]),
  );
  b.track(1);
  b.ack(1);
  b.flush();
  t.deepEqual(errors, [['Error: Channel closed', 1]]);
});
