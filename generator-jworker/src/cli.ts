#!/usr/bin/env node
/**
 * `npx generator-jworker <name> --project <project> [options]`: the same generator without a global `yo`.
 * Unlike `yo`, it also runs as root (containers, CI machines), where `yo` drops to another user and then cannot
 * write into root's folders. Options are those of `yo jworker`; `--help` lists them.
 */
import { fileURLToPath } from 'node:url';
import { createEnv } from 'yeoman-environment';
import { OPTION_SPECS } from './app/options.js';
import { runtimeInfo } from './app/runtime-info.js';

const NAMESPACE = 'jworker:app';

/** The usage text, built from the generator's own option list. */
export function usage(): string {
  const lines = OPTION_SPECS.map((spec) => {
    const value = spec.type === Boolean ? '' : ` <${spec.name === 'runtime-version' ? 'range' : 'value'}>`;
    const flag = `--${spec.name}${value}`;
    return `  ${flag.padEnd(28)}${(spec.description ?? '').replace('RUNTIME_VERSION', runtimeInfo().version)}`;
  });
  return [
    'Usage: npx generator-jworker <name> --project <project> [options]',
    '       yo jworker <name> --project <project> [options]',
    '',
    'Creates ./<name>/, an independent repository for one jworker worker. Missing answers are asked for, unless --yes.',
    '',
    'Options:',
    ...lines,
    `  ${'--skip-install'.padEnd(28)}Do not run npm install`,
    `  ${'--help'.padEnd(28)}This text`,
    '',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  const args = [...argv];
  if (!process.stdin.isTTY && !args.includes('--yes') && !args.includes('-y')) {
    // Nobody can answer a prompt (CI, a script, a pipe): take the defaults for what is not given, and say so.
    process.stderr.write('generator-jworker: no terminal to ask questions: using defaults for the answers not given (as with --yes)\n');
    args.push('--yes');
  }
  const env = createEnv();
  env.register(fileURLToPath(new URL('./app/index.js', import.meta.url)), { namespace: NAMESPACE });
  await env.run([NAMESPACE, ...args]);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`generator-jworker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
