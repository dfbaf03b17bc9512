import { mkdirSync, writeFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { loadConfig } from '../../src/index.js';
import { rawBroker, uniqueQueue } from '../helpers/broker.js';
import { spawnWorker, type WorkerProcess } from '../helpers/process.js';
import { ensureUser, hasRabbitmqctl } from '../helpers/rabbitmqctl.js';
import { createLedger, type Ledger, type Tally } from './ledger.js';

/** Secrets the suite uses; none may appear in any output it captures. */
export const SECRETS = {
  amqpPassword: 'rel-Pa55-w0rd-9f3c1',
  graphqlToken: 'rel-token-77c2e0d1',
};
const USER = 'jworker-reliability';

/** The URL the workers use: a user with a secret password where the broker can be administered, else guest. */
export function workerUrl(): string {
  if (!hasRabbitmqctl()) return 'amqp://guest:guest@127.0.0.1:5672';
  ensureUser(USER, SECRETS.amqpPassword);
  return `amqp://${USER}:${SECRETS.amqpPassword}@127.0.0.1:5672`;
}

/** Checks that no captured output holds a secret. */
export function assertNoSecrets(t: ExecutionContext, outputs: readonly string[]): void {
  for (const [i, text] of outputs.entries()) {
    for (const [name, secret] of Object.entries(SECRETS)) t.false(text.includes(secret), `output ${i} contains the ${name}`);
  }
}

/** Writes a scenario's measured figures for docs/reliability.md. */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  const dir = new URL('../../.tmp/reliability/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${scenario}.json`, dir), `${JSON.stringify({ scenario, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
  console.log(`[reliability] ${scenario}: ${JSON.stringify(figures)}`);
}

export interface Scenario {
  readonly queue: string;
  readonly ledger: Ledger;
  readonly workers: WorkerProcess[];
  /** Starts one more worker process on the scenario's queue. */
  spawn(extraEnv?: Record<string, string>): WorkerProcess;
  /** Asserts that no worker printed a secret so far. Call it at the end of the test. */
  assertNoSecrets(): void;
}

/** A queue, a ledger, and worker processes on them; all removed when the test ends (each worker's output checked for secrets). */
export async function scenario(t: ExecutionContext, env: Record<string, string> = {}): Promise<Scenario> {
  const queue = uniqueQueue('rel');
  const url = workerUrl();
  const workers: WorkerProcess[] = [];
  const spawn = (extraEnv: Record<string, string> = {}) => {
    const worker = spawnWorker({ AMQP_URL: url, WORKER_QUEUE: queue, LOG_LEVEL: 'debug', ...env, ...extraEnv }, 'reliable');
    workers.push(worker);
    return worker;
  };
  // The queue must exist before tasks are sent: a first worker declares it.
  const ledger = await createLedger(queue);
  t.teardown(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await ledger.close();
    const broker = await rawBroker();
    await broker.deleteAll(queue, loadConfig(env).retry);
    await broker.close();
  });
  return {
    queue,
    ledger,
    workers,
    spawn,
    assertNoSecrets: () =>
      assertNoSecrets(
        t,
        workers.map((w) => w.output()),
      ),
  };
}

/** Formats a tally for a test message. */
export function show(tally: Tally): string {
  return `sent ${tally.sent}, completed ${tally.completed}, dead ${tally.dead}, duplicates ${tally.duplicates}, lost ${tally.lost}`;
}
