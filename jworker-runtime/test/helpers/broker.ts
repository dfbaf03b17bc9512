import { randomUUID } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import amqplib from 'amqplib';
import type { ExecutionContext } from 'ava';
import { normalizeConfig } from '../../src/config/normalize.js';
import type { RetryOptions } from '../../src/config/options.js';
import { assertTopology } from '../../src/transport/declare.js';
import { DELAY_BUCKETS_MS } from '../../src/wire/delay.js';
import { queueNames } from '../../src/wire/names.js';
import { topology } from '../../src/wire/topology.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A queue name no other test uses. */
export function uniqueQueue(prefix = 'test'): string {
  return `jw-${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A raw amqplib connection for a test's own publishing and inspecting, closed by `close()`. */
export async function rawBroker() {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createConfirmChannel();
  return {
    channel,
    /** Publishes a raw body (string or Buffer) to a queue and waits for the confirm. */
    async publish(queue: string, body: string | Buffer, options: amqplib.Options.Publish = {}): Promise<void> {
      channel.sendToQueue(queue, typeof body === 'string' ? Buffer.from(body) : body, { persistent: true, ...options });
      await channel.waitForConfirms();
    },
    /** Ready and consumer counts of a queue (0/0 when it does not exist). */
    async count(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
      const probe = await connection.createChannel();
      probe.on('error', () => {});
      try {
        const { messageCount, consumerCount } = await probe.checkQueue(queue);
        await probe.close();
        return { messageCount, consumerCount };
      } catch {
        return { messageCount: 0, consumerCount: 0 };
      }
    },
    /** Takes every message now in a queue (acked). */
    async drain(queue: string): Promise<GetMessage[]> {
      const out: GetMessage[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (!message) return out;
        out.push(message);
      }
    },
    /**
     * Deletes a work queue and every queue its worker declares with the retry policy `retry` (the default one if
     * absent), its delay buckets and its cancel stream.
     */
    async deleteAll(queue: string, retry: RetryOptions = {}): Promise<void> {
      const del = await connection.createChannel();
      del.on('error', () => {});
      for (const spec of topology(normalizeConfig({ retry }, queue))) await del.deleteQueue(spec.name).catch(() => {});
      // Delay buckets are declared when first used; deleting one that does not exist is harmless.
      const names = queueNames(queue);
      for (const bucket of DELAY_BUCKETS_MS) await del.deleteQueue(names.delay(bucket)).catch(() => {});
      await del.deleteQueue(names.cancel).catch(() => {});
      await del.close().catch(() => {});
    },
    async close(): Promise<void> {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

export type RawBroker = Awaited<ReturnType<typeof rawBroker>>;

/** Resolves when `check` returns true, polling every 20 ms; rejects after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A worker's queues on a fresh name, declared as its worker would (default retry policy); deleted when the test ends. */
export async function declaredQueue(
  t: ExecutionContext,
  prefix: string,
  queueType: 'quorum' | 'classic' = 'quorum',
): Promise<{ queue: string; broker: RawBroker }> {
  const queue = uniqueQueue(prefix);
  const broker = await rawBroker();
  t.teardown(async () => {
    await broker.deleteAll(queue);
    await broker.close();
  });
  await assertTopology(broker.channel, normalizeConfig({ queueType }, queue));
  return { queue, broker };
}
