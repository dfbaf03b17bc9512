import type { ConfirmChannel, Message } from 'amqplib';

/**
 * How long a finished delivery behind a running one may wait for that one to finish, so that one `multiple` ack covers
 * them all. Long enough for a retry copy's publisher confirm on a busy broker (each single ack is a frame, a system
 * call and, on a quorum queue, a replicated settle on the broker); short enough that a slow task holds the prefetch
 * slot of a finished one for no more than this.
 */
export const ACK_HOLD_MS = 20;

/**
 * Acks the deliveries of one channel in batches. Once per event-loop turn, the run of finished deliveries that starts
 * at the oldest outstanding one is acked with a single `multiple` ack (fewer frames for the client and the broker).
 * Finished deliveries behind a task still running wait up to {@link ACK_HOLD_MS} for it: when it finishes in time, the
 * same `multiple` ack covers them; otherwise they are acked one by one, so a slow task never holds the prefetch slot
 * of a finished one for longer.
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
  /** Fires when the finished deliveries held behind a running one have waited {@link ACK_HOLD_MS}. */
  #holdTimer: NodeJS.Timeout | undefined;
  readonly #holdMs: number;

  constructor(channel: Pick<ConfirmChannel, 'ack'>, onError: (error: unknown, count: number) => void, holdMs = ACK_HOLD_MS) {
    this.#channel = channel;
    this.#onError = onError;
    this.#holdMs = holdMs;
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
      setImmediate(() => this.#flushTurn());
    }
  }

  /** The delivery is settled another way (nack) or left for the broker to deliver again: never ack it. */
  forget(deliveryTag: number): void {
    this.#outstanding.delete(deliveryTag);
    this.#done.delete(deliveryTag);
  }

  /** Sends every ack gathered so far, held ones included (before the channel closes, and when the hold is over). */
  flush(): void {
    this.#send(true);
  }

  /** The flush of each event-loop turn: the leading run now, the deliveries behind a running one after the hold. */
  #flushTurn(): void {
    this.#scheduled = false;
    this.#send(false);
  }

  #send(all: boolean): void {
    if (all) this.#clearHold();
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
      if (this.#done.size === 0) this.#clearHold();
      else if (!all) this.#holdTimer ??= setTimeout(() => this.#releaseHold(), this.#holdMs).unref();
      else {
        for (const tag of this.#done) {
          this.#outstanding.delete(tag);
          this.#done.delete(tag);
          this.#channel.ack(deliveryOf(tag), false);
        }
      }
    } catch (error) {
      // The channel closed: what it had not acked is delivered again by the broker.
      this.#clearHold();
      this.#done.clear();
      this.#onError(error, count);
    }
  }

  #releaseHold(): void {
    this.#holdTimer = undefined;
    this.flush();
  }

  #clearHold(): void {
    if (this.#holdTimer === undefined) return;
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
  }
}

/** amqplib's ack reads only `fields.deliveryTag`. */
function deliveryOf(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
