import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AMQP_URL } from './broker.js';

const FIXTURES = {
  sample: fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url)),
  reliable: fileURLToPath(new URL('../fixtures/reliable-worker.ts', import.meta.url)),
  leaky: fileURLToPath(new URL('../fixtures/leaky-worker.ts', import.meta.url)),
};

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every JSON log record the process printed so far. */
  readonly records: Record<string, unknown>[];
  /** Resolves with the first record matching `match`, or rejects after `timeoutMs`. */
  waitForLog(match: (record: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** All stdout and stderr text. */
  output(): string;
  /** Resident memory of the process now, in bytes (from /proc). */
  rss(): number;
}

/** Starts a fixture worker (the sample one by default) in a child process (node --import tsx) with the given environment. */
export function spawnWorker(env: Record<string, string>, fixture: keyof typeof FIXTURES = 'sample'): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURES[fixture]], {
    env: { ...process.env, AMQP_URL, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: Record<string, unknown>[] = [];
  const waiters: Array<{ match: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }> = [];
  let text = '';
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      records.push(record);
      for (const waiter of [...waiters]) {
        if (waiter.match(record)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(record);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    records,
    exited,
    output: () => text,
    rss: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    },
    waitForLog(match, timeoutMs = 20_000) {
      const found = records.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${text.slice(-3000)}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (record) => {
            clearTimeout(timer);
            resolve(record);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the worker exited before a matching log line; output:\n${text.slice(-3000)}`));
        });
      });
    },
  };
}

/** Waits for the worker to be consuming. */
export function consuming(worker: WorkerProcess): Promise<Record<string, unknown>> {
  return worker.waitForLog((r) => typeof r.msg === 'string' && r.msg.startsWith('consuming from'));
}
