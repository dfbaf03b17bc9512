import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type Logger from 'bunyan';
import type { TlsOptions } from '../config/options.js';
import { maskCredentials } from '../log/mask.js';
import { AckBatcher } from './ack-batcher.js';
import { connect, reconnectDelayMs } from './connection.js';
import { Delivery } from './delivery.js';
import { ReturnTracker } from './returns.js';
import { withTimeout } from './timeout.js';

/** How long declaring the queues may take after a (re)connect before the consumer gives up on that channel and retries. */
const SETUP_TIMEOUT_MS = 30_000;

/** What a {@link Consumer} needs: where to connect, what to declare, and where deliveries and changes go. */
export interface ConsumerOptions {
  readonly amqpUrl: string;
  readonly tls: TlsOptions | undefined;
  readonly heartbeatSeconds: number;
  readonly logger: Logger;
  /** Names the connection in the RabbitMQ management UI. */
  readonly connectionName: string;
  readonly queue: string;
  /** Deliveries in flight at once (basic.qos). */
  readonly prefetch: number;
  /** Quoted when the broker's consumer_timeout closes the channel: the setting to lower. */
  readonly taskTimeoutMs: number;
  /** Declares the queues (idempotent), on every (re)connect before consuming. */
  declare(channel: ConfirmChannel): Promise<void>;
  /** Each message, once. Must not throw. */
  onDelivery(delivery: Delivery): void;
  /** Consuming (again), or waiting to. */
  onState(state: 'connecting' | 'consuming' | 'reconnecting'): void;
  onConnected(): void;
  onDisconnected(): void;
}

/**
 * Consumes one queue for as long as it lives: a reconnecting connection (amqp-connection-manager), a confirm channel
 * set up again on every reconnect (declare, prefetch, consume), recovery of a channel that died while its connection
 * lived, and the ack batcher of each channel. `cancel()` stops new deliveries, `flushAcks()` sends what is gathered,
 * `close()` ends it all.
 */
export class Consumer {
  readonly #options: ConsumerOptions;
  readonly #manager: AmqpConnectionManager;
  readonly #wrapper: ChannelWrapper;
  /** The ack batcher of each open channel (flushed before the channel closes on stop). */
  readonly #batchers = new Set<AckBatcher>();
  readonly #started: Promise<void>;
  #resolveStarted!: () => void;
  #current: { channel: ConfirmChannel; consumerTag: string } | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #recoveryFailures = 0;
  #stopping = false;

