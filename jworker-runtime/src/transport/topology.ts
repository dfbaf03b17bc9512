import type { ConfirmChannel } from 'amqplib';
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

/**
 * The queues of one worker queue (documented in docs/retries.md):
 * - `<queue>`: the work queue. Quorum queues get a delivery limit and dead-letter to `<queue>.dead`,
 *   so a task that keeps killing the process ends there too.
 * - `<queue>.retry.<ms>`: one classic queue per distinct delay, holding retry copies for `<ms>` (x-message-ttl)
 *   and dead-lettering them back to `<queue>`. One queue per delay: tasks with different delays never wait behind each other.
 * - `<queue>.dead`: the parking lot, same type as the work queue.
 */
export function topology(options: TopologyOptions): QueueSpec[] {
  const names = queueNames(options.queue);
  const work: Record<string, unknown> =
    options.queueType === 'quorum'
      ? {
          'x-queue-type': 'quorum',
          'x-delivery-limit': options.deliveryLimit,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': names.dead,
        }
      : { 'x-queue-type': 'classic' };
  const specs: QueueSpec[] = [
    { name: names.work, arguments: work },
    { name: names.dead, arguments: { 'x-queue-type': options.queueType } },
  ];
  for (const delay of allRetryDelays(options.retry)) {
    specs.push({
      name: names.retry(delay),
      arguments: {
        'x-queue-type': 'classic',
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.work,
      },
    });
  }
  return specs;
}

/** Declares every queue (idempotent; run again after each reconnect). */
export async function assertTopology(channel: ConfirmChannel, options: TopologyOptions): Promise<void> {
  for (const spec of topology(options)) {
    await channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
  }
}
