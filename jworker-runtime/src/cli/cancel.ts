import { errorMessage } from '../errors/message.js';
import type { Command } from './args.js';
import { DEFAULT_TIMEOUT_MS } from './args.js';
import { type CliSettings, withBroker } from './broker.js';
import { cliClient } from './enqueue.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';

type CancelCommand = Extract<Command, { command: 'cancel' }>;

/**
 * `jworker cancel`: writes a cancel request to the queue's cancel stream (docs/scheduling.md#cancelling). Whether the
 * task exists, runs or already finished is not known here: cancelling an unknown or finished task does nothing.
 */
export async function cancel(cmd: CancelCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  // A typo in the queue name would otherwise create a cancel stream nobody reads.
  await withBroker(settings, (broker) =>
    broker.require(cmd.queue, 'start a worker for it first (it declares its queues), or check the name'),
  );
  const client = cliClient(settings, DEFAULT_TIMEOUT_MS);
  try {
    await client.cancel(cmd.queue, cmd.taskId);
  } catch (error) {
    throw new CliError(`cancel ${cmd.queue} ${cmd.taskId}: ${errorMessage(error)}`, EXIT.failed);
  } finally {
    await client.close();
  }
  io.out(
    cmd.json
      ? `${JSON.stringify({ queue: cmd.queue, taskId: cmd.taskId, cancelled: true })}\n`
      : `cancel of task ${cmd.taskId} sent to ${cmd.queue}: it will not start, and stops if it is running\n`,
  );
  return EXIT.ok;
}
