import { allRetryDelays, type RetryPolicy } from '../retry/backoff.js';
import { queueNames } from './names.js';

export interface TopologyOptions {
  readonly queue: string;
  readonly queueType: 'quorum' | 'classic';
  readonly deliveryLimit: number;
  readonly retry: RetryPolicy;
}

/** A queue to declare: its name and arguments. */
export interface QueueSpec {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** At-least-once dead-lettering needs reject-publish overflow; with no length limit set, nothing is ever rejected. */
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } as const;

/**
 * The queues of one worker queue (documented in docs/retries.md):
 * - `<queue>`: the work queue. Quorum queues get a delivery limit and dead-letter to `<queue>.dead`,
 *   so a task that keeps killing the process ends there too.
 * - `<queue>.retry.<ms>`: one queue per distinct delay, of the work queue's type, holding retry copies for `<ms>`
 *   (x-message-ttl) and dead-lettering them back to `<queue>`. One queue per delay: tasks with different delays never
 *   wait behind each other.
 * - `<queue>.dead`: the parking lot, same type as the work queue.
 *
 * With quorum queues every dead-lettering hop is at-least-once (`x-dead-letter-strategy`): the broker keeps a message
 * until the target queue has it. Classic dead-lettering is at-most-once: after a broker restart, retry copies that
 * expired while it was down are dead-lettered as the queues recover, and dropped if the work queue is not up yet
 * (seen in the reliability suite). Classic queues are for brokers without quorum queues.
 */
export function topology(options: TopologyOptions): QueueSpec[] {
  const names = queueNames(options.queue);
  const quorum = options.queueType === 'quorum';
  const work: Record<string, unknown> = quorum
    ? {
        'x-queue-type': 'quorum',
        'x-delivery-limit': options.deliveryLimit,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.dead,
        ...SAFE_DEAD_LETTERING,
      }
    : { 'x-queue-type': 'classic' };
  const specs: QueueSpec[] = [
    { name: names.work, arguments: work },
    { name: names.dead, arguments: { 'x-queue-type': options.queueType } },
  ];
  for (const delay of allRetryDelays(options.retry)) specs.push(waitingQueue(options, names.retry(delay), delay));
  return specs;
}

/**
 * The delay bucket `<queue>.delay.<bucketMs>` (docs/scheduling.md): like a retry queue, of the work queue's type,
 * holding each message `bucketMs` (x-message-ttl) and dead-lettering it back to `<queue>`. Declared when first used,
 * so a queue that never delays a task has none.
 */
export function delayQueueSpec(options: Pick<TopologyOptions, 'queue' | 'queueType'>, bucketMs: number): QueueSpec {
  return waitingQueue(options, queueNames(options.queue).delay(bucketMs), bucketMs);
}

/** A queue where messages wait `ttlMs`, then go back to the work queue. */
function waitingQueue(options: Pick<TopologyOptions, 'queue' | 'queueType'>, name: string, ttlMs: number): QueueSpec {
  return {
    name,
    arguments: {
      'x-queue-type': options.queueType,
      'x-message-ttl': ttlMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': options.queue,
      ...(options.queueType === 'quorum' ? SAFE_DEAD_LETTERING : {}),
    },
  };
}
