import { randomUUID } from 'node:crypto';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type Logger from 'bunyan';
import { maskCredentials } from '../log/mask.js';
import { readCancelEntry, streamMarker } from '../wire/cancel.js';
import type { QueueSpec } from '../wire/topology.js';

/** What a {@link CancelFollower} reads and where the cancels go. */
export interface CancelFollowerOptions {
  /** The cancel stream, `<queue>.cancel`. */
  readonly stream: QueueSpec;
  /** Read from this long ago on every (re)connect. */
  readonly windowMs: number;
  readonly logger: Logger;
  /** Each cancel request read, old ones first. Must not throw. */
  onCancel(taskId: string, at: number): void;
}

/** Stream consumers need a prefetch; the requests are tiny. */
const STREAM_PREFETCH = 1000;

/**
 * Reads a queue's cancel stream on its own channel of the worker's connection: from the window's start on every
 * (re)connect, then each new request as it comes. `caughtUp()` resolves once everything written before the worker
 * connected has been read (a marker it wrote itself came back), so that no cancelled task starts for want of reading.
 */
export class CancelFollower {
  readonly #options: CancelFollowerOptions;
  readonly #wrapper: ChannelWrapper;
  /** Settled once the stream was read up to this connection's marker; a new one after each lost connection. */
  #caughtUp!: Promise<void>;
  #resolveCaughtUp!: () => void;
  #marker: string | undefined;
  #closed = false;

  constructor(open: (setup: (channel: ConfirmChannel) => Promise<void>) => ChannelWrapper, options: CancelFollowerOptions) {
    this.#options = options;
    this.connectionLost();
    this.#wrapper = open((channel) => this.#setup(channel));
    // Setup failures are logged in #setup; a later reconnect tries again.
    this.#wrapper.on('error', () => {});
  }

  /**
   * The connection was lost: cancels may have been written meanwhile, so the next `caughtUp()` waits for the stream
   * to be read again, up to the marker of the next connection.
   */
  connectionLost(): void {
    this.#resolveCaughtUp?.();
    this.#caughtUp = new Promise((resolve) => {
      this.#resolveCaughtUp = resolve;
    });
  }

  /** Resolves true once caught up, or false after `timeoutMs` (the stream cannot be read: cancels are not seen). */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#caughtUp.then(() => !this.#closed), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#resolveCaughtUp();
    await this.#wrapper.close().catch(() => {});
  }

  async #setup(channel: ConfirmChannel): Promise<void> {
    const { stream, windowMs, logger } = this.#options;
    try {
      await channel.assertQueue(stream.name, { durable: true, arguments: { ...stream.arguments } });
      await channel.prefetch(STREAM_PREFETCH);
      const from = Math.floor((Date.now() - windowMs) / 1000);
      await channel.consume(stream.name, (message) => message && this.#onMessage(channel, message), {
        noAck: false,
        arguments: { 'x-stream-offset': { '!': 'timestamp', value: from } },
      });
      const marker = randomUUID();
      this.#marker = marker;
      const { content, options } = streamMarker(marker);
      channel.publish('', stream.name, content, options);
    } catch (error) {
      logger.error(
        { err: error, stream: stream.name },
        'cannot read the cancel stream %s: %s. Cancels will not reach this worker. If it exists with another window, set CANCEL_WINDOW_MS to match or delete it; CANCEL_WINDOW_MS=0 turns cancelling off.',
        stream.name,
        maskCredentials((error as Error).message ?? String(error)),
      );
      this.#resolveCaughtUp();
      throw error;
    }
  }

  #onMessage(channel: ConfirmChannel, message: ConsumeMessage): void {
    const entry = readCancelEntry(message, Date.now());
    if (entry.kind === 'cancel') this.#options.onCancel(entry.taskId, entry.at);
    else if (entry.kind === 'marker' && entry.id === this.#marker) this.#resolveCaughtUp();
    try {
      channel.ack(message);
    } catch {
      // The channel closed: the next connect reads the window again.
    }
  }
}
