import { queueNames } from '../../wire/names.js';
import { replayTo } from '../dead-replay.js';
import { walkQueue } from '../walk-queue.js';
import type { BrokerLink } from './broker-link.js';
import { HttpError } from './http.js';
import { type DeadSnapshot, keyOf, letterKey, matchesSearch, SnapshotBuilder } from './snapshot.js';

/** Which letters of the snapshot an action is for: some by id, or all (those matching a search, when one is given). */
export type Selection = { readonly ids: readonly string[] } | { readonly all: true; readonly search: string };

/** What an action did, in numbers, and the snapshot the same walk made of what is left. */
export interface ActionReport {
  /** Letters the operator confirmed. */
  readonly requested: number;
  /** Letters replayed or purged. */
  readonly done: number;
  /** Confirmed letters no longer in the queue (replayed, purged or taken by someone else meanwhile). */
  readonly gone: number;
  readonly snapshot: DeadSnapshot;
}

/**
 * The dead-letter queues as the dashboard sees them: one snapshot per queue, made by one walk (the CLI's walkQueue:
 * each letter copied to the tail, confirmed, then acked, so order and count stay) and replaced by every later walk.
 * Replay and purge are walks too: they act on exactly the letters the operator confirmed, picked by content key, and
 * the kept letters of the same walk become the new snapshot, so an action costs one walk, not two. Walks of one queue
 * run one after another; the broker-side walk lock keeps the CLI out meanwhile (and the dashboard out while it walks).
 */
export class DeadQueues {
  readonly #link: BrokerLink;
  readonly #maxLetters: number;
  readonly #snapshots = new Map<string, DeadSnapshot>();
  /** The last walk queued per queue, so the next one starts after it. */
  readonly #tails = new Map<string, Promise<unknown>>();
  /** A look in progress per queue, shared by every refresh asked for meanwhile. */
  readonly #looking = new Map<string, Promise<DeadSnapshot>>();

  constructor(link: BrokerLink, maxLetters: number) {
    this.#link = link;
    this.#maxLetters = maxLetters;
  }

  /** The last snapshot of `queue`'s dead letters, if one was made. */
  current(queue: string): DeadSnapshot | undefined {
    return this.#snapshots.get(queue);
  }

  /** Walks the dead queue and makes a new snapshot; asked again while it runs, the same walk answers. */
  refresh(queue: string): Promise<DeadSnapshot> {
    let looking = this.#looking.get(queue);
    if (!looking) {
      looking = this.#serial(queue, async () => (await this.#walk(queue, 'look', new Map())).snapshot).finally(() =>
        this.#looking.delete(queue),
      );
      this.#looking.set(queue, looking);
    }
    return looking;
  }

  /** Moves the selected letters back to the work queue with the CLI's replay rule (same task id, attempts reset). */
  replay(queue: string, selection: Selection, expected: number): Promise<ActionReport> {
    return this.#act(queue, 'replay', selection, expected);
  }

  /** Deletes the selected letters; letters not selected, and letters that came after the snapshot, are kept. */
  purge(queue: string, selection: Selection, expected: number): Promise<ActionReport> {
    return this.#act(queue, 'purge', selection, expected);
  }

  #act(queue: string, action: 'replay' | 'purge', selection: Selection, expected: number): Promise<ActionReport> {
    return this.#serial(queue, async () => {
      const keys = this.#select(queue, selection, expected);
      const { done, snapshot } = await this.#walk(queue, action, keys);
      return { requested: expected, done, gone: expected - done, snapshot };
    });
  }

  /** The content keys (with how many of each) of the letters `selection` names, checked against `expected`. */
  #select(queue: string, selection: Selection, expected: number): Map<string, number> {
    const snapshot = this.#snapshots.get(queue);
    if (!snapshot) throw new HttpError(409, `no snapshot of ${queueNames(queue).dead} yet: refresh the list first`);
    const ids = 'ids' in selection ? new Set(selection.ids) : undefined;
    const search = 'search' in selection ? selection.search : '';
    const chosen = snapshot.letters.filter((letter) => (ids ? ids.has(letter.id) : matchesSearch(letter, search)));
    if (ids && chosen.length < ids.size) {
      throw new HttpError(409, `${ids.size - chosen.length} of the letters asked for are not in the current snapshot: refresh the list`);
    }
    if (chosen.length !== expected) {
      throw new HttpError(409, `the selection holds ${chosen.length} dead letters now, not ${expected}: look again and confirm`);
    }
    const keys = new Map<string, number>();
    for (const letter of chosen) keys.set(keyOf(letter.id), (keys.get(keyOf(letter.id)) ?? 0) + 1);
    return keys;
  }

  /** One walk of the dead queue: acts on the letters in `keys` (as many of each as asked), keeps and lists the rest. */
  async #walk(queue: string, action: 'look' | 'replay' | 'purge', keys: Map<string, number>) {
    const { work, dead } = queueNames(queue);
    const broker = await this.#link.get();
    await broker.require(dead, `is "${queue}" the right work queue? Its worker declares ${dead}`);
    if (action === 'replay') await broker.require(work, 'start a worker for it first (it declares its queues)');
    // A channel of its own: a walk listens for returned messages, which must be its own.
    const channel = await broker.connection.createConfirmChannel();
    channel.on('error', () => {});
    const builder = new SnapshotBuilder(this.#maxLetters);
    let done = 0;
    try {
      await walkQueue({ connection: broker.connection, channel }, dead, (message) => {
        const key = letterKey(message);
        const left = keys.get(key) ?? 0;
        if (left > 0) {
          keys.set(key, left - 1);
          done++;
          return action === 'replay' ? replayTo(work, message) : { action: 'drop' };
        }
        builder.add(message, key);
        return { action: 'keep' };
      });
    } finally {
      await channel.close().catch(() => {});
    }
    const snapshot = builder.finish();
    this.#snapshots.set(queue, snapshot);
    return { done, snapshot };
  }

  #serial<T>(queue: string, job: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(queue) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(job);
    this.#tails.set(queue, next);
    next
      .catch(() => {})
      .finally(() => {
        if (this.#tails.get(queue) === next) this.#tails.delete(queue);
      });
    return next;
  }
}
