import type { MessageProperties } from 'amqplib';

/**
 * The AMQP properties a copy of a message keeps (a retry or dead-letter copy, a replayed or walked dead letter):
 * its identity (messageId, correlationId), reply routing (replyTo) and content metadata, always persistent.
 * Headers are the caller's: each kind of copy adds or drops its own.
 */
export function copiedProperties(properties: Partial<MessageProperties>) {
  return {
    persistent: true,
    messageId: properties.messageId as string | undefined,
    correlationId: properties.correlationId as string | undefined,
    replyTo: properties.replyTo as string | undefined,
    contentType: properties.contentType as string | undefined,
    contentEncoding: properties.contentEncoding as string | undefined,
    type: properties.type as string | undefined,
    appId: properties.appId as string | undefined,
    timestamp: properties.timestamp as number | undefined,
    priority: properties.priority as number | undefined,
  };
}
