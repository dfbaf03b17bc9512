/**
 * jworker-runtime/testing: run a worker's task in a unit test, without a broker.
 *
 * @example
 * import { runTask } from 'jworker-runtime/testing';
 * const r = await runTask(new MyWorker({}), task);
 * r.outcome; // 'completed' | 'retry' | 'failed'
 */

export type { TaskEvent, TaskStatus } from '../progress/events.js';
export type { RunTaskOptions, RunTaskResult } from './run-task.js';
export { runTask } from './run-task.js';
