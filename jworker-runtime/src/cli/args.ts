import { errorMessage } from '../errors/message.js';
import { common, durationMs, noExtra, parse, positiveInt, queueArg } from './arg-parse.js';
import { UsageError } from './errors.js';
import type { HelpTopic } from './help.js';

/** Where `enqueue` reads its task from. */
export type PayloadSource =
  | { readonly kind: 'inline'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin' };

/** A parsed command line. */
export type Command =
  /** Help that was asked for: printed on stdout, exit 0. */
  | { readonly command: 'help'; readonly topic: HelpTopic }
  /** A command given without what it needs (`jworker`, `jworker dead`): its help on stderr, exit 2. */
  | { readonly command: 'usage'; readonly topic: HelpTopic }
  | { readonly command: 'version' }
  | { readonly command: 'logs' }
  | {
      readonly command: 'enqueue';
      readonly queue: string;
      readonly payload: PayloadSource;
      readonly wait: boolean;
      readonly timeoutMs: number;
      readonly taskId: string | undefined;
      readonly json: boolean;
      /** `--delay` or `--at`: start no sooner than that. */
      readonly schedule: { readonly delayMs: number } | { readonly notBefore: Date } | undefined;
    }
  | { readonly command: 'cancel'; readonly queue: string; readonly taskId: string; readonly json: boolean }
  | { readonly command: 'stats'; readonly queue: string; readonly retryDelays: readonly number[] | undefined; readonly json: boolean }
  | { readonly command: 'dead list'; readonly queue: string; readonly limit: number; readonly json: boolean }
  | {
      readonly command: 'dead replay';
      readonly queue: string;
      readonly taskIds: readonly string[] | 'all';
      readonly json: boolean;
    }
  | { readonly command: 'dead purge'; readonly queue: string; readonly yes: boolean; readonly json: boolean }
  | DashboardCommand;

/** `jworker dashboard`: where to serve the page and what it shows. Queues left undefined come from JWORKER_QUEUES. */
export interface DashboardCommand {
  readonly command: 'dashboard';
  readonly host: string;
  readonly port: number;
  readonly queues: readonly string[] | undefined;
  readonly retryDelays: readonly number[] | undefined;
  /** A Prometheus server that scrapes the workers, for completed/failed rates. */
  readonly prometheusUrl: string | undefined;
  /** The workers' own /metrics endpoints, for rates without Prometheus. */
  readonly metricsUrls: readonly string[];
  /** The most dead letters a snapshot holds per queue (the newest are kept). */
  readonly maxLetters: number;
  /** The page refreshes a snapshot by itself while the dead queue holds at most this many (0: only on demand). */
  readonly autoSnapshot: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_LIST_LIMIT = 100;
export const DASHBOARD_DEFAULTS = { host: '127.0.0.1', port: 8080, maxLetters: 50_000, autoSnapshot: 1000 } as const;

/**
 * Parses `jworker` arguments (without `node` and the script). Pure: reads no files and no environment.
 * @throws UsageError naming the bad argument.
 */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
      return { command: 'usage', topic: 'main' };
    case '-v':
    case '--version':
    case 'version':
      return { command: 'version' };
    case 'help':
    case '-h':
    case '--help':
      return { command: 'help', topic: 'main' };
    case 'enqueue':
      return parseEnqueue(rest);
    case 'stats':
      return parseStats(rest);
    case 'cancel':
      return parseCancel(rest);
    case 'logs': {
      const { values, positionals } = parse(rest, { help: { type: 'boolean', short: 'h' } }, 'logs');
      if (values.help) return { command: 'help', topic: 'logs' };
      noExtra(positionals, 0, 'logs');
      return { command: 'logs' };
    }
    case 'dead':
      return parseDead(rest);
    case 'dashboard':
      return parseDashboard(rest);
    default:
      throw new UsageError(`unknown command "${name}": expected enqueue, cancel, stats, dead, dashboard or logs. Run "jworker --help".`);
  }
}

