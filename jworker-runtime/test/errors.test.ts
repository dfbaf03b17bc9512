import { createRequire } from 'node:module';
import test from 'ava';
import { isWorkerError, TaskValidationError, WorkerError } from '../src/index.js';

test('WorkerError carries permanent, code and cause', (t) => {
  const cause = new Error('socket hang up');
  const error = new WorkerError('could not send', { permanent: true, code: 'SMTP', cause });
  t.true(error.permanent);
  t.is(error.code, 'SMTP');
  t.is(error.cause, cause);
  t.is(error.name, 'WorkerError');
  t.false(new WorkerError('x').permanent, 'transient by default');
});

test('isWorkerError recognises an error from another copy of the package', (t) => {
  // The CommonJS build is a second copy with its own WorkerError class.
  const require = createRequire(import.meta.url);
  const other = require('../dist/index.cjs') as typeof import('../src/index.js');
  const foreign = new other.WorkerError('from the other copy', { permanent: true });
  t.false(foreign instanceof WorkerError, 'really a different class');
  t.true(isWorkerError(foreign));
  t.true(other.isWorkerError(new WorkerError('x')));
  t.false(isWorkerError(new Error('plain')));
  t.false(isWorkerError({ name: 'WorkerError' }));
});

test('validation errors are permanent and list every issue', (t) => {
  const error = new TaskValidationError(['to: required', 'subject: expected a string']);
  t.true(error.permanent);
  t.is(error.message, 'task failed validation: to: required; subject: expected a string');
  t.true(isWorkerError(error));
});
