/**
 * jworker-runtime/testing: run a worker's task in a unit test, without a broker.
 *
 * @example
 * import { runTask } from 'jworker-runtime/testing';
 * const r = await runTask(new MyWorker({}), task);
 * r.outcome; // 'completed' | 'retried' | 'dead_lettered'
 */

export type { TaskEvent, TaskStatus } from '../wire/task-event.js';
export type { RunTaskOptions, RunTaskResult } from './run-task.js';
export { runTask } from './run-task.js';
