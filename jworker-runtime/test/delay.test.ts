import test from 'ava';
import { DELAY_BUCKETS_MS, nextDelayHop, notBeforeOf, parseNotBefore } from '../src/wire/delay.js';
import { HEADERS } from '../src/wire/headers.js';
import { queueNameProblem } from '../src/wire/names.js';

test('there are 25 delay buckets, powers of two from 128 ms to 2^31 ms', (t) => {
  t.is(DELAY_BUCKETS_MS.length, 25);
  t.is(DELAY_BUCKETS_MS[0], 128);
  t.is(DELAY_BUCKETS_MS.at(-1), 2 ** 31);
});

test('a delay goes to the largest bucket no longer than it, so a message never comes back early', (t) => {
  t.deepEqual(nextDelayHop(1000), { bucketMs: 512 });
  t.deepEqual(nextDelayHop(1024), { bucketMs: 1024 });
  t.deepEqual(nextDelayHop(30 * 24 * 3600 * 1000), { bucketMs: 2 ** 31 });
  t.deepEqual(nextDelayHop(50), { bucketMs: 128, expirationMs: 50 });
  for (let i = 0; i < 1000; i++) {
    const remaining = 1 + Math.random() * 40 * 24 * 3600 * 1000;
    const hop = nextDelayHop(remaining);
    t.true((hop.expirationMs ?? hop.bucketMs) <= Math.ceil(remaining));
    t.true(DELAY_BUCKETS_MS.includes(hop.bucketMs));
  }
});

test('a 30-day delay takes at most 25 hops, each at least halving what remains', (t) => {
  let remaining = 30 * 24 * 3600 * 1000 - 1;
  let hops = 0;
  while (remaining > 0) {
    const hop = nextDelayHop(remaining);
    remaining -= hop.expirationMs ?? hop.bucketMs;
    hops++;
  }
  t.true(hops <= 25, `${hops} hops`);
});

test('the not-before header is read as epoch ms; delay-ms counts from now; anything else is a problem', (t) => {
  t.deepEqual(parseNotBefore({ [HEADERS.notBefore]: 1_700_000_000_000 }, 5), { notBefore: 1_700_000_000_000 });
  t.deepEqual(parseNotBefore({ [HEADERS.notBefore]: '1700000000000' }, 5), { notBefore: 1_700_000_000_000 });
  t.deepEqual(parseNotBefore({ [HEADERS.delayMs]: 90_000 }, 1000), { notBefore: 91_000 });
  t.deepEqual(parseNotBefore({}, 5), { notBefore: undefined });
  t.true('problem' in parseNotBefore({ [HEADERS.notBefore]: 'tomorrow' }, 5));
  t.true('problem' in parseNotBefore({ [HEADERS.delayMs]: -5 }, 5));
});

test('a schedule is delayMs or notBefore, checked', (t) => {
  t.is(notBeforeOf({ delayMs: 90_000 }, 1000), 91_000);
  t.is(notBeforeOf({ delayMs: 0 }, 1000), undefined);
  t.is(notBeforeOf({ notBefore: new Date(5000) }, 1000), 5000);
  t.is(notBeforeOf({ notBefore: new Date(500) }, 1000), undefined, 'a time already past runs now');
  t.throws(() => notBeforeOf({ delayMs: -1 }, 0), { message: /delayMs must be a finite number/ });
  t.throws(() => notBeforeOf({ delayMs: Number.NaN }, 0), { message: /delayMs/ });
  t.throws(() => notBeforeOf({ notBefore: new Date('nope') }, 0), { message: /notBefore must be a valid Date/ });
  t.throws(() => notBeforeOf({ delayMs: 1, notBefore: new Date() }, 0), { message: /not both/ });
});

test('delay buckets and the cancel stream are derived names, not work queues', (t) => {
  t.truthy(queueNameProblem('emails.delay.1024'));
  t.truthy(queueNameProblem('emails.cancel'));
  t.is(queueNameProblem('emails.delayed'), undefined);
});
