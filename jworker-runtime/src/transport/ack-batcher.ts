import type { ConfirmChannel, Message } from 'amqplib';

/**
 * Acks the deliveries of one channel in batches. Once per event-loop turn, the run of finished deliveries that starts
 * at the oldest outstanding one is acked with a single `multiple` ack (fewer frames for the client and the broker);
 * finished deliveries behind a task still running are acked one by one in the same turn, so a slow task never holds
 * the prefetch slot of a finished one.
 *
 * Only this channel's deliveries are acked on it (delivery tags die with their channel), and a `multiple` ack never
 * covers a delivery still running or one left unacked on purpose (a forced stop leaves it to be delivered again).
 */
export class AckBatcher {
  readonly #channel: Pick<ConfirmChannel, 'ack'>;
  readonly #onError: (error: unknown, count: number) => void;
  /** Outstanding delivery tags in arrival order, which is tag order on a channel. */
  readonly #outstanding = new Set<number>();
  /** Tags whose outcome is safe on the broker, waiting for the next flush. */
  readonly #done = new Set<number>();
  #scheduled = false;

  constructor(channel: Pick<ConfirmChannel, 'ack'>, onError: (error: unknown, count: number) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  /** Registers a delivery as it arrives. */
  track(deliveryTag: number): void {
    this.#outstanding.add(deliveryTag);
  }

  /** The delivery's outcome is safe on the broker: ack it with the next flush. */
  ack(deliveryTag: number): void {
    this.#done.add(deliveryTag);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The delivery is settled another way (nack) or left for the broker to deliver again: never ack it. */
  forget(deliveryTag: number): void {
    this.#outstanding.delete(deliveryTag);
    this.#done.delete(deliveryTag);
  }

  /** Sends the acks gathered since the last flush. */
  flush(): void {
    this.#scheduled = false;
    const count = this.#done.size;
    if (count === 0) return;
    try {
      let last = -1;
      for (const tag of this.#outstanding) {
        if (!this.#done.has(tag)) break;
        this.#outstanding.delete(tag);
        this.#done.delete(tag);
        last = tag;
      }
      if (last !== -1) this.#channel.ack(deliveryOf(last), true);
      for (const tag of this.#done) {
        this.#outstanding.delete(tag);
        this.#channel.ack(deliveryOf(tag), false);
      }
    } catch (error) {
      // The channel closed: what it had not acked is delivered again by the broker.
      this.#onError(error, count);
    } finally {
      this.#done.clear();
    }
  }
}

/** amqplib's ack reads only `fields.deliveryTag`. */
function deliveryOf(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
