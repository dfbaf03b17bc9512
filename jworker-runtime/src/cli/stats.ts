import { normalizeConfig } from '../config/normalize.js';
import { allRetryDelays } from '../retry/backoff.js';
import { DELAY_BUCKETS_MS } from '../wire/delay.js';
import { queueNames } from '../wire/names.js';
import type { Command } from './args.js';
import { type CliBroker, type CliSettings, withBroker } from './broker.js';
import { EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';
import { table } from './table.js';

type StatsCommand = Extract<Command, { command: 'stats' }>;

/** One queue's numbers. `unacked` is null: AMQP 0-9-1 cannot tell it (only the management plugin can). */
export interface QueueStats {
  readonly name: string;
  /** `delay`: one row for every delay bucket together, named `<queue>.delay.*`. */
  readonly kind: 'work' | 'retry' | 'delay' | 'dead';
  readonly ready: number;
  readonly unacked: null;
  readonly consumers: number;
}

/** The retry delays of a policy, as the worker computes them. */
export function retryDelaysFor(settings: CliSettings, queue: string): number[] {
  return allRetryDelays(normalizeConfig({ retry: settings.retry }, queue).retry);
}

/**
 * Ready messages and consumers of the work queue, each retry queue that exists, the delay buckets together (tasks
 * waiting for their time) and the dead-letter queue (passive declares). Shared by `jworker stats` and the dashboard.
 * @throws CliError (exit 3) when the work queue does not exist.
 */
export async function readQueueStats(
  broker: Pick<CliBroker, 'inspect' | 'require'>,
  queue: string,
  delays: readonly number[],
): Promise<QueueStats[]> {
  const names = queueNames(queue);
  const work = await broker.require(queue, 'start a worker for it first (it declares its queues), or check the name');
  const out: QueueStats[] = [{ name: queue, kind: 'work', ready: work.messageCount, unacked: null, consumers: work.consumerCount }];
  for (const delay of delays) {
    const info = await broker.inspect(names.retry(delay));
    if (info) out.push({ name: names.retry(delay), kind: 'retry', ready: info.messageCount, unacked: null, consumers: info.consumerCount });
  }
  let delayed: { ready: number; consumers: number } | undefined;
  for (const bucket of DELAY_BUCKETS_MS) {
    const info = await broker.inspect(names.delay(bucket));
    if (info) delayed = { ready: (delayed?.ready ?? 0) + info.messageCount, consumers: (delayed?.consumers ?? 0) + info.consumerCount };
  }
  if (delayed) out.push({ name: `${queue}.delay.*`, kind: 'delay', ready: delayed.ready, unacked: null, consumers: delayed.consumers });
  const dead = await broker.inspect(names.dead);
  if (dead) out.push({ name: names.dead, kind: 'dead', ready: dead.messageCount, unacked: null, consumers: dead.consumerCount });
  return out;
}

/** `jworker stats`: ready messages and consumers of the work, retry, delay and dead queues (passive declares). */
export async function stats(cmd: StatsCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  const delays = cmd.retryDelays ?? retryDelaysFor(settings, cmd.queue);
  const rows = await withBroker(settings, (broker) => readQueueStats(broker, cmd.queue, delays));
  if (cmd.json) {
    io.out(`${JSON.stringify({ queue: cmd.queue, queues: rows })}\n`);
    return EXIT.ok;
  }
  io.out(
    table(
      ['QUEUE', 'KIND', 'READY', 'CONSUMERS'],
      rows.map((row) => [row.name, row.kind, row.ready, row.consumers]),
    ),
  );
  io.out('(unacknowledged counts are not available over AMQP; see docs/operations.md)\n');
  return EXIT.ok;
}
