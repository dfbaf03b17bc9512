import test from 'ava';
import fc from 'fast-check';
import { decodeDelivery, findUnsafeKeys, MAX_JSON_DEPTH } from '../../src/worker/decode.js';
import { waitFor } from '../helpers/broker.js';
import { startSample } from '../helpers/worker.js';

const LIMIT = 4 * 1024 * 1024;
const UNSAFE = ['__proto__', 'constructor', 'prototype'] as const;

/** Writes each character of `key` literally or as a `\uXXXX` escape (either hex case), as `escapes[i]` says. */
function spell(key: string, escapes: readonly boolean[], upper: readonly boolean[]): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    if (!escapes[i]) {
      out += key[i];
      continue;
    }
    const hex = (key.codePointAt(i) ?? 0).toString(16).padStart(4, '0');
    out += `\\u${upper[i] ? hex.toUpperCase() : hex}`;
  }
  return `"${out}"`;
}

/** Random JSON with no unsafe key anywhere (fast-check's own strings can spell one). */
const safeJson = (maxDepth: number) => fc.jsonValue({ maxDepth }).filter((value) => findUnsafeKeys(value).length === 0);

/** Wraps `inner` (JSON text) in up to 40 levels of arrays and objects with random, safe sibling data. */
const wrapped = (inner: string) =>
  fc
    .array(fc.tuple(fc.boolean(), safeJson(1), fc.string({ maxLength: 6 })), { maxLength: 40 })
    .map((levels) =>
      levels.reduce(
        (text, [asArray, sibling, name]) =>
          asArray
            ? `[${JSON.stringify(sibling) ?? 'null'},${text}]`
            : `{${JSON.stringify(`k${name}`)}:${JSON.stringify(sibling) ?? 'null'},${JSON.stringify(`n${name}`)}:${text}}`,
        inner,
      ),
    );

/** An object holding an unsafe key spelled at random, nested at a random depth among random JSON. */
const unsafeBody = fc
  .tuple(
    fc.constantFrom(...UNSAFE),
    fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
    fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .chain(([key, escapes, upper, value]) =>
    wrapped(`{${spell(key, escapes, upper)}:${JSON.stringify(value) ?? 'null'}}`).map((text) => ({ key, text })),
  );

/** Random JSON whose keys are never unsafe, including near misses spelled with escapes. */
const safeBody = fc
  .tuple(
    fc.constantFrom('__proto_', 'constructors', 'Prototype', '_proto__', 'constructo', 'proto', 'prototype_'),
    fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    safeJson(3),
  )
  .chain(([key, escapes, upper, value]) => wrapped(`{${spell(key, escapes, upper)}:${JSON.stringify(value) ?? 'null'}}`));

test('an unsafe key is refused in every spelling, at every depth (property)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(unsafeBody, ({ key, text }) => {
        const decoded = decodeDelivery({ content: Buffer.from(text) }, LIMIT);
        return !decoded.ok && decoded.code === 'UNSAFE_KEYS' && decoded.message.includes(`"${key}"`);
      }),
      { numRuns: 2000 },
    ),
  );
});

test('bodies without unsafe keys pass unchanged, whatever their escapes (property)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(safeBody, (text) => {
        const decoded = decodeDelivery({ content: Buffer.from(text) }, LIMIT);
        return decoded.ok && JSON.stringify(decoded.payload) === JSON.stringify(JSON.parse(text));
      }),
      { numRuns: 2000 },
    ),
  );
});

test('the examples of the review are refused', (t) => {
  for (const text of ['{"\\u005f_proto__": {"polluted": true}}', '{"constructo\\u0072": {"protot\\u0079pe": {"x": 1}}}']) {
    t.like(decodeDelivery({ content: Buffer.from(text) }, LIMIT), { ok: false, code: 'UNSAFE_KEYS' }, text);
  }
});

test(`nesting up to ${MAX_JSON_DEPTH} levels passes; deeper is refused as TOO_DEEP, also 300,000 levels`, (t) => {
  const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  t.like(decodeDelivery({ content: nested(MAX_JSON_DEPTH) }, LIMIT), { ok: true });
  t.like(decodeDelivery({ content: nested(MAX_JSON_DEPTH + 1) }, LIMIT), { ok: false, code: 'TOO_DEEP' });
  const objects = Buffer.from(`${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}`);
  t.like(decodeDelivery({ content: objects }, LIMIT), {
    ok: false,
    code: 'TOO_DEEP',
    message: `body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
  });
  // Brackets inside strings are text, not nesting.
  t.like(decodeDelivery({ content: Buffer.from(JSON.stringify({ s: '['.repeat(5000), q: '\\"[[[' })) }, LIMIT), { ok: true });
});

test('on the broker: escaped unsafe keys and a body 300,000 levels deep are dead-lettered as invalid, never run, and the worker goes on', async (t) => {
  const { queue, worker, broker, client } = await startSample(t);
  await broker.publish(queue, '{"action":"echo","\\u005f_proto__":{"polluted":true}}', { messageId: 'escaped-proto' });
  await broker.publish(queue, '{"action":"echo","value":{"constructo\\u0072":{"protot\\u0079pe":{"x":1}}}}', { messageId: 'escaped-ctor' });
  await broker.publish(queue, `${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}`, { messageId: 'deep' });
  await waitFor('three dead letters', async () => (await broker.count(`${queue}.dead`)).messageCount === 3);
  const dead = await broker.drain(`${queue}.dead`);
  t.deepEqual(
    dead
      .map(
        (m) => `${m.properties.messageId} ${m.properties.headers?.['x-jworker-error-code']} ${m.properties.headers?.['x-jworker-reason']}`,
      )
      .sort(),
    ['deep TOO_DEEP invalid', 'escaped-ctor UNSAFE_KEYS invalid', 'escaped-proto UNSAFE_KEYS invalid'],
  );
  t.deepEqual(worker.attempts, [], 'executeTask never saw them');
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'after' }), { echoed: 'after', attempt: 1 });
});
