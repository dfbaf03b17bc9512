import type { ChannelModel } from 'amqplib';
import type Logger from 'bunyan';
import type { TlsOptions } from '../config/options.js';
import { errorMessage } from '../errors/message.js';
import { maskCredentials } from '../log/mask.js';
import { connectFirstReachable, inspectQueue } from '../transport/direct.js';
import { withTimeout } from '../transport/timeout.js';

/** Ready messages in a worker's queues: work, retry and delay (all retry queues, all delay buckets together) and dead. */
export interface QueueDepth {
  readonly work: number;
  readonly retry: number;
  readonly delay: number;
  readonly dead: number;
}

export interface QueueDepthOptions {
  readonly amqpUrl: string;
  readonly tls: TlsOptions | undefined;
  readonly work: string;
  readonly dead: string;
  readonly retry: readonly string[];
  /** The delay buckets' names (most do not exist: they are declared when first used). */
  readonly delay: readonly string[];
  readonly logger: Logger;
  readonly connectionName: string;
  /** A value younger than this is served from the cache, so scrapes never hammer the broker. @default 5000 */
  readonly maxAgeMs?: number;
  /** A scrape waits at most this long for the broker. @default 2000 */
  readonly timeoutMs?: number;
}

/**
 * Reads queue depths with passive `queue.declare` (checkQueue) on a connection of its own, opened on the first scrape.
 * The worker's connection is private to it, and a scrape must never disturb the consuming channel: a failed passive
 * declare closes its channel, so each refresh uses a short-lived channel. Values are cached for `maxAgeMs`.
 */
export class QueueDepthProbe {
  readonly #options: QueueDepthOptions;
  #connection: ChannelModel | undefined;
  #connecting: Promise<ChannelModel> | undefined;
  #cached: { at: number; value: QueueDepth } | undefined;
  #refreshing: Promise<QueueDepth | undefined> | undefined;
  #closed = false;
  #failing = false;

  constructor(options: QueueDepthOptions) {
    this.#options = options;
  }

  /** The depths, from the cache or the broker; undefined when the broker cannot tell us now. Never throws. */
  async read(): Promise<QueueDepth | undefined> {
    const maxAgeMs = this.#options.maxAgeMs ?? 5000;
    if (this.#cached && performance.now() - this.#cached.at < maxAgeMs) return this.#cached.value;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Closes the probe's connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection ?? (await this.#connecting?.catch(() => undefined));
    this.#connection = undefined;
    await connection?.close().catch(() => {});
  }

  async #refresh(): Promise<QueueDepth | undefined> {
    const timeoutMs = this.#options.timeoutMs ?? 2000;
    try {
      const value = await withTimeout(this.#query(), timeoutMs, 'reading queue depths from the broker');
      this.#cached = { at: performance.now(), value };
      if (this.#failing) this.#options.logger.info('metrics: queue depths readable again');
      this.#failing = false;
      return value;
    } catch (error) {
      this.#cached = undefined;
      if (!this.#failing && !this.#closed) {
        this.#options.logger.warn(
          { error: maskCredentials(errorMessage(error)) },
          'metrics: cannot read queue depths; jworker_queue_messages is left out until the broker answers',
        );
      }
      this.#failing = true;
      return undefined;
    }
  }

  async #query(): Promise<QueueDepth> {
    const connection = await this.#connect();
    const { work, dead, retry, delay } = this.#options;
    const count = async (queue: string) => {
      const info = await inspectQueue(connection, queue);
      if (!info) throw new Error(`queue ${queue} does not exist`);
      return info.messageCount;
    };
    // A retry queue or delay bucket not declared yet (or deleted) holds nothing.
    const sum = async (names: readonly string[]) => {
      let total = 0;
      for (const name of names) total += (await inspectQueue(connection, name))?.messageCount ?? 0;
      return total;
    };
    return { work: await count(work), retry: await sum(retry), delay: await sum(delay), dead: await count(dead) };
  }

  async #connect(): Promise<ChannelModel> {
    if (this.#closed) throw new Error('the metrics probe is closed');
    if (this.#connection) return this.#connection;
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<ChannelModel> {
    const connection = await connectFirstReachable(this.#options.amqpUrl, {
      tls: this.#options.tls,
      timeoutMs: this.#options.timeoutMs ?? 2000,
      connectionName: this.#options.connectionName,
    });
    const forget = () => {
      if (this.#connection === connection) this.#connection = undefined;
    };
    connection.on('error', forget);
    connection.on('close', forget);
    if (this.#closed) {
      await connection.close().catch(() => {});
      throw new Error('the metrics probe is closed');
    }
    this.#connection = connection;
    return connection;
  }
}