function parseEnqueue(args: readonly string[]): Command {
  const command = 'enqueue';
  const { values, positionals } = parse(
    args,
    {
      ...common,
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      'task-id': { type: 'string' },
      delay: { type: 'string' },
      at: { type: 'string' },
    },
    command,
  );
  if (values.help) return { command: 'help', topic: 'enqueue' };
  const queue = queueArg(positionals[0], command);
  const task = positionals[1];
  if (task === undefined) throw new UsageError(`${command}: missing the task: inline JSON, @file or - for stdin`);
  noExtra(positionals, 2, command);
  const payload: PayloadSource =
    task === '-' ? { kind: 'stdin' } : task.startsWith('@') ? { kind: 'file', path: task.slice(1) } : { kind: 'inline', text: task };
  if (payload.kind === 'file' && payload.path === '') throw new UsageError(`${command}: "@" must be followed by a file path`);
  const taskId = values['task-id'];
  if (taskId !== undefined && taskId.trim() === '') throw new UsageError(`${command}: --task-id must not be empty`);
  return {
    command,
    queue,
    payload,
    wait: values.wait ?? false,
    timeoutMs: positiveInt(values.timeout, '--timeout', command) ?? DEFAULT_TIMEOUT_MS,
    taskId,
    json: values.json ?? false,
    schedule: scheduleArg(values.delay, values.at),
  };
}

function scheduleArg(delay: string | undefined, at: string | undefined): Extract<Command, { command: 'enqueue' }>['schedule'] {
  if (delay !== undefined && at !== undefined) throw new UsageError('enqueue: give either --delay or --at, not both');
  if (delay !== undefined) return { delayMs: durationMs(delay, '--delay', 'enqueue') };
  if (at === undefined) return undefined;
  const notBefore = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(notBefore.getTime())) {
    throw new UsageError(`enqueue: --at expects an ISO 8601 time like 2026-12-01T09:00:00Z, got ${JSON.stringify(at)}`);
  }
  return { notBefore };
}

function parseCancel(args: readonly string[]): Command {
  const command = 'cancel';
  const { values, positionals } = parse(args, common, command);
  if (values.help) return { command: 'help', topic: 'cancel' };
  const queue = queueArg(positionals[0], command);
  const taskId = positionals[1];
  if (taskId === undefined || taskId.trim() === '') throw new UsageError(`${command}: missing <taskId>. Run "jworker cancel --help".`);
  noExtra(positionals, 2, command);
  return { command, queue, taskId, json: values.json ?? false };
}

function parseStats(args: readonly string[]): Command {
  const command = 'stats';
  const { values, positionals } = parse(args, { ...common, 'retry-delays': { type: 'string' } }, command);
  if (values.help) return { command: 'help', topic: 'stats' };
  const queue = queueArg(positionals[0], command);
  noExtra(positionals, 1, command);
  const retryDelays = retryDelaysArg(values['retry-delays'], command);
  return { command, queue, retryDelays, json: values.json ?? false };
}

function retryDelaysArg(raw: string | undefined, command: string): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part)))
    throw new UsageError(`${command}: --retry-delays expects milliseconds separated by commas, got ${JSON.stringify(raw)}`);
  return [...new Set(parts.map(Number))];
}

/** Work queue names separated by commas (`--queues`, JWORKER_QUEUES), each checked like a <queue> argument. */
export function queueList(raw: string, source: string): string[] {
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError(`dashboard: ${source} names no queue`);
  return [...new Set(names.map((name) => queueArg(name, `dashboard (${source})`)))];
}

