import test from 'ava';
import { maskCredentials, redact, secretsOf } from '../src/log/mask.js';

test('passwords in URLs are masked', (t) => {
  t.is(maskCredentials('amqp://guest:s3cret@rabbit:5672/vh'), 'amqp://guest:***@rabbit:5672/vh');
  t.is(maskCredentials('connect to amqps://u:p%40ss@a,amqp://v:w@b failed'), 'connect to amqps://u:***@a,amqp://v:***@b failed');
  t.is(maskCredentials('amqp://rabbit:5672'), 'amqp://rabbit:5672');
  t.is(maskCredentials('http://user@host/path?x=a@b'), 'http://user@host/path?x=a@b', 'no password, and @ past the authority');
});

test('a password holding @ and : is masked whole', (t) => {
  t.is(maskCredentials('amqp://user:p@ss:w@rd@host:5672/vh'), 'amqp://user:***@host:5672/vh');
  t.is(maskCredentials('"url":"postgres://app:a:b@c@db:5432/x","n":1'), '"url":"postgres://app:***@db:5432/x","n":1');
  t.is(maskCredentials('two: amqp://a:x@y@h1, amqp://b:z@h2'), 'two: amqp://a:***@h1, amqp://b:***@h2');
});

test('known secrets are removed anywhere in a text', (t) => {
  t.is(redact('Bearer tok-12345 rejected', ['tok-12345']), 'Bearer *** rejected');
});

test('secretsOf collects every node’s password, the token and the passphrase, in every spelling', (t) => {
  const secrets = secretsOf({
    amqpUrl: 'amqp://u:first-pw@h1:5672, amqps://v:p%40ss%22w0rd@h2',
    progress: { url: 'https://x:gql-pw@api', token: 'tok-12345' },
    tls: { passphrase: 'key-pass' },
  });
  for (const secret of ['first-pw', 'p@ss"w0rd', 'p%40ss%22w0rd', 'p@ss\\"w0rd', 'gql-pw', 'tok-12345', 'key-pass']) {
    t.true(secrets.includes(secret), secret);
  }
  t.is(redact('{"msg":"auth failed for p@ss\\"w0rd"}', secrets), '{"msg":"auth failed for ***"}');
  t.deepEqual(secretsOf({ amqpUrl: 'amqp://localhost' }), []);
});
