import { join } from 'node:path';
import test from 'ava';
import { assertInside, deriveNames, nameProblem, normalizeRuntimeVersion } from '../src/app/naming.js';

test('kebab-case names pass', (t) => {
  for (const name of ['orders', 'email-sender', 'pdf2-render', 'a1-b2-c3']) t.is(nameProblem('worker name', name), undefined, name);
});

test('a name that is not kebab-case is named in the error, with the rule', (t) => {
  for (const name of ['Orders', 'email_sender', '-orders', 'orders-', 'or--ders', '2fa', 'émail', '.hidden']) {
    t.regex(
      nameProblem('worker name', name) ?? '',
      new RegExp(`"${name.replace('.', '\\.')}" is not kebab-case: use lowercase letters`),
      name,
    );
  }
});

test('a path is refused as a name: nothing is written outside the target folder', (t) => {
  for (const name of ['../x', '..', '/abs', 'a/b', 'a\\b'])
    t.regex(nameProblem('project', name) ?? '', /is a path: nothing is written outside/);
});

test('a missing name or project says how to give it', (t) => {
  t.regex(nameProblem('worker name', '') ?? '', /yo jworker email-sender --project acme/);
  t.regex(nameProblem('project', undefined) ?? '', /pass --project <project>/);
});

test('names derive the class, types, package, queue, image and compose project', (t) => {
  t.deepEqual(deriveNames('email-sender', 'acme'), {
    name: 'email-sender',
    project: 'acme',
    className: 'EmailSenderWorker',
    typeName: 'EmailSender',
    packageName: '@acme/email-sender',
    queue: 'acme.email-sender',
    image: 'acme/email-sender',
    composeProject: 'acme-email-sender',
  });
  t.like(deriveNames('pdf-worker', 'acme'), { className: 'PdfWorker', typeName: 'Pdf' });
});

test('runtime versions: ranges and dist-tags pass, file: paths become absolute, the rest is refused', (t) => {
  for (const range of ['^0.1.0', '~1.2.3', '0.1.x', '>=0.1.0 <0.3.0', '1.0.0 || 2.0.0', 'latest', '*', '^1.0.0-beta.1'])
    t.deepEqual(normalizeRuntimeVersion(range, '/'), { value: range }, range);
  const here = import.meta.dirname;
  t.deepEqual(normalizeRuntimeVersion('file:naming.test.ts', here), { value: `file:${join(here, 'naming.test.ts')}` });
  t.like(normalizeRuntimeVersion('file:nope.tgz', here), {
    problem: `--runtime-version "file:nope.tgz": nothing at ${join(here, 'nope.tgz')}; pack the runtime first (npm pack in jworker-runtime)`,
  });
  t.like(normalizeRuntimeVersion('^0.1 ; rm -rf /', '/'), {
    problem:
      '--runtime-version "^0.1 ; rm -rf /" is not a version range: expected e.g. ^0.1.0, a dist-tag such as latest, or file:<path to a packed jworker-runtime tarball>',
  });
});

test('assertInside refuses paths that leave the root', (t) => {
  t.is(assertInside('/repo', 'src/main.ts'), '/repo/src/main.ts');
  t.throws(() => assertInside('/repo', '../x'), { message: /refusing to write \/x: it is outside the worker folder \/repo/ });
  t.throws(() => assertInside('/repo', '/etc/passwd'), { message: /outside the worker folder/ });
  t.throws(() => assertInside('/repo', '.'), { message: /outside the worker folder/ });
});
