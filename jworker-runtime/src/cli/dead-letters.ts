import type { GetMessage } from 'amqplib';
import { HEADERS } from '../wire/headers.js';

/** What `dead list` shows of one dead letter. */
export interface DeadLetterInfo {
  readonly taskId: string | null;
  readonly reason: string | null;
  readonly code: string | null;
  readonly error: string | null;
  readonly attempts: number | null;
  readonly failedAt: string | null;
  readonly workerType: string | null;
  /** The task body as text. */
  readonly body: string;
}

/** Reads the jworker failure headers of a dead letter. A message dead-lettered by the broker (delivery limit) has none. */
export function describeDeadLetter(message: Pick<GetMessage, 'content' | 'properties'>): DeadLetterInfo {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const text = (key: string): string | null => {
    const value = headers[key];
    if (value === undefined || value === null) return null;
    return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  };
  const attempts = headers[HEADERS.attempts];
  const brokerReason = firstDeathReason(headers);
  return {
    taskId: (message.properties.messageId as string | undefined) ?? null,
    reason: text(HEADERS.reason) ?? (brokerReason ? `broker:${brokerReason}` : null),
    code: text(HEADERS.errorCode),
    error: text(HEADERS.error),
    attempts: typeof attempts === 'number' ? attempts : typeof attempts === 'string' && /^\d+$/.test(attempts) ? Number(attempts) : null,
    failedAt: text(HEADERS.failedAt),
    workerType: text(HEADERS.workerType),
    body: message.content.toString('utf8'),
  };
}

function firstDeathReason(headers: Record<string, unknown>): string | undefined {
  const reason = headers['x-first-death-reason'];
  return reason === undefined ? undefined : String(reason);
}
