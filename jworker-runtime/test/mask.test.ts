import test from 'ava';
import { maskCredentials, redact } from '../src/log/mask.js';

test('passwords in URLs are masked', (t) => {
  t.is(maskCredentials('amqp://guest:s3cret@rabbit:5672/vh'), 'amqp://guest:***@rabbit:5672/vh');
  t.is(maskCredentials('connect to amqps://u:p%40ss@a,amqp://v:w@b failed'), 'connect to amqps://u:***@a,amqp://v:***@b failed');
  t.is(maskCredentials('amqp://rabbit:5672'), 'amqp://rabbit:5672');
});

test('known secrets are removed anywhere in a text', (t) => {
  t.is(redact('Bearer tok-12345 rejected', ['tok-12345']), 'Bearer *** rejected');
});
