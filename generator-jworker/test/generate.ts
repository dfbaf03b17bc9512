import { join } from 'node:path';
import helpers from 'yeoman-test';
import { GENERATOR, type Repo, repo } from './helpers.js';

// The built generator, imported here: yeoman-environment would require() it, which tsx turns into a CJS load that fails.
export const { default: Generator } = (await import(GENERATOR)) as typeof import('../src/app/index.js');
export const SETTINGS = { resolved: GENERATOR, namespace: 'jworker:app' };

// yeoman-test changes the process's cwd: every test that generates runs serially.

export interface Run {
  /** Where yo ran. */
  readonly cwd: string;
  /** The generated repository. */
  readonly repo: Repo;
  readonly spawned: unknown[][];
}

/** The generator's own options are not in Yeoman's option type. */
export const options = (value: Record<string, unknown>) => value;

export const BASE = { project: 'acme', yes: true, skipGit: true, skipInstall: true };

/** Runs the generator in a fresh temporary folder with spawn mocked (no npm install, no git). */
export async function generate(args: string[], options: Record<string, unknown> = BASE, prepare?: (cwd: string) => void): Promise<Run> {
  const result = await helpers
    .run(Generator, SETTINGS)
    .withArguments(args)
    .withOptions(options)
    .withSpawnMock()
    .inTmpDir((dir) => prepare?.(dir));
  const name = args[0] ?? (options['name'] as string);
  return { cwd: result.cwd, repo: repo(join(result.cwd, name)), spawned: result.getSpawnArgsUsingDefaultImplementation() };
}

/** Runs the generator and expects it to fail with `message`; resolves with the error message. */
export function rejectsWith(args: string[], options: Record<string, unknown>, message: RegExp, prepare?: (cwd: string) => void) {
  return helpers
    .run(Generator, SETTINGS)
    .withArguments(args)
    .withOptions(options)
    .withSpawnMock()
    .inTmpDir((dir) => prepare?.(dir))
    .then(
      () => {
        throw new Error(`expected the generator to fail with ${message}`);
      },
      (error: unknown) => {
        if (!(error instanceof Error) || !message.test(error.message)) throw error;
        return error.message;
      },
    );
}
