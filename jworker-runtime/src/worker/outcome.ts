import type { MessageProperties } from 'amqplib';
import { errorCode } from '../errors/message.js';
import { deadLetterCopy, retryCopy } from '../wire/copy.js';
import { completedReply, DIRECT_REPLY_TO, failedReply } from '../wire/reply.js';
import type { AttemptOutcome } from './attempt.js';
import { type CopyContext, type OutcomeTarget, publishCopy, publishDelayed } from './copies.js';
import type { TaskOutcome } from './worker-events.js';

export type { OutcomeTarget } from './copies.js';
export { MissingQueueError } from './copies.js';

/** One delivery, as outcome recording reads it. */
export interface RecordedDelivery {
  readonly taskId: string;
  readonly attempt: number;
  readonly content: Buffer;
  readonly properties: Partial<MessageProperties>;
  /** Where the reply goes; undefined for none (absent, or refused). */
  readonly replyTo: string | undefined;
}

/** What recording needs besides the delivery. */
export interface RecordContext extends CopyContext {
  readonly workerType: string;
  /** An error's message as it may be shown anywhere (secrets removed). */
  text(error: unknown): string;
  /** A reply reached no queue (its caller is gone): logged once per cause. */
  unroutableReply(replyTo: string): void;
}

/** The longest error text kept in a dead letter or a reply, and in a retry copy. */
const MAX_ERROR = 4000;
const MAX_LAST_ERROR = 1000;

/**
 * Makes an attempt's outcome safe on the broker, then acks the delivery: the reply for a completed task; the retry
 * copy; the dead letter (then the failure reply); nothing for an abandoned attempt (the broker delivers it again).
 * Rejects when a publish is not confirmed (the channel closed): the delivery is then left unacked, for redelivery.
 */
export async function recordOutcome<TResult>(
  target: OutcomeTarget,
  delivery: RecordedDelivery,
  outcome: AttemptOutcome<TResult>,
  ctx: RecordContext,
): Promise<TaskOutcome> {
  const { taskId, replyTo } = delivery;
  switch (outcome.status) {
    case 'completed':
      if (replyTo) {
        const json = outcome.resultJson ?? JSON.stringify(outcome.result) ?? 'null';
        await reply(target, ctx, delivery, replyTo, completedReply(taskId, json));
      }
      target.ack();
      return 'completed';
    case 'retried': {
      const lastError = truncate(ctx.text(outcome.error), MAX_LAST_ERROR);
      const note = { nextAttempt: outcome.nextAttempt, lastError, deferrals: outcome.deferrals };
      if (outcome.delayed) {
        // Longer than the backoff (a retryAfterMs): the copy waits in the delay buckets, as a delayed task would.
        const notBefore = Date.now() + outcome.delayMs;
        const copy = retryCopy(delivery.properties, taskId, { ...note, notBefore });
        await publishDelayed(target, ctx, delivery.content, copy, notBefore);
      } else {
        // Jitter shortens the queue's delay for this copy only.
        const jitter = outcome.delayMs < outcome.queueDelayMs ? { expirationMs: outcome.delayMs } : {};
        const copy = retryCopy(delivery.properties, taskId, { ...note, ...jitter });
        await publishCopy(target, ctx, ctx.names.retry(outcome.queueDelayMs), delivery.content, copy);
      }
      target.ack();
      return 'retried';
    }
    case 'dead_lettered': {
      const error = truncate(ctx.text(outcome.error), MAX_ERROR);
      const code = errorCode(outcome.error) ?? DEFAULT_CODES[outcome.reason];
      const copy = deadLetterCopy(delivery.properties, taskId, {
        error,
        code,
        reason: outcome.reason,
        attempts: delivery.attempt,
        workerType: ctx.workerType,
      });
      await publishCopy(target, ctx, ctx.names.dead, delivery.content, copy);
      if (replyTo) {
        const body = failedReply(taskId, { message: error, code, permanent: outcome.reason !== 'exhausted' });
        await reply(target, ctx, delivery, replyTo, body);
      }
      target.ack();
      return 'dead_lettered';
    }
    case 'cancelled':
      if (replyTo) {
        const body = failedReply(taskId, { message: outcome.error.message, code: 'CANCELLED', permanent: true });
        await reply(target, ctx, delivery, replyTo, body);
      }
      target.ack();
      return 'cancelled';
    case 'abandoned':
      // Left unacked: closing the channel returns it to the queue.
      return 'abandoned';
    default: {
      const exhaustive: never = outcome;
      throw new Error(`unknown outcome ${String(exhaustive)}`);
    }
  }
}

const DEFAULT_CODES = { permanent: 'PERMANENT', exhausted: 'EXHAUSTED', invalid: 'INVALID' } as const;

/**
 * A bug in the runtime or a hook threw outside the attempt: park the message in `<queue>.dead` (reason `internal`,
 * code `INTERNAL`) so it is neither lost nor stuck unacked (holding a prefetch slot) nor redelivered in a hot loop.
 * If even that fails, give it back to its queue.
 */
export async function salvage(
  target: OutcomeTarget,
  delivery: Omit<RecordedDelivery, 'replyTo'>,
  error: unknown,
  ctx: RecordContext,
): Promise<TaskOutcome> {
  try {
    const copy = deadLetterCopy(delivery.properties, delivery.taskId, {
      error: truncate(`internal error: ${ctx.text(error)}`, MAX_ERROR),
      code: 'INTERNAL',
      reason: 'internal',
      attempts: delivery.attempt,
      workerType: ctx.workerType,
    });
    await publishCopy(target, ctx, ctx.names.dead, delivery.content, copy);
    target.ack();
    return 'dead_lettered';
  } catch {
    target.requeue();
    return 'unrecorded';
  }
}

/**
 * Publishes a task's result or failure to its `replyTo`, confirmed. Persistent, so that a reply waiting in a durable
 * reply queue survives a broker restart (RabbitMQ ignores it for direct reply-to). Mandatory to a queue, so that a
 * reply to a queue that does not exist comes back (basic.return) and is logged; not to direct reply-to, which RabbitMQ
 * (3.10 at least) returns even when the caller got it.
 */
async function reply(target: OutcomeTarget, ctx: RecordContext, delivery: RecordedDelivery, replyTo: string, body: Buffer) {
  const routed = await target.publish(replyTo, body, {
    correlationId: (delivery.properties.correlationId as string | undefined) ?? delivery.taskId,
    messageId: delivery.taskId,
    contentType: 'application/json',
    persistent: true,
    mandatory: !replyTo.startsWith(`${DIRECT_REPLY_TO}.`),
  });
  if (!routed) ctx.unroutableReply(replyTo);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
