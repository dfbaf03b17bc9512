import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { RABBITMQ_IMAGE } from '../generator-jworker/src/app/versions.js';
import { ROOT } from './helpers/checkout.js';

// One RabbitMQ version everywhere: what the README and docs tell people to run, what generated workers run in
// Compose and CI, and what this repository's CI tests against.

test('every RabbitMQ image named in the repository is the one generated workers use', (t) => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => /\.(md|ya?ml|ejs|mjs|ts|json)$/.test(file) && !file.endsWith('package-lock.json'));
  const found = files.flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\brabbitmq:(?!\d{4,5}\b)\d[\w.-]*/g)].map((match) => ({ file, image: match[0] })),
  );
  t.true(
    found.some(({ file }) => file === '.github/workflows/ci.yml'),
    "this repository's CI names its RabbitMQ image",
  );
  t.true(found.some(({ file }) => file === 'README.md'));
  t.deepEqual(
    found.filter(({ image }) => image !== RABBITMQ_IMAGE),
    [],
  );
});
