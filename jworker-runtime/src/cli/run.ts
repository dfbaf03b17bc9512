import { maskCredentials } from '../log/mask.js';
import { type Command, parseCommand } from './args.js';
import { cliSettings } from './broker.js';
import { deadList } from './dead-list.js';
import { deadPurge } from './dead-purge.js';
import { deadReplay } from './dead-replay.js';
import { enqueue } from './enqueue.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { HELP } from './help.js';
import type { CliIo } from './io.js';
import { stats } from './stats.js';

/** Runs one `jworker` command line and returns its exit code. Errors are printed on stderr, never thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    const command = parseCommand(argv);
    return await dispatch(command, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`jworker: ${maskCredentials(error.message)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`jworker: unexpected error: ${maskCredentials(message)}\n`);
    return EXIT.failed;
  }
}

async function dispatch(command: Command, io: CliIo): Promise<ExitCode> {
  if (command.command === 'help') {
    io.out(HELP[command.topic]);
    return EXIT.ok;
  }
  const settings = cliSettings(io.env);
  switch (command.command) {
    case 'enqueue':
      return enqueue(command, settings, io);
    case 'stats':
      return stats(command, settings, io);
    case 'dead list':
      return deadList(command, settings, io);
    case 'dead replay':
      return deadReplay(command, settings, io);
    case 'dead purge':
      return deadPurge(command, settings, io);
    default: {
      const exhaustive: never = command;
      throw new Error(`unknown command ${String(exhaustive)}`);
    }
  }
}
