import type Logger from 'bunyan';
import type { ResolvedConfig } from '../config/normalize.js';
import type { WorkerConfig } from '../config/options.js';
import type { TaskEventSink } from '../progress/events.js';
import type { AttemptHooks } from './attempt.js';
import type { TaskContext } from './task-context.js';

/**
 * A worker's own methods, as the runtime calls them for an attempt. BaseWorker gives them (they are protected there);
 * the worker itself and `jworker-runtime/testing` read them through {@link hooksOf}.
 */
export interface WorkerHooks<TTask, TResult> {
  /** The configuration the worker was constructed with. */
  readonly config: WorkerConfig;
  workerType(): string;
  /** The payload check to use: read when an attempt's hooks are made (subclass fields exist by then). */
  validator(): (raw: unknown) => TTask | Promise<TTask>;
  execute(task: TTask, context: TaskContext): Promise<TResult>;
  isPermanent(error: unknown, task: TTask): boolean;
  initialStep(task: TTask): string;
}

/** The hooks of one attempt: the worker's methods with a resolved configuration, a logger and where events go. */
export function attemptHooks<TTask, TResult>(
  worker: WorkerHooks<TTask, TResult>,
  cfg: ResolvedConfig,
  logger: Logger,
  sink: TaskEventSink,
): AttemptHooks<TTask, TResult> {
  return {
    workerType: worker.workerType(),
    queue: cfg.queue,
    retry: cfg.retry,
    taskTimeoutMs: cfg.taskTimeoutMs,
    logger,
    sink,
    validate: worker.validator(),
    execute: (task, context) => worker.execute(task, context),
    isPermanent: (error, task) => worker.isPermanent(error, task),
    initialStep: (task) => worker.initialStep(task),
  };
}

type Registry = WeakMap<object, WorkerHooks<unknown, unknown>>;

/**
 * Keyed by a global symbol, so that `runTask` from one copy of the package (ESM) finds a worker built on another
 * (CJS): two copies of this module share one registry.
 */
const KEY = Symbol.for('jworker.workerHooks');
const globals = globalThis as { [KEY]?: Registry };
globals[KEY] ??= new WeakMap();
const registry: Registry = globals[KEY];

/** Called by BaseWorker's constructor. */
export function provideHooks<TTask, TResult>(worker: object, hooks: WorkerHooks<TTask, TResult>): void {
  registry.set(worker, hooks as WorkerHooks<unknown, unknown>);
}

/** The hooks of a worker. @throws TypeError for an object that is not a BaseWorker. */
export function hooksOf<TTask, TResult>(worker: object): WorkerHooks<TTask, TResult> {
  const hooks = registry.get(worker);
  if (!hooks) throw new TypeError('expected an instance of a BaseWorker subclass');
  return hooks as WorkerHooks<TTask, TResult>;
}
