/** The status of a task event, as in the GraphQL enum `TaskStatus`. */
export type TaskStatus = 'STARTED' | 'PROGRESS' | 'RETRYING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/**
 * One event in a task's life, shaped as the GraphQL input `TaskEventInput` (schema/progress.graphql).
 * Per task they come in order: STARTED, PROGRESS…, then RETRYING (and a new STARTED) or COMPLETED or FAILED or
 * CANCELLED (also without a STARTED, for a task cancelled before it started).
 */
export interface TaskEvent {
  readonly taskId: string;
  readonly workerType: string;
  readonly queue: string;
  readonly status: TaskStatus;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** 0..100, for PROGRESS (and 100 for COMPLETED). */
  readonly percent?: number;
  /** A human-readable step; STARTED carries `getInitialStep(task)`. */
  readonly step?: string;
  /** Free text: PROGRESS details, the retry delay for RETRYING. */
  readonly message?: string;
  /** The task's result, for COMPLETED. */
  readonly result?: unknown;
  /** The error message, for RETRYING, FAILED and CANCELLED. */
  readonly error?: string;
  /**
   * The W3C trace id (32 hex digits) of the attempt's span, when tracing is on and the span records: the key to
   * the task's trace in Jaeger, Tempo and the like.
   */
  readonly traceId?: string;
  /** ISO 8601 time the event happened. */
  readonly timestamp: string;
}
