import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { AMQP_URL } from '../helpers/broker.js';

/** What happened to every task sent, counted from the producer's side. */
export interface Tally {
  readonly sent: number;
  readonly completed: number;
  readonly dead: number;
  /** Tasks whose outcome was reported more than once (the work ran more than once: at-least-once). */
  readonly duplicates: number;
  /** Sent and neither completed nor dead. Must be 0 at the end of a run. */
  readonly lost: number;
}

/**
 * A producer with a durable reply queue as its ledger: every task is published with `replyTo` set to it,
 * so each outcome the workers record arrives there, even across worker crashes and broker restarts.
 */
export async function createLedger(queue: string) {
  // A name ending in ".replies": one of the reply queues a worker answers by default (docs/security.md).
  const ledgerQueue = `${queue}.ledger.replies`;
  const sent = new Set<string>();
  /** `firstAt`: when the first outcome of the task arrived (epoch ms). */
  const outcomes = new Map<string, { completed: number; failed: number; error?: string; firstAt: number }>();
  let connection: amqplib.ChannelModel | undefined;
  let closed = false;

  const setup = await amqplib.connect(AMQP_URL);
  const setupChannel = await setup.createChannel();
  await setupChannel.assertQueue(ledgerQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  await setup.close();

  /** Reads the ledger queue, reconnecting while the broker restarts. */
  async function listen(): Promise<void> {
    while (!closed) {
      try {
        connection = await amqplib.connect(AMQP_URL);
        const channel = await connection.createChannel();
        const done = new Promise<void>((resolve) => {
          connection?.on('close', () => resolve());
          connection?.on('error', () => resolve());
        });
        await channel.consume(ledgerQueue, (message) => {
          if (!message) return;
          const id = String(message.properties.correlationId);
          const reply = JSON.parse(message.content.toString()) as { status: string; error?: { message: string } };
          const entry = outcomes.get(id) ?? { completed: 0, failed: 0, firstAt: Date.now() };
          if (reply.status === 'completed') entry.completed++;
          else {
            entry.failed++;
            entry.error = reply.error?.message;
          }
          outcomes.set(id, entry);
          channel.ack(message);
        });
        await done;
      } catch {
        // The broker is down or restarting: try again shortly.
      }
      if (!closed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const listening = listen();

  return {
    ledgerQueue,
    /** Publishes tasks (persistent, confirmed) with the ledger as replyTo; returns their ids. */
    async send(tasks: readonly unknown[], options: { headers?: Record<string, unknown> } = {}): Promise<string[]> {
      const producer = await amqplib.connect(AMQP_URL);
      const channel = await producer.createConfirmChannel();
      const ids: string[] = [];
      for (const task of tasks) {
        const id = randomUUID();
        ids.push(id);
        sent.add(id);
        const ok = channel.sendToQueue(queue, Buffer.from(JSON.stringify(task)), {
          persistent: true,
          messageId: id,
          correlationId: id,
          replyTo: ledgerQueue,
          contentType: 'application/json',
          ...(options.headers ? { headers: options.headers } : {}),
        });
        if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
      }
      await channel.waitForConfirms();
      await producer.close();
      return ids;
    },
    /** Publishes a raw body (for bad input) with the ledger as replyTo. */
    async sendRaw(body: Buffer, headers: Record<string, unknown> = {}): Promise<string> {
      const producer = await amqplib.connect(AMQP_URL);
      const channel = await producer.createConfirmChannel();
      const id = randomUUID();
      sent.add(id);
      channel.sendToQueue(queue, body, { persistent: true, messageId: id, correlationId: id, replyTo: ledgerQueue, headers });
      await channel.waitForConfirms();
      await producer.close();
      return id;
    },
    outcome(id: string) {
      return outcomes.get(id);
    },
    tally(): Tally {
      let completed = 0;
      let dead = 0;
      let duplicates = 0;
      for (const id of sent) {
        const entry = outcomes.get(id);
        if (!entry) continue;
        if (entry.completed > 0) completed++;
        else if (entry.failed > 0) dead++;
        if (entry.completed + entry.failed > 1) duplicates++;
      }
      return { sent: sent.size, completed, dead, duplicates, lost: sent.size - completed - dead };
    },
    /** Resolves once every task sent is accounted for, or rejects with the tally after `timeoutMs`. */
    async settled(timeoutMs: number): Promise<Tally> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const tally = this.tally();
        if (tally.lost === 0) return tally;
        if (Date.now() > deadline) throw new Error(`not every task was accounted for within ${timeoutMs} ms: ${JSON.stringify(tally)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close(): Promise<void> {
      closed = true;
      await connection?.close().catch(() => {});
      await listening;
      const cleanup = await amqplib.connect(AMQP_URL);
      const channel = await cleanup.createChannel();
      await channel.deleteQueue(ledgerQueue).catch(() => {});
      await cleanup.close().catch(() => {});
    },
  };
}

export type Ledger = Awaited<ReturnType<typeof createLedger>>;
