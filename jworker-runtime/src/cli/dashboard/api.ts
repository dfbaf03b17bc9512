import { randomUUID } from 'node:crypto';
import { QueueNotFoundError, type TaskClient } from '../../client/task-client.js';
import { queueNames } from '../../wire/names.js';
import { CliError, EXIT } from '../errors.js';
import { readQueueStats } from '../stats.js';
import type { BrokerLink } from './broker-link.js';
import type { DeadQueues, Selection } from './dead-queue.js';
import { countField, HttpError, stringField } from './http.js';
import type { RateSource } from './rates.js';
import { type DeadSnapshot, matchesSearch } from './snapshot.js';

/** What the API handlers work with. */
export interface ApiContext {
  readonly queues: readonly string[];
  readonly retryDelays: (queue: string) => readonly number[];
  readonly link: BrokerLink;
  readonly dead: DeadQueues;
  readonly client: () => TaskClient;
  readonly rates: RateSource | undefined;
  /** The page refreshes a snapshot by itself while the dead queue holds at most this many. */
  readonly autoSnapshot: number;
}

/**
 * What the dashboard can do beyond the CLI: the page shows the Delayed column (tasks in the delay buckets) and enables
 * its Cancel form (dashboard/dashboard.js, `enableCancel`) when these are true.
 */
export const CAPABILITIES = { delayed: true, cancel: true } as const;

/** One queue's row: ready, in retry, delayed (in the delay buckets), dead and consumers of the work queue. */
export interface QueueRow {
  readonly queue: string;
  readonly ready: number | null;
  readonly retry: number | null;
  readonly delayed: number | null;
  readonly dead: number | null;
  readonly consumers: number | null;
  /** Why the numbers are missing (the queue does not exist yet, the broker is away). */
  readonly problem?: string;
}

/** Every queue's numbers (passive declares, the same reading as `jworker stats`) and the rates when a source is set. */
export async function overview(ctx: ApiContext) {
  const rows: QueueRow[] = [];
  const broker = await ctx.link.get();
  for (const queue of ctx.queues) {
    try {
      const stats = await readQueueStats(broker, queue, ctx.retryDelays(queue));
      const sum = (kind: string) => stats.filter((row) => row.kind === kind).reduce((total, row) => total + row.ready, 0);
      const work = stats[0];
      const hasDead = stats.some((row) => row.kind === 'dead');
      rows.push({
        queue,
        ready: work?.ready ?? 0,
        retry: sum('retry'),
        delayed: sum('delay'),
        dead: hasDead ? sum('dead') : null,
        consumers: work?.consumers ?? null,
      });
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.queueNotFound) throw error;
      rows.push({
        queue,
        ready: null,
        retry: null,
        delayed: null,
        dead: null,
        consumers: null,
        problem: 'no such queue yet: its worker declares it',
      });
    }
  }
  const rates = ctx.rates ? await ctx.rates.read() : null;
  return { at: new Date().toISOString(), queues: rows, rates, capabilities: CAPABILITIES, autoSnapshot: ctx.autoSnapshot };
}

/** A page of a snapshot, newest first, of the letters matching `search`. */
export function deadPage(ctx: ApiContext, params: URLSearchParams) {
  const queue = queueParam(ctx, params.get('queue'));
  const offset = intParam(params.get('offset'), 0, 'offset');
  const limit = Math.min(intParam(params.get('limit'), 50, 'limit'), 500);
  const search = params.get('search') ?? '';
  const snapshot = ctx.dead.current(queue);
  if (!snapshot) return { queue, deadQueue: queueNames(queue).dead, snapshot: null, matches: 0, offset, letters: [] };
  const newestFirst = [...snapshot.letters].reverse();
  const matching = search.trim() === '' ? newestFirst : newestFirst.filter((letter) => matchesSearch(letter, search));
  return { queue, ...describe(queue, snapshot), matches: matching.length, offset, letters: matching.slice(offset, offset + limit) };
}

