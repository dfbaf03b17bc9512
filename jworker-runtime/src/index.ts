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
  isTaskValidationError,
  isWorkerError,
  TaskFailedError,
  TaskTimeoutError,
  TaskValidationError,
  WorkerError,
} from './errors/index.js';
export type { ProgressStats, TaskEvent, TaskEventSink, TaskStatus } from './progress/events.js';
export type { RetryPolicy } from './retry/backoff.js';
export { retryDelayMs } from './retry/backoff.js';
export { HEADERS } from './transport/headers.js';
export type { QueueNames } from './transport/names.js';
export { queueNames } from './transport/names.js';
export type { TaskReply } from './wire/reply.js';
export type { TaskOutcome, TaskRecord, WorkerEventMap, WorkerState } from './worker/base-worker.js';
export { BaseWorker } from './worker/base-worker.js';
export type { RunWorkerOptions } from './worker/run-worker.js';
export { runWorker } from './worker/run-worker.js';
export type { StandardIssue, StandardResult, StandardSchemaV1 } from './worker/standard-schema.js';
export type { TaskContext } from './worker/task-context.js';
