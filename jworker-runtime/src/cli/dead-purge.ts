import { queueNames } from '../wire/names.js';
import type { Command } from './args.js';
import { type CliSettings, withBroker } from './broker.js';
import { EXIT, type ExitCode, UsageError } from './errors.js';
import type { CliIo } from './io.js';

type PurgeCommand = Extract<Command, { command: 'dead purge' }>;

/** `jworker dead purge`: deletes every dead letter (only with --yes) and prints how many. */
export async function deadPurge(cmd: PurgeCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  const dead = queueNames(cmd.queue).dead;
  if (!cmd.yes) throw new UsageError(`dead purge: this deletes every message in ${dead} for good; add --yes to do it`);
  const purged = await withBroker(settings, async (broker) => {
    await broker.require(dead, `is "${cmd.queue}" the right work queue? Its worker declares ${dead}`);
    const { messageCount } = await broker.channel.purgeQueue(dead);
    return messageCount;
  });
  io.out(cmd.json ? `${JSON.stringify({ purged })}\n` : `purged ${purged} dead letter${purged === 1 ? '' : 's'} from ${dead}\n`);
  return EXIT.ok;
}
