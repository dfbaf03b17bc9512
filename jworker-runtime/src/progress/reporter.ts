import type Logger from 'bunyan';
import type { ProgressOptions } from '../config/options.js';
import { normalizeProgressOptions, type ProgressSettings } from '../config/progress-settings.js';
import { secretsOf } from '../log/mask.js';
import { BatchingReporter } from './batching-reporter.js';
import type { TaskEventSink } from './events.js';
import { createGraphqlTransport } from './graphql-transport.js';

/** What the reporter needs from its worker. */
export interface ProgressReporterDeps {
  /** Where warnings go (endpoint down, events dropped). */
  readonly logger: Logger;
  /** Strings to keep out of every log line (the token, URL passwords). */
  readonly secrets: readonly string[];
}

/**
 * Creates the sink that sends task events to a GraphQL endpoint in batches (`reportTaskEvents`, see
 * `schema/progress.graphql`). `emit` never throws or waits; `close(deadlineMs)` flushes what is pending.
 *
 * @throws ConfigError when an option is invalid (each bad `progress.*` field is named).
 * @example
 * const sink = createProgressReporter({ url: 'http://localhost:4000/graphql', token }, { logger, secrets: [token] });
 * sink.emit(event);
 * await sink.close(5000);
 */
export function createProgressReporter(options: ProgressOptions, deps: ProgressReporterDeps): TaskEventSink {
  return reporterFor(normalizeProgressOptions(options), deps);
}

/** {@link createProgressReporter} for settings already checked (a worker's resolved configuration). */
export function reporterFor(settings: ProgressSettings, deps: ProgressReporterDeps): TaskEventSink {
  const secrets = [...new Set([...deps.secrets, ...secretsOf({ progress: settings })])];
  return new BatchingReporter(settings, createGraphqlTransport(settings, secrets), deps.logger, secrets);
}
