import type { Message } from 'amqplib';

/**
 * Which mandatory publishes of one channel the broker returned (basic.return: routed to no queue). RabbitMQ sends the
 * return before the publish's confirm on the same channel, so once a publish is confirmed, whether it came back is
 * known. Keyed by routing key and message id; a key expected twice is counted twice.
 */
export class ReturnTracker {
  readonly #expected = new Map<string, number>();
  readonly #returned = new Map<string, number>();

  /** A mandatory publish is about to go out. */
  expect(key: string): void {
    this.#expected.set(key, (this.#expected.get(key) ?? 0) + 1);
  }

  /** The channel's `return` event. */
  returned(message: Pick<Message, 'fields' | 'properties'>): void {
    const key = returnKey(message.fields.routingKey, message.properties.messageId as string | undefined);
    if (this.#expected.has(key)) this.#returned.set(key, (this.#returned.get(key) ?? 0) + 1);
  }

  /** The publish of `key` was confirmed (or failed): true when the broker returned it. */
  settle(key: string): boolean {
    decrement(this.#expected, key);
    return decrement(this.#returned, key);
  }
}

/** The key of a publish: where it went and which message it was. */
export function returnKey(routingKey: string, messageId: string | undefined): string {
  return `${routingKey}\n${messageId ?? ''}`;
}

function decrement(counts: Map<string, number>, key: string): boolean {
  const count = counts.get(key);
  if (count === undefined) return false;
  if (count <= 1) counts.delete(key);
  else counts.set(key, count - 1);
  return true;
}
