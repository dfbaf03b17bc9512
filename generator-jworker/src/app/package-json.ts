import { deployDevDependencies } from './deploy.js';
import type { WorkerNames } from './naming.js';
import type { Answers } from './options.js';
import { DEPENDENCIES, DEV_DEPENDENCIES, NODE } from './versions.js';

/** The fields the generator owns in a worker's package.json: rewritten on every run, merged into what is there. */
export function managedPackageFields(answers: Answers): Record<string, unknown> {
  return {
    type: 'module',
    engines: { node: NODE.engines },
    scripts: {
      build: 'tsup',
      // Log lines for people in dev (jworker logs comes with jworker-runtime); npm start keeps the JSON lines.
      dev: 'tsx watch src/main.ts | jworker logs',
      start: 'node dist/main.js',
      test: 'ava',
      typecheck: 'tsc --noEmit',
      lint: 'biome check src test tsup.config.ts',
      format: 'biome check --write src test tsup.config.ts',
    },
    dependencies: { 'jworker-runtime': answers.runtimeVersion, ...DEPENDENCIES },
    devDependencies: { ...DEV_DEPENDENCIES, ...deployDevDependencies(answers.deploy) },
    ava: {
      extensions: { ts: 'module' },
      nodeArguments: ['--import=tsx'],
      files: ['test/**/*.test.ts'],
      // tsx's loader reaches test files only in child processes.
      workerThreads: false,
      // ava's default (10 s without a finished test) is short for a busy CI machine compiling TypeScript on the fly.
      timeout: '1m',
    },
  };
}

/** The whole package.json of a new worker repository. */
export function newPackageJson(answers: Answers, names: WorkerNames): Record<string, unknown> {
  return {
    name: names.packageName,
    version: '0.1.0',
    private: true,
    description: answers.description,
    ...(answers.author === '' ? {} : { author: answers.author }),
    license: 'UNLICENSED',
    ...managedPackageFields(answers),
  };
}
