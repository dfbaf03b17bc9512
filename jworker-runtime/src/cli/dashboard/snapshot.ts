import { createHash } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import { describeDeadLetter } from '../dead-letters.js';

/** What the dashboard lists of one dead letter: {@link describeDeadLetter}, cut to a row's size. */
export interface LetterSummary {
  /** Unique in its snapshot: the letter's content key and its occurrence (identical letters share a key). */
  readonly id: string;
  readonly taskId: string | null;
  readonly reason: string | null;
  readonly code: string | null;
  /** The error, at most {@link ERROR_CHARS} characters (the whole one is in the letter's detail). */
  readonly error: string | null;
  readonly attempts: number | null;
  readonly workerType: string | null;
  readonly failedAt: string | null;
  /** The body's first {@link PREVIEW_CHARS} characters. */
  readonly preview: string;
  /** The body's size in bytes. */
  readonly bytes: number;
}

/** The whole message, as the detail view shows it. */
export interface LetterDetail {
  readonly properties: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The body as text, at most {@link DETAIL_BODY_BYTES} bytes. */
  readonly body: string;
  readonly bodyTruncated: boolean;
}

export const ERROR_CHARS = 500;
export const PREVIEW_CHARS = 160;
/** A detail keeps at most this much of a body. */
export const DETAIL_BODY_BYTES = 256 * 1024;
/** All the details of one snapshot together stay under this; the oldest letters' details go first. */
export const DETAIL_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * What one walk of a dead-letter queue saw: the newest `maxLetters` letters (oldest first in memory, listed newest
 * first), the whole message of as many of them as fit in {@link DETAIL_BUDGET_BYTES}, and the count of all.
 */
export interface DeadSnapshot {
  /** When the walk started: the letters are those the queue held then. */
  readonly takenAt: string;
  /** Letters the walk visited, including those not kept. */
  readonly total: number;
  /** The newest letters, oldest first. */
  readonly letters: readonly LetterSummary[];
  readonly details: ReadonlyMap<string, LetterDetail>;
}

/** The content key of a letter: identical letters (same task id, failure time, error and body) share it. */
export function letterKey(message: Pick<GetMessage, 'content' | 'properties'>): string {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const hash = createHash('sha256');
  for (const part of [message.properties.messageId, headers['x-jworker-failed-at'], headers['x-jworker-error']]) {
    hash.update(String(part ?? '')).update('\u0000');
  }
  return hash.update(message.content).digest('hex').slice(0, 20);
}

/** The key part of a summary's id. */
export function keyOf(id: string): string {
  return id.split('.')[0] ?? id;
}

/** True when a letter matches a search: the task id, code or error contains it, ignoring case. */
export function matchesSearch(letter: Pick<LetterSummary, 'taskId' | 'code' | 'error'>, search: string): boolean {
  const wanted = search.trim().toLowerCase();
  if (wanted === '') return true;
  return [letter.taskId, letter.code, letter.error].some((field) => field?.toLowerCase().includes(wanted) ?? false);
}

/** Builds a snapshot as a walk visits the queue: `add` each kept letter in queue order, then `finish`. */
export class SnapshotBuilder {
  readonly #maxLetters: number;
  readonly #takenAt = new Date().toISOString();
  readonly #letters: LetterSummary[] = [];
  readonly #details = new Map<string, LetterDetail>();
  readonly #occurrences = new Map<string, number>();
  /** The size of each detail kept, oldest first (a Map keeps insertion order), and their total. */
  readonly #detailSizes = new Map<string, number>();
  #detailBytes = 0;
  #total = 0;
  #head = 0;

  constructor(maxLetters: number) {
    this.#maxLetters = maxLetters;
  }

  /** Adds the next letter of the walk; `key` is its {@link letterKey}. */
  add(message: Pick<GetMessage, 'content' | 'properties'>, key = letterKey(message)): LetterSummary {
    const occurrence = (this.#occurrences.get(key) ?? 0) + 1;
    this.#occurrences.set(key, occurrence);
    const info = describeDeadLetter(message);
    const summary: LetterSummary = {
      id: `${key}.${occurrence}`,
      taskId: info.taskId,
      reason: info.reason,
      code: info.code,
      error: info.error === null ? null : info.error.slice(0, ERROR_CHARS),
      attempts: info.attempts,
      workerType: info.workerType,
      failedAt: info.failedAt,
      preview: info.body.slice(0, PREVIEW_CHARS),
      bytes: message.content.length,
    };
    this.#total++;
    this.#letters.push(summary);
    this.#keepDetail(summary.id, message);
    // A ring in effect: the oldest beyond the limit are dropped (the array compacted now and then, not on every add).
    if (this.#letters.length - this.#head > this.#maxLetters) {
      const oldest = this.#letters[this.#head++];
      if (oldest) this.#forgetDetail(oldest.id);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#letters.length) {
      this.#letters.splice(0, this.#head);
      this.#head = 0;
    }
    return summary;
  }

  finish(): DeadSnapshot {
    return { takenAt: this.#takenAt, total: this.#total, letters: this.#letters.slice(this.#head), details: this.#details };
  }

  #keepDetail(id: string, message: Pick<GetMessage, 'content' | 'properties'>): void {
    const { headers, ...properties } = message.properties;
    const body = message.content.subarray(0, DETAIL_BODY_BYTES);
    const detail: LetterDetail = {
      properties: jsonSafe(properties) as Record<string, unknown>,
      headers: jsonSafe(headers ?? {}) as Record<string, unknown>,
      body: body.toString('utf8'),
      bodyTruncated: message.content.length > DETAIL_BODY_BYTES,
    };
    const bytes = body.length + JSON.stringify(detail.headers).length + 512;
    this.#details.set(id, detail);
    this.#detailSizes.set(id, bytes);
    this.#detailBytes += bytes;
    for (const oldest of this.#detailSizes.keys()) {
      if (this.#detailBytes <= DETAIL_BUDGET_BYTES || oldest === id) break;
      this.#forgetDetail(oldest);
    }
  }

  #forgetDetail(id: string): void {
    this.#detailBytes -= this.#detailSizes.get(id) ?? 0;
    this.#detailSizes.delete(id);
    this.#details.delete(id);
  }
}

/** AMQP values as JSON can carry them: Buffers as text, BigInts and Dates as strings, undefined left out. */
function jsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
