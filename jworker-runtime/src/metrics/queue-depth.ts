import type { Channel, ChannelModel } from 'amqplib';
import amqplib from 'amqplib';
import type Logger from 'bunyan';
import type { TlsOptions } from '../config/options.js';
import { maskCredentials } from '../log/mask.js';
import { splitUrls } from '../transport/connection.js';

/** Ready messages in a worker's queues: work, retry (all retry queues together) and dead. */
export interface QueueDepth {
  readonly work: number;
  readonly retry: number;
  readonly dead: number;
}

export interface QueueDepthOptions {
  readonly amqpUrl: string;
  readonly tls: TlsOptions | undefined;
  readonly work: string;
  readonly dead: string;
  readonly retry: readonly string[];
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the broker did not answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      const value = await Promise.race([this.#query(), timeout]);
      this.#cached = { at: performance.now(), value };
      if (this.#failing) this.#options.logger.info('metrics: queue depths readable again');
      this.#failing = false;
      return value;
    } catch (error) {
      this.#cached = undefined;
      if (!this.#failing && !this.#closed) {
        this.#options.logger.warn(
          { error: maskCredentials(error instanceof Error ? error.message : String(error)) },
          'metrics: cannot read queue depths; jworker_queue_messages is left out until the broker answers',
        );
      }
      this.#failing = true;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async #query(): Promise<QueueDepth> {
    const connection = await this.#connect();
    const { work, dead, retry } = this.#options;
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      const depth = async (queue: string) => (await channel.checkQueue(queue)).messageCount;
      const workCount = await depth(work);
      const deadCount = await depth(dead);
      let retryCount = 0;
      for (const name of retry) retryCount += await countOrZero(connection, name);
      return { work: workCount, retry: retryCount, dead: deadCount };
    } finally {
      await channel.close().catch(() => {});
    }
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
    let lastError: unknown;
    for (const url of splitUrls(this.#options.amqpUrl)) {
      try {
        const connection = await amqplib.connect(url, {
          ...(this.#options.tls as object | undefined),
          timeout: this.#options.timeoutMs ?? 2000,
          clientProperties: { connection_name: this.#options.connectionName },
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
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}

/** A retry queue the worker has not declared yet (or that was deleted) holds nothing: count 0, on its own channel. */
async function countOrZero(connection: ChannelModel, queue: string): Promise<number> {
  let channel: Channel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on('error', () => {});
    const { messageCount } = await channel.checkQueue(queue);
    return messageCount;
  } catch {
    return 0;
  } finally {
    await channel?.close().catch(() => {});
  }
}
