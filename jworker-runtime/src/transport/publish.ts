import type { ConfirmChannel, Options } from 'amqplib';

/**
 * Publishes on `channel` and resolves once the broker confirmed the message (publisher confirms).
 * Rejects when the broker nacks it or the channel closes first: the caller must then not ack the delivery.
 */
export function publishConfirmed(channel: ConfirmChannel, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish('', routingKey, content, options, (error) => {
        if (error) reject(error instanceof Error ? error : new Error(`broker did not confirm the message to ${routingKey}`));
        else resolve();
      });
    } catch (error) {
      reject(error);
    }
  });
}
