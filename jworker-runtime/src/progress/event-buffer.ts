import type { TaskEvent } from '../wire/task-event.js';

/** One buffered event; `event` is undefined once the slot is dead (sent, dropped or given up). */
interface Slot {
  event: TaskEvent | undefined;
  inFlight: boolean;
}

/** Which kind of event {@link EventBuffer.push} had to drop to stay within its bound. */
export type DroppedKind = 'PROGRESS' | 'STATUS';

/** Dead slots are swept out once there are this many and more dead than live ones (amortised O(1)). */
const COMPACT_THRESHOLD = 1024;

/**
 * The reporter's memory: events in emission order, bounded, with per-task coalescing of PROGRESS.
 * Every operation on the emit path is O(1) amortised; no timers, no I/O (the reporter owns those).
 *
 * - A PROGRESS event replaces the task's unsent PROGRESS when that is still the task's latest buffered event.
 * - Past `maxEvents`, the oldest queued PROGRESS is dropped; if none is queued, the oldest queued status event.
 * - One batch at a time is in flight: {@link takeBatch}, then {@link ackBatch} or {@link returnBatch}.
 */
export class EventBuffer {
  readonly #maxEvents: number;
  #slots: Array<Slot | undefined> = [];
  #head = 0;
  /** Every slot in [head, cursor) is dead or in flight: where the search for the oldest queued event starts. */
  #cursor = 0;
  #dead = 0;
  #live = 0;
  #inFlight: Slot[] = [];
  /** PROGRESS slots, oldest first: the first candidates to drop. */
  #progress: Array<Slot | undefined> = [];
  #progressHead = 0;
  /** taskId → its PROGRESS slot, only while that slot is queued and is the task's latest buffered event. */
  readonly #latestProgress = new Map<string, Slot>();

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents;
  }

  /** Events held now, in flight included. */
  get size(): number {
    return this.#live;
  }

  /** Events waiting for a request (not in flight). */
  get queued(): number {
    return this.#live - this.#inFlight.length;
  }

  /** Slots held in memory, dead ones included: what bounds memory (for tests). */
  get footprint(): number {
    return this.#slots.length - this.#head + this.#progress.length - this.#progressHead + this.#latestProgress.size;
  }

  /** True while a batch is out. */
  get busy(): boolean {
    return this.#inFlight.length > 0;
  }

  /** Adds an event. Returns the kind of event dropped to make room, if one was. */
  push(event: TaskEvent): DroppedKind | undefined {
    if (event.status === 'PROGRESS') {
      const latest = this.#latestProgress.get(event.taskId);
      if (latest !== undefined) {
        // Latest wins: the newer event takes the older one's place, so the task's order is unchanged.
        latest.event = event;
        return undefined;
      }
      const slot: Slot = { event, inFlight: false };
      this.#slots.push(slot);
      this.#progress.push(slot);
      this.#latestProgress.set(event.taskId, slot);
    } else {
      // A status event ends coalescing: a later PROGRESS must come after it, not replace one before it.
      this.#latestProgress.delete(event.taskId);
      this.#slots.push({ event, inFlight: false });
    }
    this.#live++;
    return this.#live > this.#maxEvents ? this.#shed() : undefined;
  }

  /** Marks up to `max` of the oldest queued events as in flight and returns them, oldest first. */
  takeBatch(max: number): TaskEvent[] {
    const batch: TaskEvent[] = [];
    if (this.#inFlight.length > 0) return batch;
    const slots = this.#slots;
    let i = this.#head;
    for (; i < slots.length && batch.length < max; i++) {
      const slot = slots[i] as Slot;
      const event = slot.event;
      if (event === undefined) continue;
      slot.inFlight = true;
      this.#inFlight.push(slot);
      batch.push(event);
      if (event.status === 'PROGRESS' && this.#latestProgress.get(event.taskId) === slot) this.#latestProgress.delete(event.taskId);
    }
    if (i > this.#cursor) this.#cursor = i;
    return batch;
  }

  /** The batch in flight is done with (sent, or given up): forget it. Returns how many events it held. */
  ackBatch(): number {
    const n = this.#inFlight.length;
    for (const slot of this.#inFlight) {
      slot.event = undefined;
      slot.inFlight = false;
    }
    this.#inFlight = [];
    this.#live -= n;
    this.#dead += n;
    this.#sweep();
    return n;
  }

  /** The batch in flight failed and will be sent again: it stays at the front, in order, and can be dropped again. */
  returnBatch(): void {
    for (const slot of this.#inFlight) slot.inFlight = false;
    this.#inFlight = [];
    this.#cursor = this.#head;
  }

  /** Forgets everything (the stop deadline passed). Returns how many events were lost. */
  clear(): number {
    const lost = this.#live;
    this.#slots = [];
    this.#progress = [];
    this.#inFlight = [];
    this.#latestProgress.clear();
    this.#head = this.#cursor = this.#progressHead = this.#dead = this.#live = 0;
    return lost;
  }

  /** Drops one queued event: the oldest PROGRESS, else the oldest status event. */
  #shed(): DroppedKind | undefined {
    const progress = this.#progress;
    while (this.#progressHead < progress.length) {
      const slot = progress[this.#progressHead] as Slot;
      progress[this.#progressHead++] = undefined;
      if (slot.event !== undefined && !slot.inFlight) {
        this.#kill(slot);
        return 'PROGRESS';
      }
    }
    const slots = this.#slots;
    while (this.#cursor < slots.length) {
      const slot = slots[this.#cursor] as Slot;
      if (slot.event !== undefined && !slot.inFlight) {
        const kind: DroppedKind = slot.event.status === 'PROGRESS' ? 'PROGRESS' : 'STATUS';
        this.#kill(slot);
        return kind;
      }
      this.#cursor++;
    }
    // Everything is in flight: nothing can be dropped until the request settles.
    return undefined;
  }

  #kill(slot: Slot): void {
    const event = slot.event as TaskEvent;
    if (event.status === 'PROGRESS' && this.#latestProgress.get(event.taskId) === slot) this.#latestProgress.delete(event.taskId);
    slot.event = undefined;
    this.#live--;
    this.#dead++;
    this.#sweep();
  }

  /** Releases dead slots at the front, and compacts when dead slots outnumber live ones, so memory stays bounded. */
  #sweep(): void {
    const slots = this.#slots;
    while (this.#head < slots.length && (slots[this.#head] as Slot).event === undefined) {
      slots[this.#head++] = undefined;
      this.#dead--;
    }
    if (this.#cursor < this.#head) this.#cursor = this.#head;
    if (this.#dead > COMPACT_THRESHOLD && this.#dead > this.#live) {
      this.#slots = slots.slice(this.#head).filter((slot) => (slot as Slot).event !== undefined);
      this.#head = this.#cursor = this.#dead = 0;
    } else if (this.#head > COMPACT_THRESHOLD && this.#head * 2 > slots.length) {
      this.#slots = slots.slice(this.#head);
      this.#cursor -= this.#head;
      this.#head = 0;
    }
    const progress = this.#progress;
    while (this.#progressHead < progress.length && (progress[this.#progressHead] as Slot).event === undefined) {
      progress[this.#progressHead++] = undefined;
    }
    if (this.#progressHead > COMPACT_THRESHOLD && this.#progressHead * 2 > progress.length) {
      this.#progress = progress.slice(this.#progressHead);
      this.#progressHead = 0;
    } else if (progress.length - this.#progressHead > 2 * this.#maxEvents + COMPACT_THRESHOLD) {
      this.#progress = progress.slice(this.#progressHead).filter((slot) => (slot as Slot).event !== undefined);
      this.#progressHead = 0;
    }
  }
}
