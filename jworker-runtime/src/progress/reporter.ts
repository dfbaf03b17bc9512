import type Logger from 'bunyan';
import type { ProgressOptions } from '../config/options.js';
import { noopEventSink, type TaskEventSink } from './events.js';

// PLACEHOLDER: replaced by the GraphQL reporter (progress issue).
export function createProgressReporter(_options: ProgressOptions, _deps: { logger: Logger; secrets: readonly string[] }): TaskEventSink {
  return noopEventSink;
}
