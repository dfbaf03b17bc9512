// The bench's own broker access: declares a work queue exactly as the runtime does (its exported topology(): quorum,
// delivery limit, dead-lettering to <queue>.dead), pre-fills it and deletes it afterwards. Every variant gets the same queue.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';

/** The runtime's defaults (WorkerConfig.queueType, deliveryLimit): the raw baseline must not get a cheaper queue. */
export const QUEUE_TYPE = 'quorum';
export const DELIVERY_LIMIT = 20;

export function uniqueQueue(label) {
  return `jw-bench-${label}-${randomUUID().slice(0, 8)}`;
}

/** A retry policy as the runtime resolves it: its documented defaults (docs/configuration.md), with `overrides`. */
export function retryPolicy(overrides = {}) {
  return { maxAttempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300_000, jitter: 0, ...overrides };
}

/** A JSON body of exactly `bytes` bytes: `{"i":…,"fail":…,"pad":"xxx…"}`. */
export function body(i, fail, bytes) {
  const head = `{"i":${i},"fail":${fail},"pad":"`;
  const tail = '"}';
  const pad = bytes - head.length - tail.length;
  if (pad < 0) throw new Error(`--bytes ${bytes} is too small for the message envelope`);
  return Buffer.from(head + 'x'.repeat(pad) + tail);
}

/** `topology` is the runtime's own (the build under test), so the raw baseline gets exactly the worker's queue. */
export async function openBroker(url, topology) {
  const connection = await amqplib.connect(url);
  const channel = await connection.createConfirmChannel();
  const queuesOf = (queue, retry) => topology({ queue, queueType: QUEUE_TYPE, deliveryLimit: DELIVERY_LIMIT, retry });
  /** The retry queue of `retry`'s first delay: the one whose messages wait `initialDelayMs`. */
  const firstRetryQueue = (queue, retry) => queuesOf(queue, retry).find((q) => q.arguments['x-message-ttl'] === retry.initialDelayMs);
  return {
    /** Declares `<queue>` and `<queue>.dead` with the runtime's arguments (workers declare their retry queues). */
    async declare(queue) {
      const [work, dead] = queuesOf(queue, retryPolicy());
      for (const spec of [work, dead]) await channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
    },
    /** Declares the retry queue of `retry`'s first delay, as a worker with that policy does. */
    async declareRetry(queue, retry) {
      const spec = firstRetryQueue(queue, retry);
      await channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
    },
    /** The name of the retry queue holding copies for `retry`'s first delay (the runtime's `<queue>.retry.<ms>`). */
    retryQueueOf(queue, retry) {
      return firstRetryQueue(queue, retry).name;
    },
    /**
     * Publishes `count` persistent JSON messages of `bytes` bytes, `failEvery`-th ones flagged to fail their first
     * attempt, and waits until the broker confirmed them all.
     */
    async fill(queue, { count, bytes, failEvery = 0, idPrefix }) {
      const options = { persistent: true, contentType: 'application/json' };
      for (let i = 0; i < count; i++) {
        const fail = failEvery > 0 && i % failEvery === 0;
        const ok = channel.sendToQueue(queue, body(i, fail, bytes), { ...options, messageId: `${idPrefix}-${i}` });
        if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
        if (i % 2000 === 1999) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
    },
    async messageCount(queue) {
      const { messageCount } = await channel.checkQueue(queue);
      return messageCount;
    },
    /** Deletes every queue a worker declares with the default retry policy and with each of `retryPolicies`. */
    async deleteAll(queue, retryPolicies = []) {
      const names = new Set([retryPolicy(), ...retryPolicies].flatMap((retry) => queuesOf(queue, retry).map((spec) => spec.name)));
      for (const name of names) await channel.deleteQueue(name).catch(() => {});
    },
    async close() {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}
