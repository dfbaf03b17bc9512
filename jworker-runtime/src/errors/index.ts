export { retryAfterMs } from './retry-after.js';
export type { WorkerErrorOptions } from './worker-error.js';
export {
  ConfigError,
  isTaskCancelledError,
  isTaskValidationError,
  isWorkerError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  TaskValidationError,
  WorkerError,
} from './worker-error.js';
