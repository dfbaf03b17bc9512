// The bench's own broker access: declares a work queue exactly as the runtime does (quorum, delivery limit,
// dead-lettering to <queue>.dead), pre-fills it and deletes it afterwards. Every variant gets the same queue.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';

/** The runtime's defaults (WorkerConfig.queueType, deliveryLimit): the raw baseline must not get a cheaper queue. */
export const QUEUE_TYPE = 'quorum';
export const DELIVERY_LIMIT = 20;

export function uniqueQueue(label) {
  return `jw-bench-${label}-${randomUUID().slice(0, 8)}`;
}

/** The arguments the runtime gives a quorum work queue (src/transport/topology.ts). */
export function workQueueArguments(queue) {
  return {
    'x-queue-type': QUEUE_TYPE,
    'x-delivery-limit': DELIVERY_LIMIT,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': `${queue}.dead`,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** A JSON body of exactly `bytes` bytes: `{"i":…,"fail":…,"pad":"xxx…"}`. */
export function body(i, fail, bytes) {
  const head = `{"i":${i},"fail":${fail},"pad":"`;
  const tail = '"}';
  const pad = bytes - head.length - tail.length;
  if (pad < 0) throw new Error(`--bytes ${bytes} is too small for the message envelope`);
  return Buffer.from(head + 'x'.repeat(pad) + tail);
}

export async function openBroker(url) {
  const connection = await amqplib.connect(url);
  const channel = await connection.createConfirmChannel();
  return {
    /** Declares `<queue>` and `<queue>.dead` with the runtime's arguments. */
    async declare(queue) {
      await channel.assertQueue(queue, { durable: true, arguments: workQueueArguments(queue) });
      await channel.assertQueue(`${queue}.dead`, { durable: true, arguments: { 'x-queue-type': QUEUE_TYPE } });
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
    /** Deletes a work queue, its dead-letter queue and the retry queues of the given delays. */
    async deleteAll(queue, retryDelays = []) {
      // The runtime declares the default policy's retry queues (1, 2, 4, 8 s) whenever a worker runs with it.
      const delays = new Set([1000, 2000, 4000, 8000, ...retryDelays]);
      for (const name of [queue, `${queue}.dead`, ...[...delays].map((d) => `${queue}.retry.${d}`)]) {
        await channel.deleteQueue(name).catch(() => {});
      }
    },
    async close() {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}
