import type { GetMessage } from 'amqplib';
import { replayCopy } from '../wire/copy.js';
import { queueNames } from '../wire/names.js';
import type { Command } from './args.js';
import { type CliSettings, withBroker } from './broker.js';
import { EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';
import { type WalkDecision, walkQueue } from './walk-queue.js';

type ReplayCommand = Extract<Command, { command: 'dead replay' }>;

/** What a replay did. */
export interface ReplayReport {
  readonly replayed: number;
  /** Requested task ids not found in the dead queue. */
  readonly notFound: readonly string[];
}

/**
 * The one replay rule, for the CLI and the dashboard: the dead letter goes to the work queue as {@link replayCopy}
 * makes it (same task id and body, failure headers removed, attempts reset), confirmed before the original is acked.
 */
export function replayTo(work: string, message: Pick<GetMessage, 'properties'>): WalkDecision {
  return { action: 'move', to: work, properties: replayCopy(message.properties) };
}

/**
 * `jworker dead replay`: moves dead letters back to the work queue, attempts reset. Each copy is confirmed in the work
 * queue before its dead letter is acked (see walkQueue): a crash part way leaves a task in both queues, never in neither.
 * Only the dead letters present at the start are visited, so a task that fails again meanwhile is not replayed twice.
 */
export async function deadReplay(cmd: ReplayCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  const { work, dead } = queueNames(cmd.queue);
  const wanted = cmd.taskIds === 'all' ? undefined : new Set(cmd.taskIds);
  const found = new Set<string>();
  const replayed = await withBroker(settings, async (broker) => {
    await broker.require(work, 'start a worker for it first (it declares its queues), or check the name');
    await broker.require(dead, `its worker declares ${dead}`);
    const walked = await walkQueue(broker, dead, (message) => {
      const taskId = message.properties.messageId as string | undefined;
      if (wanted && (taskId === undefined || !wanted.has(taskId) || found.has(taskId))) return { action: 'keep' };
      if (taskId !== undefined) found.add(taskId);
      return replayTo(work, message);
    });
    return walked.moved;
  });
  const notFound = wanted ? [...wanted].filter((id) => !found.has(id)) : [];
  const report: ReplayReport = { replayed, notFound };
  if (cmd.json) io.out(`${JSON.stringify(report)}\n`);
  else {
    io.out(`replayed ${replayed} dead letter${replayed === 1 ? '' : 's'} from ${dead} to ${work}\n`);
    if (notFound.length > 0) io.err(`not found in ${dead}: ${notFound.join(', ')}\n`);
  }
  return notFound.length > 0 ? EXIT.failed : EXIT.ok;
}
