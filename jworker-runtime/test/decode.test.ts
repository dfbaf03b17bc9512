import test from 'ava';
import { decodeDelivery } from '../src/worker/decode.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

test('a plain JSON body with no headers is a valid first attempt with a generated task id', (t) => {
  const decoded = decodeDelivery({ content: body({ to: 'a@b.c' }) }, 1024);
  t.true(decoded.ok);
  t.is(decoded.attempt, 1);
  t.regex(decoded.taskId, /^[0-9a-f-]{36}$/);
  if (decoded.ok) t.deepEqual(decoded.payload, { to: 'a@b.c' });
});

test('messageId is the task id and x-jworker-attempt the attempt', (t) => {
  const decoded = decodeDelivery({ content: body({}), messageId: 'task-1', headers: { 'x-jworker-attempt': 3 } }, 1024);
  t.like(decoded, { ok: true, taskId: 'task-1', attempt: 3 });
});

test('a body that is not JSON is refused with the parser message', (t) => {
  const decoded = decodeDelivery({ content: Buffer.from('not json{') }, 1024);
  t.like(decoded, { ok: false, code: 'INVALID_JSON' });
  if (!decoded.ok) t.regex(decoded.message, /^body is not valid JSON: /);
});

test('a body over the size limit is refused unread', (t) => {
  const decoded = decodeDelivery({ content: Buffer.alloc(2048, 0x20) }, 1024);
  t.like(decoded, { ok: false, code: 'TOO_LARGE', message: 'body of 2048 bytes exceeds the limit of 1024 bytes (maxMessageBytes)' });
});

test('an attempt header of the wrong type is refused, naming the header', (t) => {
  for (const value of ['abc', -1, 0, 1.5, { a: 1 }]) {
    const decoded = decodeDelivery({ content: body({}), headers: { 'x-jworker-attempt': value } }, 1024);
    t.like(decoded, { ok: false, code: 'BAD_HEADER' }, String(value));
    if (!decoded.ok) t.regex(decoded.message, /header x-jworker-attempt must be a positive integer/);
  }
  t.like(decodeDelivery({ content: body({}), headers: { 'x-jworker-attempt': '2' } }, 1024), { ok: true, attempt: 2 });
});

test('__proto__, constructor and prototype keys are refused at any depth; the words as values are fine', (t) => {
  const bad = ['{"__proto__":{"polluted":true}}', '{"a":{"constructor":{"prototype":{"x":1}}}}', '[{"prototype":1}]'];
  for (const text of bad) {
    const decoded = decodeDelivery({ content: Buffer.from(text) }, 1024);
    t.like(decoded, { ok: false, code: 'UNSAFE_KEYS' }, text);
  }
  t.like(decodeDelivery({ content: body({ note: 'the constructor of __proto__ and prototype' }) }, 1024), { ok: true });
  t.is(({} as Record<string, unknown>).polluted, undefined);
});
