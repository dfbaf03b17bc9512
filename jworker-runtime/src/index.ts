/**
 * jworker-runtime: task workers on RabbitMQ.
 * Every export is listed here by name; nothing else is public.
 */

export type { CallOptions, EnqueueOptions, TaskClientOptions } from './client/task-client.js';
export { QueueNotFoundError, TaskClient } from './client/task-client.js';
export { ENV_VARIABLES, loadConfig } from './config/load-config.js';
export type { LogLevel, ProgressOptions, RetryOptions, TlsOptions, WorkerConfig } from './config/options.js';
export type { WorkerErrorOptions } from './errors/index.js';
export {
  ConfigError,
  isTaskCancelledError,
  isTaskValidationError,
  isWorkerError,
  retryAfterMs,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  TaskValidationError,
  WorkerError,
} from './errors/index.js';
export type { ProgressStats, TaskEventSink } from './progress/events.js';
export type { RetryPolicy } from './retry/backoff.js';
export { retryDelayMs } from './retry/backoff.js';
export { VERSION } from './version.js';
export { HEADERS } from './wire/headers.js';
export type { QueueNames } from './wire/names.js';
export { queueNames } from './wire/names.js';
export type { TaskReply } from './wire/reply.js';
export type { TaskEvent, TaskStatus } from './wire/task-event.js';
export type { QueueSpec, TopologyOptions } from './wire/topology.js';
export { topology } from './wire/topology.js';
export { BaseWorker } from './worker/base-worker.js';
export type { RunWorkerOptions } from './worker/run-worker.js';
export { runWorker } from './worker/run-worker.js';
export type { StandardIssue, StandardResult, StandardSchemaV1 } from './worker/standard-schema.js';
export type { TaskContext } from './worker/task-context.js';
export type { TaskOutcome, TaskRecord, WorkerEventMap, WorkerState } from './worker/worker-events.js';
