import { randomUUID } from 'node:crypto';
import { HEADERS, parseAttemptHeader } from '../transport/headers.js';

/** What a delivery must carry to be decoded: the AMQP body and the few properties jworker reads. */
export interface RawDelivery {
  readonly content: Buffer;
  readonly messageId?: string | undefined;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

/** Why a message can never be processed. Each becomes a dead letter with this code and message. */
export type InvalidCode = 'TOO_LARGE' | 'BAD_HEADER' | 'INVALID_JSON' | 'UNSAFE_KEYS';

export type Decoded =
  | { readonly ok: true; readonly taskId: string; readonly attempt: number; readonly payload: unknown }
  | { readonly ok: false; readonly taskId: string; readonly attempt: number; readonly code: InvalidCode; readonly message: string };

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function findUnsafeKeys(text: string): string[] {
  const found = new Set<string>();
  JSON.parse(text, (key, value) => {
    if (UNSAFE_KEYS.has(key)) found.add(key);
    return value;
  });
  return [...found].sort();
}

/**
 * Turns a delivery into a task payload, or says why it cannot be one. Pure: no broker, no worker.
 * A plain JSON body with no jworker headers is a valid first attempt.
 */
export function decodeDelivery(delivery: RawDelivery, maxMessageBytes: number): Decoded {
  const taskId = delivery.messageId || randomUUID();
  const parsedAttempt = parseAttemptHeader(delivery.headers?.[HEADERS.attempt]);
  const attempt = 'attempt' in parsedAttempt ? parsedAttempt.attempt : 1;
  const size = delivery.content.length;
  if (size > maxMessageBytes) {
    return {
      ok: false,
      taskId,
      attempt,
      code: 'TOO_LARGE',
      message: `body of ${size} bytes exceeds the limit of ${maxMessageBytes} bytes (maxMessageBytes)`,
    };
  }
  if ('problem' in parsedAttempt) return { ok: false, taskId, attempt, code: 'BAD_HEADER', message: parsedAttempt.problem };
  const text = delivery.content.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return { ok: false, taskId, attempt, code: 'INVALID_JSON', message: `body is not valid JSON: ${(error as Error).message}` };
  }
  // A cheap substring test first; the exact (slower) key scan runs only when it hits.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('prototype')) {
    const keys = findUnsafeKeys(text);
    if (keys.length > 0) {
      const list = keys.map((key) => `"${key}"`).join(', ');
      return {
        ok: false,
        taskId,
        attempt,
        code: 'UNSAFE_KEYS',
        message: `body has the key${keys.length > 1 ? 's' : ''} ${list}, refused to prevent prototype pollution`,
      };
    }
  }
  return { ok: true, taskId, attempt, payload };
}
