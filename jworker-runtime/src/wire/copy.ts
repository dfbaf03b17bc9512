import type { MessageProperties, Options } from 'amqplib';
import { type DeadLetterReason, HEADERS } from './headers.js';

type Headers = Readonly<Record<string, unknown>>;

/**
 * Headers that make RabbitMQ route a message to more queues than its routing key names (sender-selected
 * distribution). A copy that kept them would reach every queue a producer listed, under the worker's identity, or loop
 * for ever when one of them is the work queue. Matched in any letter case.
 */
const ROUTING_HEADERS = new Set(['cc', 'bcc']);

/** Headers the broker sets on a delivery; a copy is a new message, so they never travel with it. */
function isBrokerHeader(key: string): boolean {
  return key === 'x-death' || key === 'x-delivery-count' || key.startsWith('x-first-death-') || key.startsWith('x-last-death-');
}

/** Sender-selected routing: never on a message the runtime or the CLI publishes. */
export function isRoutingHeader(key: string): boolean {
  return ROUTING_HEADERS.has(key.toLowerCase());
}

/** Headers only jworker writes (attempt, errors, walk markers): a producer's value for them is never carried over. */
export function isReservedHeader(key: string): boolean {
  return key.startsWith('x-jworker-') || isBrokerHeader(key);
}

/**
 * The rule for every copy the runtime or the CLI makes of a task (a retry copy, a dead letter, a replayed dead
 * letter): it carries the producer's own headers, minus routing headers and the reserved ones; each kind of copy then
 * adds its own `x-jworker-*` headers. An allow-rule, so a header nobody thought of cannot re-route a copy.
 */
export function producerHeaders(headers: Headers | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (headers === undefined) return out;
  for (const key of Object.keys(headers)) {
    if (!isRoutingHeader(key) && !isReservedHeader(key)) out[key] = headers[key];
  }
  return out;
}

/**
 * The headers of an identical copy (a message the CLI walks past and puts back at the tail of its queue): all of
 * them, `x-jworker-*` included, minus routing headers and the broker's delivery count.
 */
export function sameHeaders(headers: Headers | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (headers === undefined) return out;
  for (const key of Object.keys(headers)) {
    if (!isRoutingHeader(key) && key !== 'x-delivery-count') out[key] = headers[key];
  }
  return out;
}

/**
 * The AMQP properties every copy keeps: its identity (messageId, correlationId), reply routing (replyTo) and content
 * metadata, always persistent. Headers are the copy's own: build them with {@link producerHeaders} or
 * {@link sameHeaders}. Nothing else (no expiration, no user id) is carried over.
 */
export function copiedProperties(properties: Partial<MessageProperties>, headers: Record<string, unknown>) {
  return {
    persistent: true,
    messageId: properties.messageId as string | undefined,
    correlationId: properties.correlationId as string | undefined,
    replyTo: properties.replyTo as string | undefined,
    contentType: properties.contentType as string | undefined,
    contentEncoding: properties.contentEncoding as string | undefined,
    type: properties.type as string | undefined,
    appId: properties.appId as string | undefined,
    timestamp: properties.timestamp as number | undefined,
    priority: properties.priority as number | undefined,
    headers,
  };
}

/**
 * The copy of a task sent to a delay bucket to wait (docs/scheduling.md): the producer's headers and jworker's own
 * (attempt, last error, deferrals: the task is the same, only later), with `x-jworker-not-before` set and the relative
 * `x-jworker-delay-ms` dropped (it was turned into the absolute time on first arrival). The broker's `x-death` is
 * dropped too: it would grow by an entry on every hop.
 */
export function delayedCopy(properties: Partial<MessageProperties>, taskId: string, notBefore: number): Options.Publish {
  const headers = producerHeaders(properties.headers);
  for (const [key, value] of Object.entries(properties.headers ?? {})) {
    if (key.startsWith('x-jworker-') && key !== HEADERS.delayMs) headers[key] = value;
  }
  headers[HEADERS.notBefore] = notBefore;
  return { ...copiedProperties(properties, headers), messageId: taskId, mandatory: true };
}

/** What a retry copy says of the attempt before it. */
export interface RetryNote {
  readonly nextAttempt: number;
  /** The failed attempt's error (secrets removed, truncated). */
  readonly lastError: string;
  /** A per-message TTL shorter than the retry queue's (jitter). */
  readonly expirationMs?: number;
  /** Retries so far that waited for a `retryAfterMs`; written when above 0. */
  readonly deferrals?: number;
  /** A retry that waits for a `retryAfterMs`: not before this time (epoch ms), through the delay buckets. */
  readonly notBefore?: number;
}

/**
 * The copy of a task published to a retry queue: the producer's headers, the next attempt and the last error.
 * Mandatory, like every copy: one that reaches no queue (a deleted retry queue) must not count as made.
 */
export function retryCopy(properties: Partial<MessageProperties>, taskId: string, note: RetryNote): Options.Publish {
  const headers: Record<string, unknown> = {
    ...producerHeaders(properties.headers),
    [HEADERS.attempt]: note.nextAttempt,
    [HEADERS.lastError]: note.lastError,
  };
  if (note.deferrals) headers[HEADERS.deferrals] = note.deferrals;
  if (note.notBefore !== undefined) headers[HEADERS.notBefore] = note.notBefore;
  const copy: Options.Publish = { ...copiedProperties(properties, headers), messageId: taskId, mandatory: true };
  if (note.expirationMs !== undefined) copy.expiration = String(note.expirationMs);
  return copy;
}

/** Why a task was dead-lettered, as its dead letter's headers say. */
export interface DeadLetterNote {
  /** The error (secrets removed, truncated). */
  readonly error: string;
  readonly code: string;
  readonly reason: DeadLetterReason;
  /** Attempts made. */
  readonly attempts: number;
  readonly workerType: string;
}

/** The copy of a task published to `<queue>.dead`: the producer's headers and the failure headers. */
export function deadLetterCopy(properties: Partial<MessageProperties>, taskId: string, note: DeadLetterNote): Options.Publish {
  const headers = {
    ...producerHeaders(properties.headers),
    [HEADERS.error]: note.error,
    [HEADERS.errorCode]: note.code,
    [HEADERS.reason]: note.reason,
    [HEADERS.attempts]: note.attempts,
    [HEADERS.workerType]: note.workerType,
    [HEADERS.failedAt]: new Date().toISOString(),
  };
  return { ...copiedProperties(properties, headers), messageId: taskId, mandatory: true };
}

/** A dead letter sent back to its work queue by a replay: the producer's headers, none of the failure ones. */
export function replayCopy(properties: Partial<MessageProperties>): Options.Publish {
  return { ...copiedProperties(properties, producerHeaders(properties.headers)), mandatory: true };
}

/** A message a walk puts back at the tail of its queue, identical but for routing headers and the delivery count. */
export function walkedCopy(properties: Partial<MessageProperties>): Options.Publish {
  return { ...copiedProperties(properties, sameHeaders(properties.headers)), mandatory: true };
}
