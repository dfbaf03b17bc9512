import { queueNames } from '../wire/names.js';
import type { Command } from './args.js';
import { type CliSettings, withBroker } from './broker.js';
import { type DeadLetterInfo, describeDeadLetter } from './dead-letters.js';
import { EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';
import { oneLine, table } from './table.js';
import { walkQueue } from './walk-queue.js';

type ListCommand = Extract<Command, { command: 'dead list' }>;

/**
 * `jworker dead list`: shows up to `limit` dead letters, oldest first, removing none. The whole queue is walked once
 * (each message copied to the tail, confirmed, then the original acked; see walkQueue), so order and count stay.
 */
export async function deadList(cmd: ListCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  const dead = queueNames(cmd.queue).dead;
  const letters: DeadLetterInfo[] = [];
  const total = await withBroker(settings, async (broker) => {
    await broker.require(dead, `is "${cmd.queue}" the right work queue? Its worker declares ${dead}`);
    // Only the messages present at the start, so none is read twice.
    const { seen } = await walkQueue(broker, dead, (message) => {
      if (letters.length < cmd.limit) letters.push(describeDeadLetter(message));
      return { action: 'keep' };
    });
    return seen;
  });
  if (cmd.json) {
    io.out(`${JSON.stringify(letters)}\n`);
    return EXIT.ok;
  }
  if (letters.length === 0) {
    io.out(`no dead letters in ${dead}\n`);
    return EXIT.ok;
  }
  io.out(table(['TASK ID', 'REASON', 'CODE', 'ATTEMPTS', 'FAILED AT', 'ERROR'], letters.map(row)));
  io.out(`${letters.length} of ${total} dead letters in ${dead}${letters.length < total ? ` (--limit ${cmd.limit})` : ''}\n`);
  return EXIT.ok;
}

function row(letter: DeadLetterInfo): string[] {
  return [
    letter.taskId ?? '-',
    letter.reason ?? '-',
    letter.code ?? '-',
    letter.attempts === null ? '-' : String(letter.attempts),
    letter.failedAt ?? '-',
    oneLine(letter.error ?? '-', 80),
  ];
}
