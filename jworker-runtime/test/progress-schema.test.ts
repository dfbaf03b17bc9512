import test from 'ava';
import {
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  parse,
  validate,
} from 'graphql';
import { DEFAULT_DOCUMENT } from '../src/config/progress-settings.js';
import type { TaskEvent, TaskStatus } from '../src/index.js';
import { PROGRESS_SDL } from './progress-server.js';

const schema = buildSchema(PROGRESS_SDL);

test('the shipped SDL is a valid schema and the mutation the reporter sends validates against it', (t) => {
  t.deepEqual(validate(schema, parse(DEFAULT_DOCUMENT)), []);
  t.is(schema.getMutationType()?.getFields().reportTaskEvents?.type.toString(), 'Boolean!');
  t.is(schema.getMutationType()?.getFields().reportTaskEvents?.args[0]?.type.toString(), '[TaskEventInput!]!');
});

test('TaskStatus and TaskEventInput match the TaskEvent type field for field', (t) => {
  const statuses: Record<TaskStatus, true> = {
    STARTED: true,
    PROGRESS: true,
    RETRYING: true,
    COMPLETED: true,
    FAILED: true,
    CANCELLED: true,
  };
  const status = schema.getType('TaskStatus') as GraphQLEnumType;
  t.deepEqual(
    status.getValues().map((v) => v.name),
    Object.keys(statuses),
  );
  const fields: Record<keyof TaskEvent, string> = {
    taskId: 'ID!',
    workerType: 'String!',
    queue: 'String!',
    status: 'TaskStatus!',
    attempt: 'Int!',
    maxAttempts: 'Int!',
    percent: 'Float',
    step: 'String',
    message: 'String',
    result: 'JSON',
    error: 'String',
    traceId: 'String',
    timestamp: 'String!',
  };
  const input = schema.getType('TaskEventInput') as GraphQLInputObjectType;
  t.deepEqual(Object.fromEntries(Object.values(input.getFields()).map((f) => [f.name, f.type.toString()])), fields);
});

test('CANCELLED is the one change to the contract before it, and breaks nothing', (t) => {
  const before = buildSchema(PROGRESS_SDL.replace(/^\s*"The task was cancelled[^\n]*\n\s*CANCELLED\n/m, '\n'));
  t.false((before.getType('TaskStatus') as GraphQLEnumType).getValues().some((v) => v.name === 'CANCELLED'));
  t.deepEqual(findBreakingChanges(before, schema), []);
  t.deepEqual(
    findDangerousChanges(before, schema).map((c) => c.description),
    ['CANCELLED was added to enum type TaskStatus.'],
  );
});
