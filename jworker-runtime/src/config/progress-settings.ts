import type { TaskEvent } from '../wire/task-event.js';
import type { ProgressOptions } from './options.js';
import { checkNumber, Problems, urlProblem } from './problems.js';

/** The mutation sent when no custom `document` is given. Matches `schema/progress.graphql`. */
export const DEFAULT_DOCUMENT = `mutation ReportTaskEvents($events: [TaskEventInput!]!) {
  reportTaskEvents(events: $events)
}`;

/** The default `variables`: the batch as `$events`. */
export const defaultVariables = (events: readonly TaskEvent[]): Record<string, unknown> => ({ events });

/** {@link ProgressOptions} with every default filled in. Internal. */
export interface ProgressSettings {
  readonly url: string;
  readonly token: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly flushIntervalMs: number;
  readonly maxBatchSize: number;
  readonly requestTimeoutMs: number;
  readonly maxBufferedEvents: number;
  readonly flushTimeoutMs: number;
  readonly document: string;
  readonly variables: (events: readonly TaskEvent[]) => Record<string, unknown>;
}

export const PROGRESS_DEFAULTS = {
  flushIntervalMs: 200,
  maxBatchSize: 500,
  requestTimeoutMs: 5000,
  maxBufferedEvents: 10_000,
  flushTimeoutMs: 5000,
} as const;

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether a host name is this machine: a token sent there over plain HTTP never crosses a network. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** A token bound for `http://` on another host would travel in clear. */
function insecureTokenProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || isLoopback(parsed.hostname)) return undefined;
  return (
    `progress.token: refusing to send GRAPHQL_TOKEN over plain http:// to ${parsed.host}, where anyone on the network ` +
    'can read it: use an https:// GRAPHQL_URL, or set GRAPHQL_ALLOW_INSECURE_TOKEN=true (progress.allowInsecureToken) ' +
    'on a network you trust'
  );
}

/**
 * Fills in the defaults of {@link ProgressOptions} and checks every value.
 * @throws ConfigError naming each invalid `progress.*` field, its value and what was expected.
 */
export function normalizeProgressOptions(options: ProgressOptions): ProgressSettings {
  const p = new Problems();
  const settings = checkProgressOptions(p, options);
  p.throwIfAny();
  return settings;
}

/** Like {@link normalizeProgressOptions}, adding each problem to `p` (so one error names every bad setting). */
export function checkProgressOptions(p: Problems, options: ProgressOptions): ProgressSettings {
  const url = options.url;
  if (typeof url !== 'string') p.add('progress.url', url, 'an http:// or https:// URL (GRAPHQL_URL)');
  else {
    const problem = urlProblem(url, ['http:', 'https:']);
    if (problem) p.add('progress.url', url, problem);
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    p.list.push('progress.token: expected a non-empty string (GRAPHQL_TOKEN), got a value that is not one (not shown: it is a secret)');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value === 'string') headers[name] = value;
    else p.add(`progress.headers.${name}`, value, 'a string');
  }
  if (options.token) {
    // The token wins over a hand-written Authorization header: two would be merged into one invalid value.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    headers.Authorization = `Bearer ${options.token}`;
  }
  if (options.token && typeof url === 'string' && !options.allowInsecureToken) {
    const problem = insecureTokenProblem(url);
    if (problem) p.list.push(problem);
  }
  if (options.document !== undefined && typeof options.document !== 'string') p.add('progress.document', options.document, 'a string');
  if (options.document !== undefined && typeof options.variables !== 'function') {
    p.add('progress.variables', options.variables, 'a function mapping events to the variables of progress.document');
  }
  if (options.document === undefined && options.variables !== undefined && typeof options.variables !== 'function') {
    p.add('progress.variables', options.variables, 'a function');
  }
  const integer = (name: keyof typeof PROGRESS_DEFAULTS, min: number, max: number): number =>
    checkNumber(p, `progress.${name}`, options[name], PROGRESS_DEFAULTS[name], { min, max, integer: true });
  const settings: ProgressSettings = {
    url: url as string,
    token: options.token,
    headers,
    flushIntervalMs: integer('flushIntervalMs', 1, MAX_TIMER_MS),
    maxBatchSize: integer('maxBatchSize', 1, 100_000),
    requestTimeoutMs: integer('requestTimeoutMs', 1, MAX_TIMER_MS),
    maxBufferedEvents: integer('maxBufferedEvents', 1, 10_000_000),
    flushTimeoutMs: integer('flushTimeoutMs', 0, MAX_TIMER_MS),
    document: options.document ?? DEFAULT_DOCUMENT,
    variables: options.variables ?? defaultVariables,
  };
  return settings;
}
