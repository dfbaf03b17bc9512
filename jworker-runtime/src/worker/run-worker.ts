import { errorMessage } from '../errors/message.js';
import { createLogger } from '../log/logger.js';
import type { BaseWorker } from './base-worker.js';

/**
 * One Ctrl-C can arrive twice: the terminal sends SIGINT to the whole process group, and a parent such as `tsx watch`
 * relays it too (tsx waits 30 ms for the child to say it got it, which a busy machine misses). A repeat of the signal
 * this soon is that same keypress, not a request to force the exit.
 */
const SAME_SIGNAL_MS = 1000;

/** Options for {@link runWorker}. */
export interface RunWorkerOptions {
  /** Signals that start a graceful stop. A second one, 1 s or more later, forces exit (code 1). @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Call `process.exit` once stopped, so that open handles in user code cannot keep the process alive. @default true */
  readonly exit?: boolean;
  /**
   * Runs once the worker has stopped (or failed to start), before the process exits: flush telemetry here (a tracing
   * SDK's `shutdown()`). Not run on a forced exit (a second signal). An error is logged; the exit code stays.
   */
  readonly beforeExit?: () => void | Promise<void>;
}

/**
 * Starts a worker and turns SIGTERM/SIGINT into a graceful stop and exit code 0. A second signal forces exit.
 * A configuration error or a failing `initialize()` is logged as one line and exits with code 1.
 * Pass a factory (`() => new EmailWorker(loadConfig())`) so that errors thrown while building the worker,
 * such as an invalid environment variable, are reported the same way.
 *
 * @example
 * await runWorker(() => new EmailWorker(loadConfig()));
 */
export async function runWorker(
  workerOrFactory: BaseWorker<unknown, unknown> | (() => BaseWorker<unknown, unknown>),
  options: RunWorkerOptions = {},
): Promise<void> {
  let worker: BaseWorker<unknown, unknown>;
  try {
    worker = typeof workerOrFactory === 'function' ? workerOrFactory() : workerOrFactory;
  } catch (error) {
    const logger = createLogger('jworker', 'info');
    logger.fatal({ err: error }, 'worker failed to start: %s', errorMessage(error));
    process.exitCode = 1;
    if (options.exit ?? true) process.exit(1);
    return;
  }
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? true;
  let stopping = false;
  let stoppingSince = 0;
  const finish = (code: number): void => {
    for (const signal of signals) process.off(signal, onSignal);
    process.exitCode = code;
    if (exit) process.exit(code);
  };
  const finishGracefully = async (code: number): Promise<void> => {
    try {
      await options.beforeExit?.();
    } catch (error) {
      worker.logger.error({ err: error }, 'beforeExit failed: %s', errorMessage(error));
    }
    finish(code);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      worker.logger.warn({ signal }, 'second %s: forcing exit', signal);
      finish(1);
      return;
    }
    stopping = true;
    stoppingSince = Date.now();
    worker.logger.info({ signal }, 'received %s: stopping gracefully', signal);
    worker.stop().then(
      () => finishGracefully(0),
      (error: unknown) => {
        worker.logger.error({ err: error }, 'error while stopping');
        return finishGracefully(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    await worker.start();
  } catch (error) {
    worker.logger.fatal({ err: error }, 'worker failed to start: %s', errorMessage(error));
    await worker.stop().catch(() => {});
    await finishGracefully(1);
  }
}
