import { errorMessage } from '../errors/message.js';
import { redact, secretsOf } from '../log/mask.js';
import { VERSION } from '../version.js';
import { type Command, parseCommand } from './args.js';
import { cliSettings } from './broker.js';
import { cancel } from './cancel.js';
import { dashboard } from './dashboard/command.js';
import { deadList } from './dead-list.js';
import { deadPurge } from './dead-purge.js';
import { deadReplay } from './dead-replay.js';
import { enqueue } from './enqueue.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { HELP } from './help.js';
import type { CliIo } from './io.js';
import { logs } from './logs.js';
import { terminalSafe } from './safe-text.js';
import { stats } from './stats.js';

/**
 * Runs one `jworker` command line and returns its exit code. Errors are printed on stderr, never thrown. Everything
 * printed passes one gate: no secret of AMQP_URL, no URL password, no character a terminal would act on.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const secrets = secretsOf({ amqpUrl: io.env.AMQP_URL, others: io.env.DASHBOARD_TOKEN ? [io.env.DASHBOARD_TOKEN] : [] });
  const safe = (text: string): string => terminalSafe(redact(text, secrets));
  const safeIo: CliIo = { ...io, out: (text) => io.out(safe(text)), err: (text) => io.err(safe(text)) };
  try {
    const command = parseCommand(argv);
    // The page gets JSON, not a terminal: the same redaction, without the terminal escapes.
    return await dispatch(command, safeIo, (text) => redact(text, secrets));
  } catch (error) {
    if (error instanceof CliError) {
      safeIo.err(`jworker: ${error.message}\n`);
      return error.exitCode;
    }
    safeIo.err(`jworker: unexpected error: ${errorMessage(error)}\n`);
    return EXIT.failed;
  }
}

async function dispatch(command: Command, io: CliIo, redactForPage: (text: string) => string): Promise<ExitCode> {
  if (command.command === 'help') {
    io.out(HELP[command.topic]);
    return EXIT.ok;
  }
  if (command.command === 'usage') {
    io.err(HELP[command.topic]);
    return EXIT.usage;
  }
  if (command.command === 'version') {
    io.out(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (command.command === 'logs') return logs(io);
  const settings = cliSettings(io.env);
  switch (command.command) {
    case 'enqueue':
      return enqueue(command, settings, io);
    case 'stats':
      return stats(command, settings, io);
    case 'cancel':
      return cancel(command, settings, io);
    case 'dead list':
      return deadList(command, settings, io);
    case 'dead replay':
      return deadReplay(command, settings, io);
    case 'dead purge':
      return deadPurge(command, settings, io);
    case 'dashboard':
      return dashboard(command, settings, io, redactForPage);
    default: {
      const exhaustive: never = command;
      throw new Error(`unknown command ${String(exhaustive)}`);
    }
  }
}