/** The whole message of one letter of the snapshot, when the snapshot kept it. */
export function deadLetter(ctx: ApiContext, params: URLSearchParams) {
  const queue = queueParam(ctx, params.get('queue'));
  const id = params.get('id') ?? '';
  const snapshot = ctx.dead.current(queue);
  const summary = snapshot?.letters.find((letter) => letter.id === id);
  if (!snapshot || !summary) throw new HttpError(404, 'this dead letter is not in the current snapshot: refresh the list');
  const detail = snapshot.details.get(id);
  if (!detail)
    throw new HttpError(
      410,
      'the whole message was not kept (the snapshot keeps 32 MiB of messages, newest first): use jworker dead list --json',
    );
  return { id, summary, ...detail };
}

export async function refresh(ctx: ApiContext, body: Record<string, unknown>) {
  const queue = queueParam(ctx, stringField(body, 'queue'));
  return { queue, ...describe(queue, await ctx.dead.refresh(queue)) };
}

/** Replays or purges the letters the operator confirmed: `ids`, or `all` (of `search`) with the count shown. */
export async function act(ctx: ApiContext, body: Record<string, unknown>, action: 'replay' | 'purge') {
  const queue = queueParam(ctx, stringField(body, 'queue'));
  let selection: Selection;
  let expected: number;
  if (body.all === true) {
    if (body.search !== undefined && typeof body.search !== 'string') throw new HttpError(400, '"search" must be a string');
    selection = { all: true, search: body.search ?? '' };
    expected = countField(body, 'expected');
  } else if (Array.isArray(body.ids) && body.ids.length > 0 && body.ids.every((id) => typeof id === 'string')) {
    selection = { ids: body.ids as string[] };
    expected = new Set(body.ids).size;
  } else {
    throw new HttpError(400, 'say which dead letters: "ids" (a list) or "all": true with "expected" (the count confirmed)');
  }
  if (action === 'purge' && !('all' in selection)) throw new HttpError(400, 'purge takes "all": true (of the snapshot)');
  const report = action === 'replay' ? await ctx.dead.replay(queue, selection, expected) : await ctx.dead.purge(queue, selection, expected);
  const { snapshot, ...numbers } = report;
  return { queue, action, ...numbers, ...describe(queue, snapshot) };
}

/** Publishes a task to one of the dashboard's queues, as `jworker enqueue` does. */
export async function enqueue(ctx: ApiContext, body: Record<string, unknown>) {
  const queue = queueParam(ctx, stringField(body, 'queue'));
  if (!('task' in body)) throw new HttpError(400, '"task" is missing: the task as JSON');
  const taskId = stringField(body, 'taskId', true) ?? randomUUID();
  try {
    await ctx.client().enqueue(queue, body.task, { taskId });
  } catch (error) {
    if (error instanceof QueueNotFoundError) throw new HttpError(404, `no queue named "${queue}" on the broker: start its worker first`);
    throw error;
  }
  return { queue, taskId, enqueued: 1 };
}

/**
 * Cancels a task of one of the dashboard's queues, as `jworker cancel` does (docs/scheduling.md#cancelling): the
 * request is written to the queue's cancel stream; whether the task exists is not known here.
 */
export async function cancel(ctx: ApiContext, body: Record<string, unknown>) {
  const queue = queueParam(ctx, stringField(body, 'queue'));
  const taskId = stringField(body, 'taskId') as string;
  await ctx.client().cancel(queue, taskId);
  return { queue, taskId, cancelled: 1 };
}

function describe(queue: string, snapshot: DeadSnapshot) {
  const { takenAt, total, letters } = snapshot;
  return { deadQueue: queueNames(queue).dead, snapshot: { takenAt, total, kept: letters.length } };
}

function queueParam(ctx: ApiContext, queue: string | null | undefined): string {
  if (!queue || !ctx.queues.includes(queue)) throw new HttpError(404, `"${queue ?? ''}" is not one of the dashboard's queues`);
  return queue;
}

function intParam(value: string | null, fallback: number, name: string): number {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new HttpError(400, `"${name}" must be a whole number`);
  return Number(value);
}