function httpUrl(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`dashboard: ${option} expects an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`dashboard: ${option} expects an http(s) URL, got ${JSON.stringify(value)}`);
  return url.href;
}

function parseDashboard(args: readonly string[]): Command {
  const command = 'dashboard';
  const { values, positionals } = parse(
    args,
    {
      help: common.help,
      host: { type: 'string' },
      port: { type: 'string' },
      queues: { type: 'string' },
      'retry-delays': { type: 'string' },
      'prometheus-url': { type: 'string' },
      'metrics-url': { type: 'string', multiple: true },
      'max-letters': { type: 'string' },
      'auto-snapshot': { type: 'string' },
    },
    command,
  );
  if (values.help) return { command: 'help', topic: 'dashboard' };
  noExtra(positionals, 0, command);
  const port = values.port ?? String(DASHBOARD_DEFAULTS.port);
  if (!/^\d+$/.test(port) || Number(port) > 65535)
    throw new UsageError(`${command}: --port expects 0 to 65535, got ${JSON.stringify(port)}`);
  const host = values.host ?? DASHBOARD_DEFAULTS.host;
  if (host.trim() === '') throw new UsageError(`${command}: --host must not be empty`);
  const autoSnapshot = values['auto-snapshot'];
  if (autoSnapshot !== undefined && !/^\d+$/.test(autoSnapshot))
    throw new UsageError(`${command}: --auto-snapshot expects a count (0 to refresh only on demand), got ${JSON.stringify(autoSnapshot)}`);
  const prometheus = values['prometheus-url'];
  return {
    command,
    host,
    port: Number(port),
    queues: values.queues === undefined ? undefined : queueList(values.queues, '--queues'),
    retryDelays: retryDelaysArg(values['retry-delays'], command),
    prometheusUrl: prometheus === undefined ? undefined : httpUrl(prometheus, '--prometheus-url'),
    metricsUrls: (values['metrics-url'] ?? [])
      .flatMap((list) => list.split(','))
      .filter((url) => url.trim() !== '')
      .map((url) => httpUrl(url.trim(), '--metrics-url')),
    maxLetters: positiveInt(values['max-letters'], '--max-letters', command) ?? DASHBOARD_DEFAULTS.maxLetters,
    autoSnapshot: autoSnapshot === undefined ? DASHBOARD_DEFAULTS.autoSnapshot : Number(autoSnapshot),
  };
}

function parseDead(args: readonly string[]): Command {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
      return { command: 'usage', topic: 'dead' };
    case '-h':
    case '--help':
      return { command: 'help', topic: 'dead' };
    case 'list': {
      const command = 'dead list';
      const { values, positionals } = parse(rest, { ...common, limit: { type: 'string' } }, command);
      if (values.help) return { command: 'help', topic: command };
      const queue = queueArg(positionals[0], command);
      noExtra(positionals, 1, command);
      return { command, queue, limit: positiveInt(values.limit, '--limit', command) ?? DEFAULT_LIST_LIMIT, json: values.json ?? false };
    }
    case 'replay': {
      const command = 'dead replay';
      const { values, positionals } = parse(
        rest,
        { ...common, all: { type: 'boolean' }, 'task-id': { type: 'string', multiple: true } },
        command,
      );
      if (values.help) return { command: 'help', topic: command };
      const queue = queueArg(positionals[0], command);
      noExtra(positionals, 1, command);
      const ids = values['task-id'] ?? [];
      if (values.all && ids.length > 0) throw new UsageError(`${command}: give either --task-id or --all, not both`);
      if (!values.all && ids.length === 0) throw new UsageError(`${command}: say which dead letters: --task-id <id> (repeatable) or --all`);
      return { command, queue, taskIds: values.all ? 'all' : [...new Set(ids)], json: values.json ?? false };
    }
    case 'purge': {
      const command = 'dead purge';
      const { values, positionals } = parse(rest, { ...common, yes: { type: 'boolean' } }, command);
      if (values.help) return { command: 'help', topic: command };
      const queue = queueArg(positionals[0], command);
      noExtra(positionals, 1, command);
      return { command, queue, yes: values.yes ?? false, json: values.json ?? false };
    }
    default:
      throw new UsageError(`dead: unknown subcommand "${sub}": expected list, replay or purge. Run "jworker dead --help".`);
  }
}

/** Parses the task JSON; `source` names where it came from in the error. @throws UsageError on bad JSON. */
export function parseTaskJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = errorMessage(error);
    throw new UsageError(`enqueue: the task from ${source} is not valid JSON: ${reason}`);
  }
}
