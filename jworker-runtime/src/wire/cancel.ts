import type { Message, Options } from 'amqplib';
import { HEADERS } from './headers.js';
import type { QueueSpec } from './topology.js';

/** How long a cancel is remembered by default: 24 h (`CANCEL_WINDOW_MS`). */
export const DEFAULT_CANCEL_WINDOW_MS = 24 * 3600 * 1000;

/**
 * The cancel stream `<queue>.cancel` (docs/scheduling.md#cancelling): a RabbitMQ stream that keeps cancel requests for
 * the window (`x-max-age`) and at most 50 MB, in segments of 1 MB so that old ones are really removed. Every worker
 * reads it from the window's start when it connects, then follows it. The first one to declare it sets the window.
 */
export function cancelStreamSpec(queue: string, windowMs: number): QueueSpec {
  return {
    name: `${queue}.cancel`,
    arguments: {
      'x-queue-type': 'stream',
      'x-max-age': `${Math.max(1, Math.ceil(windowMs / 1000))}s`,
      'x-max-length-bytes': 50_000_000,
      'x-stream-max-segment-size-bytes': 1_000_000,
    },
  };
}

/**
 * A cancel request for `taskId`, as any producer may send it to `<queue>.cancel`: the body `{"taskId": "…"}` (the
 * `messageId` is read when the body has none).
 */
export function cancelRequest(taskId: string, now: number): { content: Buffer; options: Options.Publish } {
  return {
    content: Buffer.from(JSON.stringify({ taskId })),
    options: {
      messageId: taskId,
      contentType: 'application/json',
      persistent: true,
      mandatory: true,
      timestamp: Math.floor(now / 1000),
      headers: { [HEADERS.cancelledAt]: now },
    },
  };
}

/** A marker a worker writes to the stream and waits to read back: everything before it has been read. */
export function streamMarker(id: string): { content: Buffer; options: Options.Publish } {
  return { content: Buffer.from('{}'), options: { persistent: true, headers: { [HEADERS.marker]: id } } };
}

/** What one message of the cancel stream says. */
export type CancelEntry =
  | { readonly kind: 'cancel'; readonly taskId: string; readonly at: number }
  | { readonly kind: 'marker'; readonly id: string }
  | { readonly kind: 'unreadable' };

/** Reads a message of the cancel stream; `now` stands in for a request with no time. */
export function readCancelEntry(message: Pick<Message, 'content' | 'properties'>, now: number): CancelEntry {
  const headers = message.properties.headers ?? {};
  const marker = headers[HEADERS.marker];
  if (typeof marker === 'string') return { kind: 'marker', id: marker };
  let taskId: unknown;
  try {
    taskId = (JSON.parse(message.content.toString('utf8')) as { taskId?: unknown } | null)?.taskId;
  } catch {
    taskId = undefined;
  }
  taskId ??= message.properties.messageId;
  if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 255) return { kind: 'unreadable' };
  const stamped = Number(headers[HEADERS.cancelledAt]);
  const timestamp = Number(message.properties.timestamp) * 1000;
  const at = Number.isFinite(stamped) && stamped > 0 ? stamped : Number.isFinite(timestamp) && timestamp > 0 ? timestamp : now;
  return { kind: 'cancel', taskId, at };
}
