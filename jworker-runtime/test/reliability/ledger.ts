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

export interface LedgerOptions {
  /** The broker's nodes, tried in turn (a cluster): the ledger follows them across node failures. @default [AMQP_URL] */
  readonly urls?: readonly string[];
  /** The ledger queue's type: `quorum` on a cluster, so it outlives the loss of a node. @default 'classic' */
  readonly queueType?: 'classic' | 'quorum';
}

/**
 * A producer with a durable reply queue as its ledger: every task is published with `replyTo` set to it,
 * so each outcome the workers record arrives there, even across worker crashes and broker restarts.
 * A task counts as sent once the broker confirmed it; one whose publish failed (its node went away before the confirm)
 * counts only if an outcome for it arrives.
 */
export async function createLedger(queue: string, options: LedgerOptions = {}) {
  const urls = options.urls ?? [AMQP_URL];
  // A name ending in ".replies": one of the reply queues a worker answers by default (docs/security.md).
  const ledgerQueue = `${queue}.ledger.replies`;
  const sent = new Set<string>();
  const unconfirmed = new Set<string>();
  /** `firstAt`: when the first outcome of the task arrived (epoch ms). */
  const outcomes = new Map<string, { completed: number; failed: number; error?: string; firstAt: number }>();
  /** When each outcome arrived (ms since the epoch), in order. */
  const arrivals: number[] = [];
  let connection: amqplib.ChannelModel | undefined;
  let closed = false;
  let next = 0;

  /** A connection to the first node that accepts one, starting after the node used last. */
  async function connect(): Promise<amqplib.ChannelModel> {
    const errors: string[] = [];
    for (let i = 0; i < urls.length; i++) {
      const url = urls[(next + i) % urls.length] as string;
      try {
        const c = await amqplib.connect(url);
        c.on('error', () => {});
        next = (next + i) % urls.length;
        return c;
      } catch (error) {
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
    next = (next + 1) % urls.length;
    throw new Error(`no node accepted a connection: ${errors.join('; ')}`);
  }

  const setup = await connect();
  const setupChannel = await setup.createChannel();
  await setupChannel.assertQueue(ledgerQueue, { durable: true, arguments: { 'x-queue-type': options.queueType ?? 'classic' } });
  await setup.close();

  /** Reads the ledger queue, reconnecting while the broker restarts. */
  async function listen(): Promise<void> {
    while (!closed) {
      try {
        connection = await connect();
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
          arrivals.push(Date.now());
          channel.ack(message);
        });
        await done;
      } catch {
        // The broker is down or restarting: try again shortly (on the next node of a cluster).
        next = (next + 1) % urls.length;
      }
      if (!closed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const listening = listen();

  return {
    ledgerQueue,
    /** Publishes tasks (persistent, confirmed) with the ledger as replyTo; returns their ids. */
    async send(tasks: readonly unknown[], options: { headers?: Record<string, unknown> } = {}): Promise<string[]> {
      const producer = await connect();
      const channel = await producer.createConfirmChannel();
      channel.on('error', () => {});
      const ids: string[] = [];
      const confirmed = (async () => {
        for (const task of tasks) {
          const id = randomUUID();
          ids.push(id);
          unconfirmed.add(id);
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
      })();
      // A node that dies mid-publish closes the connection: the publish fails, the ids stay unconfirmed.
      const lost = new Promise<never>((_, reject) =>
        producer.once('close', () => reject(new Error('the connection closed before every confirm'))),
      );
      lost.catch(() => {});
      confirmed.catch(() => {});
      await Promise.race([confirmed, lost]);
      for (const id of ids) {
        unconfirmed.delete(id);
        sent.add(id);
      }
      await producer.close().catch(() => {});
      return ids;
    },
    /** Publishes a raw body (for bad input) with the ledger as replyTo. */
    async sendRaw(body: Buffer, headers: Record<string, unknown> = {}): Promise<string> {
      const producer = await connect();
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
    /** When each outcome arrived (ms since the epoch), in arrival order. */
    arrivals(): readonly number[] {
      return arrivals;
    },
    tally(): Tally {
      let completed = 0;
      let dead = 0;
      let duplicates = 0;
      // A publish that failed before its confirm may still have reached the queue: it counts once an outcome arrives.
      for (const id of unconfirmed) if (outcomes.has(id)) sent.add(id);
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
      const cleanup = await connect();
      const channel = await cleanup.createChannel();
      await channel.deleteQueue(ledgerQueue).catch(() => {});
      await cleanup.close().catch(() => {});
    },
  };
}

export type Ledger = Awaited<ReturnType<typeof createLedger>>;
