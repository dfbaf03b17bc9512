import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { QueueSpec } from '../wire/topology.js';
import type { AckBatcher } from './ack-batcher.js';
import { publishConfirmed } from './publish.js';
import { type ReturnTracker, returnKey } from './returns.js';

/**
 * One message as the consumer received it, with the only ways to settle it: publish on its own channel (confirmed),
 * ack it (batched) or return it to its queue. Delivery tags die with their channel, so every settlement goes through
 * the channel the message came on.
 */
export class Delivery {
  readonly message: ConsumeMessage;
  readonly #channel: ConfirmChannel;
  readonly #acks: AckBatcher;
  readonly #returns: ReturnTracker;

  constructor(channel: ConfirmChannel, acks: AckBatcher, returns: ReturnTracker, message: ConsumeMessage) {
    this.#channel = channel;
    this.#acks = acks;
    this.#returns = returns;
    this.message = message;
    acks.track(message.fields.deliveryTag);
  }

  /**
   * Publishes on this delivery's channel and resolves once the broker confirmed it: true when it reached a queue,
   * false when a `mandatory` publish came back (no queue of that name).
   */
  async publish(queue: string, content: Buffer, options: Options.Publish): Promise<boolean> {
    if (!options.mandatory) {
      await publishConfirmed(this.#channel, queue, content, options);
      return true;
    }
    const key = returnKey(queue, options.messageId);
    this.#returns.expect(key);
    try {
      await publishConfirmed(this.#channel, queue, content, options);
    } catch (error) {
      this.#returns.settle(key);
      throw error;
    }
    // The return, if any, came before the confirm.
    return !this.#returns.settle(key);
  }

  /**
   * Declares a queue (idempotent) on this delivery's channel: a delay bucket, the first time it is needed. A declare
   * that conflicts with an existing queue closes the channel; the delivery is then delivered again.
   */
  async declare(spec: QueueSpec): Promise<void> {
    await this.#channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
  }

  /** The outcome is safe on the broker: ack with the next batch. */
  ack(): void {
    this.#acks.ack(this.message.fields.deliveryTag);
  }

  /** Gives the message back to its queue now (nack with requeue); if the channel is gone, the broker does it. */
  requeue(): void {
    this.#acks.forget(this.message.fields.deliveryTag);
    try {
      this.#channel.nack(this.message, false, true);
    } catch {
      // The channel is gone: the broker returns the message to the queue by itself.
    }
  }
}
