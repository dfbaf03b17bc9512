import type { Options } from 'amqplib';
import { nextDelayHop } from '../wire/delay.js';
import type { QueueNames } from '../wire/names.js';
import { delayQueueSpec, type QueueSpec } from '../wire/topology.js';

/** Where a delivery's outcome is made safe: its own channel (confirmed publishes, declares) and its ack. */
export interface OutcomeTarget {
  /** Resolves once confirmed: false when a mandatory publish reached no queue. */
  publish(queue: string, content: Buffer, options: Options.Publish): Promise<boolean>;
  /** Declares a queue (a delay bucket, the first time it is used). */
  declare(spec: QueueSpec): Promise<void>;
  ack(): void;
  /** Gives the message back to its queue now. */
  requeue(): void;
}

/** What publishing copies needs besides the delivery. */
export interface CopyContext {
  readonly names: QueueNames;
  /** The work queue's type, which its delay buckets share. */
  readonly queueType: 'quorum' | 'classic';
  /** A copy reached no queue: the worker's own queue is missing (deleted while it ran) and must be declared again. */
  missingQueue(queue: string): void;
}

/** A copy reached no queue: the delivery is left unacked, for redelivery once the queues are declared again. */
export class MissingQueueError extends Error {
  override name = 'MissingQueueError' as const;
  constructor(queue: string) {
    super(`queue ${queue} does not exist (was it deleted?)`);
  }
}

/** Publishes a copy of a task; a copy that reached no queue is not made. */
export async function publishCopy(target: OutcomeTarget, ctx: CopyContext, queue: string, content: Buffer, options: Options.Publish) {
  if (await target.publish(queue, content, options)) return;
  ctx.missingQueue(queue);
  throw new MissingQueueError(queue);
}

/**
 * Publishes a copy that must wait until `notBefore` (epoch ms) to the delay bucket of its next hop
 * (docs/scheduling.md), declaring the bucket the first time it is missing. Back in the work queue, the copy is sent on
 * to the next bucket until its time has come.
 */
export async function publishDelayed(
  target: OutcomeTarget,
  ctx: CopyContext,
  content: Buffer,
  options: Options.Publish,
  notBefore: number,
): Promise<void> {
  const hop = nextDelayHop(notBefore - Date.now());
  const spec = delayQueueSpec({ queue: ctx.names.work, queueType: ctx.queueType }, hop.bucketMs);
  const copy = hop.expirationMs === undefined ? options : { ...options, expiration: String(hop.expirationMs) };
  if (await target.publish(spec.name, content, copy)) return;
  await target.declare(spec);
  await publishCopy(target, ctx, spec.name, content, copy);
}
