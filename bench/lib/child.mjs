// Starts bench/consumer.mjs in a fresh child process and talks to it over IPC.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CONSUMER = fileURLToPath(new URL('../consumer.mjs', import.meta.url));
const PROFILES = fileURLToPath(new URL('../.profiles/', import.meta.url));

/**
 * Runs one consumer. `onMessage` sees every non-final message (e.g. `ready`); `promise` settles with the child's
 * `result`, or rejects with its output when it fails or outlives `timeoutMs`; `ready` resolves at its first `ready`.
 */
export function runConsumer(config, { onMessage = () => {}, profileName, expose = false, timeoutMs = 180_000 } = {}) {
  const execArgv = [];
  if (expose) execArgv.push('--expose-gc');
  if (profileName) {
    mkdirSync(PROFILES, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${profileName}.cpuprofile`);
  }
  const child = spawn(process.execPath, [...execArgv, CONSUMER], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The worker's stdout is drained like a log shipper would; only the tail is kept, for error messages.
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-6000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let markReady;
  const ready = new Promise((resolve) => {
    markReady = resolve;
  });
  const promise = new Promise((resolve, reject) => {
    let result;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${config.mode} ${config.variant ?? ''} did not finish within ${timeoutMs} ms; output:\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.on('message', (message) => {
      if (message.type === 'result') result = message.result;
      else if (message.type === 'error') output += `\n${message.message}`;
      else {
        if (message.type === 'ready') markReady();
        onMessage(message, child);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`${config.mode} ${config.variant ?? ''} exited with ${signal ?? code}; output:\n${output.slice(-3000)}`));
    });
  });
  // Resolves at the child's first `ready` message; rejects if it fails before.
  const readyOrFailed = Promise.race([ready, promise]);
  readyOrFailed.catch(() => {});
  return { child, promise, ready: readyOrFailed };
}
