import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Running commands as a new user of jworker would: an ordinary (non-root) account with its own HOME, none of this
// workspace's npm settings, and git set up. When the tests run as root (as .ci/run does), those commands run as
// `nobody`; as any other user, they run as that user.

/** The account commands run as when this process is root; undefined when it is not root. */
export const PLAIN_USER: { readonly uid: number; readonly gid: number } | undefined =
  process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/** An npm cache kept between runs (only the first run downloads), owned by the plain user. */
export const NPM_CACHE = join(tmpdir(), 'jworker-new-user-npm-cache');

/** Creates a folder (and its parents) that the plain user owns. */
export function userDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (PLAIN_USER) execFileSync('chown', ['-R', `${PLAIN_USER.uid}:${PLAIN_USER.gid}`, dir]);
  return dir;
}

/**
 * The environment of a new user whose home is `home`: this process's environment without its npm settings
 * (`npm test -w …` sets npm_config_workspace, which would turn an install into a workspace install) and without a
 * worker's queue or port, with the npm cache above, no update notices, no audit, and a git identity.
 */
export function userEnv(home: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(inherited)) if (key.startsWith('npm_') || key.startsWith('NPM_')) delete inherited[key];
  for (const key of ['METRICS_PORT', 'WORKER_QUEUE', 'INIT_CWD', 'AMQP_URL']) delete inherited[key];
  return {
    ...inherited,
    HOME: home,
    NO_UPDATE_NOTIFIER: '1',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_cache: NPM_CACHE,
    GIT_AUTHOR_NAME: 'New User',
    GIT_AUTHOR_EMAIL: 'new-user@example.com',
    GIT_COMMITTER_NAME: 'New User',
    GIT_COMMITTER_EMAIL: 'new-user@example.com',
    ...extra,
  };
}

/** Prepares the shared npm cache for the plain user; call once before the first command. */
export function prepareNpmCache(): void {
  userDir(NPM_CACHE);
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** @default 300_000 */
  readonly timeoutMs?: number;
}

/** Runs a command as the plain user to completion; resolves with its output, rejects with the end of it. */
export function runAsUser(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, ...PLAIN_USER },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}\n${stderr}`.slice(-4000);
          reject(new Error(`${command} ${args.join(' ')} failed in ${options.cwd}: ${error.message.split('\n')[0]}\n${output}`));
        } else resolve(`${stdout}${stderr}`);
      },
    );
  });
}

/** Starts a long-running command (a worker) as the plain user, in a process group of its own, output piped. */
export function startAsUser(command: string, args: readonly string[], options: RunOptions): ChildProcess {
  return spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...PLAIN_USER });
}

/** Resolves with the output so far once `pattern` appears in it; rejects when the process exits first or after `timeoutMs`. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`the process exited (${code}) before ${pattern}; output:\n${output.slice(-3000)}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(output);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** The exit code of a process that was asked to stop; rejects after `timeoutMs`. */
export function exitCode(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Kills a process group started by {@link startAsUser} if it still runs. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
