import { queueNames } from './names.js';

/** RabbitMQ's direct reply-to pseudo-queue; the broker hands workers `amq.rabbitmq.reply-to.<suffix>`. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** The reply a worker sends to `replyTo`. Part of the wire contract (docs/protocol.md). */
export type TaskReply<TResult = unknown> =
  | { readonly taskId: string; readonly status: 'completed'; readonly result: TResult }
  | {
      readonly taskId: string;
      readonly status: 'failed';
      readonly error: { readonly message: string; readonly code?: string; readonly permanent: boolean };
    };

/**
 * The reply queues a worker answers by default, besides direct reply-to: server-named queues (`amq.gen-…`, what a
 * client gets from declaring a queue with an empty name, the RPC pattern of every AMQP client) and queues whose name
 * ends in `.replies` (a durable reply queue of your own, `billing-api.replies`).
 */
function isDefaultReplyQueue(name: string): boolean {
  return name.startsWith(`${DIRECT_REPLY_TO}.`) || name.startsWith('amq.gen-') || name.endsWith('.replies');
}

/** Turns `REPLY_TO_ALLOW` patterns (`*` matches any run of characters) into one test. */
export function replyPatterns(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const escaped = patterns.map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  const regex = new RegExp(`^(?:${escaped.join('|')})$`);
  return (name) => regex.test(name);
}

/**
 * Why the worker of `queue` refuses to reply to `replyTo`, or undefined when it may. A producer chooses `replyTo`, and
 * the worker publishes there with its own credentials: never to its own work, retry or dead queues (a reply would
 * come back as a task or a dead letter), and otherwise only to the default reply queues or those `allowed`.
 */
export function replyToProblem(replyTo: string, queue: string, allowed: (name: string) => boolean): string | undefined {
  const own = queueNames(queue);
  if (replyTo === own.work || replyTo === own.dead || replyTo.startsWith(`${own.work}.retry.`)) {
    return `replyTo "${replyTo}" names one of this worker's own queues`;
  }
  if (isDefaultReplyQueue(replyTo) || allowed(replyTo)) return undefined;
  return (
    `replyTo "${replyTo}" is not a reply queue this worker answers: use direct reply-to (${DIRECT_REPLY_TO}), ` +
    'a server-named queue (amq.gen-…) or a queue whose name ends in ".replies", or allow it with REPLY_TO_ALLOW'
  );
}

/** The reply to a completed task, from the result's JSON (see `JSON.stringify` rules: `undefined` becomes null). */
export function completedReply(taskId: string, resultJson: string): Buffer {
  return Buffer.from(`{"taskId":${JSON.stringify(taskId)},"status":"completed","result":${resultJson}}`);
}

/** The reply to a task that failed for good. */
export function failedReply(taskId: string, error: { message: string; code: string; permanent: boolean }): Buffer {
  return Buffer.from(JSON.stringify({ taskId, status: 'failed', error } satisfies TaskReply));
}
