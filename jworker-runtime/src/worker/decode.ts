import { randomUUID } from 'node:crypto';
import { parseNotBefore } from '../wire/delay.js';
import { HEADERS, parseAttemptHeader } from '../wire/headers.js';

/** What a delivery must carry to be decoded: the AMQP body and the few properties jworker reads. */
export interface RawDelivery {
  readonly content: Buffer;
  readonly messageId?: string | undefined;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

/** Why a message can never be processed. Each becomes a dead letter with this code and message. */
export type InvalidCode = 'TOO_LARGE' | 'BAD_HEADER' | 'INVALID_JSON' | 'TOO_DEEP' | 'UNSAFE_KEYS';

export type Decoded =
  | { readonly ok: true; readonly taskId: string; readonly attempt: number; readonly payload: unknown }
  | { readonly ok: false; readonly taskId: string; readonly attempt: number; readonly code: InvalidCode; readonly message: string };

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The deepest nesting of arrays and objects a body may have. JSON.parse itself copes with any depth, but recursive code
 * downstream does not (JSON.stringify of a result or progress event, a reviver, a deep merge in a task): 300,000 levels
 * overflow V8's stack. serde_json stops at 128, Go's encoding/json at 10,000.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * How deep `text` (valid JSON) nests, stopping as soon as it passes `limit`. Linear and allocation-free; skipped for
 * bodies too short to nest that deep (each level takes at least two characters).
 */
export function nestingExceeds(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Whether the text can spell an unsafe key at all: literally, or through a `\u` escape (`"\u005f_proto__"`). Any
 * other JSON escape stands for a quote, a backslash, a slash or a control character, none of which these keys hold.
 */
function mayHoldUnsafeKeys(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

/** The unsafe keys of a parsed value, at any depth, as JSON.parse made them (own properties, escapes decoded). */
export function findUnsafeKeys(value: unknown): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null) continue;
    if (Array.isArray(item)) {
      for (const element of item) if (typeof element === 'object' && element !== null) stack.push(element);
      continue;
    }
    for (const key of Object.keys(item)) {
      if (UNSAFE_KEYS.has(key)) found.add(key);
      const inner = (item as Record<string, unknown>)[key];
      if (typeof inner === 'object' && inner !== null) stack.push(inner);
    }
  }
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
  const due = parseNotBefore(delivery.headers, 0);
  if ('problem' in due) return { ok: false, taskId, attempt, code: 'BAD_HEADER', message: due.problem };
  const text = delivery.content.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return { ok: false, taskId, attempt, code: 'INVALID_JSON', message: `body is not valid JSON: ${(error as Error).message}` };
  }
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    return { ok: false, taskId, attempt, code: 'TOO_DEEP', message: `body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` };
  }
  // A cheap substring test first; the exact key scan runs only when it hits.
  if (mayHoldUnsafeKeys(text)) {
    const keys = findUnsafeKeys(payload);
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
