import { randomUUID } from 'node:crypto';
import bunyan from 'bunyan';
import { QueueNotFoundError, TaskClient } from '../client/task-client.js';
import { errorMessage } from '../errors/message.js';
import { TaskFailedError } from '../errors/worker-error.js';
import { type Command, parseTaskJson } from './args.js';
import { type CliSettings, withBroker } from './broker.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';

type EnqueueCommand = Extract<Command, { command: 'enqueue' }>;

/** `jworker enqueue`: publishes a task and prints its id, or with `--wait` its result. */
export async function enqueue(cmd: EnqueueCommand, settings: CliSettings, io: CliIo): Promise<ExitCode> {
  const task = await readTask(cmd, io);
  // A quick look first, for a clear error: TaskClient would otherwise retry an unreachable broker until the timeout.
  await withBroker(settings, (broker) =>
    broker.require(cmd.queue, 'start a worker for it first (it declares its queues), or check the name'),
  );

  const client = cliClient(settings, cmd.timeoutMs);
  const taskId = cmd.taskId ?? randomUUID();
  const schedule = cmd.schedule ?? {};
  try {
    if (!cmd.wait) {
      await client.enqueue(cmd.queue, task, { taskId, ...schedule });
      io.out(cmd.json ? `${JSON.stringify({ taskId })}\n` : `${taskId}\n`);
      return EXIT.ok;
    }
    try {
      const result = await client.call(cmd.queue, task, { taskId, timeoutMs: cmd.timeoutMs, ...schedule });
      io.out(cmd.json ? `${JSON.stringify({ taskId, status: 'completed', result })}\n` : `${JSON.stringify(result ?? null)}\n`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof TaskFailedError) {
        const { message, code, permanent } = error;
        if (cmd.json) io.out(`${JSON.stringify({ taskId, status: 'failed', error: { message, code, permanent } })}\n`);
        io.err(`task ${taskId} failed${code ? ` (${code})` : ''}: ${message}\n`);
        return EXIT.failed;
      }
      throw error;
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = error instanceof QueueNotFoundError ? EXIT.queueNotFound : EXIT.failed;
    throw new CliError(`enqueue ${cmd.queue}: ${errorMessage(error)}`, code);
  } finally {
    await client.close();
  }
}

/** A TaskClient for one command: quiet (errors are the command's to print), with the command's timeout. */
export function cliClient(settings: CliSettings, timeoutMs: number): TaskClient {
  return new TaskClient({
    url: settings.amqpUrl,
    ...(settings.tls ? { tls: settings.tls } : {}),
    logger: bunyan.createLogger({ name: 'jworker', level: 'fatal', stream: process.stderr }),
    callTimeoutMs: timeoutMs,
    publishTimeoutMs: timeoutMs,
  });
}

async function readTask(cmd: EnqueueCommand, io: CliIo): Promise<unknown> {
  const { payload } = cmd;
  switch (payload.kind) {
    case 'inline':
      return parseTaskJson(payload.text, 'the command line');
    case 'stdin':
      return parseTaskJson(await io.readStdin(), 'stdin');
    case 'file': {
      let text: string;
      try {
        text = await io.readFile(payload.path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new CliError(`enqueue: cannot read the task file ${payload.path} (${code})`, EXIT.usage);
      }
      return parseTaskJson(text, payload.path);
    }
    default: {
      const exhaustive: never = payload;
      throw new Error(`unknown payload source ${String(exhaustive)}`);
    }
  }
}