  constructor(options: ConsumerOptions) {
    this.#options = options;
    this.#started = new Promise<void>((resolve) => {
      this.#resolveStarted = resolve;
    });
    options.onState('connecting');
    this.#manager = connect({
      amqpUrl: options.amqpUrl,
      heartbeatSeconds: options.heartbeatSeconds,
      tls: options.tls,
      logger: options.logger,
      connectionName: options.connectionName,
    });
    this.#manager.on('connect', () => options.onConnected());
    this.#manager.on('disconnect', () => {
      this.#current = undefined;
      if (!this.#stopping) options.onState('reconnecting');
      options.onDisconnected();
    });
    this.#wrapper = this.#manager.createChannel({
      name: `jworker:${options.queue}`,
      confirm: true,
      setup: (channel: ConfirmChannel) => this.#setup(channel),
    });
    this.#wrapper.on('error', (error: Error) => {
      options.logger.error(
        { err: error, queue: options.queue },
        'could not set up queue %s: %s. If the queue exists with other arguments (another queue type or delivery limit), delete it or match WORKER_QUEUE_TYPE / WORKER_DELIVERY_LIMIT. Retrying.',
        options.queue,
        maskCredentials(error.message),
      );
      this.#scheduleRecovery();
    });
  }

  /** Resolves once consuming for the first time, or once `cancel()` or `close()` was called. */
  started(): Promise<void> {
    return this.#started;
  }

  /** Stops new deliveries; those in flight can still be settled on their channel. */
  async cancel(): Promise<void> {
    this.#stopping = true;
    this.#resolveStarted();
    if (this.#recoveryTimer) clearTimeout(this.#recoveryTimer);
    const current = this.#current;
    if (!current) return;
    try {
      await current.channel.cancel(current.consumerTag);
    } catch {
      // The channel is already gone: nothing is consumed from it any more.
    }
  }

  /** Sends the acks gathered in this turn of the event loop, before the channels close. */
  flushAcks(): void {
    for (const batcher of this.#batchers) batcher.flush();
  }

  /**
   * Sets the channel up again (declaring every queue) after a publish found a queue missing: deliveries not yet acked
   * on the old channel return to their queue when it closes.
   */
  redeclare(): void {
    this.#scheduleRecovery();
  }

  /** Another channel on this consumer's connection, set up again by `setup` on every reconnect. */
  openChannel(name: string, setup: (channel: ConfirmChannel) => Promise<void>): ChannelWrapper {
    return this.#manager.createChannel({ name, confirm: true, setup });
  }

  /** Cancels, flushes and closes the channel and the connection. */
  async close(): Promise<void> {
    await this.cancel();
    this.flushAcks();
    await this.#wrapper.close().catch(() => {});
    await this.#manager.close().catch(() => {});
  }

  async #setup(channel: ConfirmChannel): Promise<void> {
    const { logger, queue } = this.#options;
    // A declare the broker never answers (a queue whose replicas are not up yet) would stall the channel for ever.
    await withTimeout(this.#options.declare(channel), SETUP_TIMEOUT_MS, `declaring the queues of ${queue}`);
    await channel.prefetch(this.#options.prefetch);
    if (this.#stopping) return;
    channel.on('error', (error: Error) => this.#onChannelError(error));
    channel.on('close', () => {
      if (this.#current?.channel === channel) this.#current = undefined;
      // A channel can die while its connection lives (a channel error); the manager would then wait for ever.
      if (!this.#stopping && this.#manager.isConnected()) this.#scheduleRecovery();
    });
    const acks = new AckBatcher(channel, (error, count) =>
      logger.warn({ err: error, count }, 'could not ack %d deliveries (the channel closed); the broker will deliver them again', count),
    );
    this.#batchers.add(acks);
    channel.on('close', () => this.#batchers.delete(acks));
    const returns = new ReturnTracker();
    channel.on('return', (message: ConsumeMessage) => returns.returned(message));
    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (message === null) this.#onCancelled();
        else this.#options.onDelivery(new Delivery(channel, acks, returns, message));
      },
      { noAck: false },
    );
    this.#current = { channel, consumerTag };
    this.#recoveryFailures = 0;
    this.#options.onState('consuming');
    logger.info({ queue }, 'consuming from %s', queue);
    this.#resolveStarted();
  }

  #onChannelError(error: Error): void {
    const { logger, taskTimeoutMs } = this.#options;
    if (/delivery acknowledgement .*timed out/i.test(error.message)) {
      logger.error(
        { err: error, taskTimeoutMs },
        "a task ran longer than the broker's consumer_timeout: the broker closed the channel and will deliver the tasks in flight again " +
          "(quorum queues dead-letter them after the delivery limit). Set TASK_TIMEOUT_MS below the broker's consumer_timeout.",
      );
    } else {
      logger.warn({ err: error }, 'channel error: %s; reconnecting', maskCredentials(error.message));
    }
  }

  /** The broker cancelled the consumer: the queue was deleted. Declare it again and consume. */
  #onCancelled(): void {
    this.#options.logger.warn(
      { queue: this.#options.queue },
      'the broker cancelled the consumer (was the queue deleted?); declaring it again',
    );
    this.#scheduleRecovery();
  }

  /** Reconnects after a channel-level failure, with backoff (the connection manager only handles lost connections). */
  #scheduleRecovery(): void {
    if (this.#recoveryTimer || this.#stopping) return;
    this.#recoveryFailures++;
    const delay = Math.max(500, reconnectDelayMs(this.#recoveryFailures));
    this.#options.onState('reconnecting');
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      if (!this.#stopping) this.#manager.reconnect();
    }, delay);
    // The worker's keep-alive holds the process open while it runs; this timer alone must not.
    this.#recoveryTimer.unref();
  }
}
