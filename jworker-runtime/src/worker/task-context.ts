import type Logger from 'bunyan';

/** What a worker's `executeTask` gets besides the task. */
export interface TaskContext {
  /** The task id (the AMQP `messageId`): the same on every attempt, the key for idempotency. */
  readonly taskId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Attempts in all before the task is dead-lettered. */
  readonly maxAttempts: number;
  /** True when the broker delivered this attempt before (the process died or the connection dropped mid-task). */
  readonly redelivered: boolean;
  /** Aborted when the task times out (`taskTimeoutMs`) or the worker is forced to stop. Pass it to fetch, timers, etc. */
  readonly signal: AbortSignal;
  /** A bunyan child logger carrying taskId, attempt and workerType. */
  readonly logger: Logger;
  /**
   * Reports progress: `percent` 0..100, an optional step name and details (sent as the event's `message`).
   * Never throws and never waits.
   */
  progress(percent: number, step?: string, details?: unknown): void;
}
