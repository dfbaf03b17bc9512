import { type ParseArgsConfig, parseArgs } from 'node:util';
import { queueNameProblem } from '../wire/names.js';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const common = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } as const satisfies Options;

type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** node:util's parseArgs, strict, with its errors as usage errors naming the command. */
export function parse<T extends Options>(args: readonly string[], options: T, command: string): Parsed<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error);
    throw new UsageError(`${command}: ${message}. Run "jworker ${command} --help".`);
  }
}

/** A <queue> argument, checked like a work queue name. */
export function queueArg(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`${command}: missing <queue>. Run "jworker ${command} --help".`);
  const problem = queueNameProblem(value);
  if (problem) throw new UsageError(`${command}: bad queue name ${JSON.stringify(value)}: ${problem}`);
  return value;
}

/** Refuses positionals past the `expected` ones. */
export function noExtra(positionals: readonly string[], expected: number, command: string): void {
  if (positionals.length > expected)
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[expected])}. Run "jworker ${command} --help".`);
}

/** An option's positive integer, or undefined when absent. */
export function positiveInt(value: string | undefined, option: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new UsageError(`${command}: ${option} expects a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration like `90s`, `500ms`, `2m`, `1h`, `30d` (a bare number is ms), in ms. */
export function durationMs(value: string, option: string, command: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? 'ms'] as number) : Number.NaN;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${command}: ${option} expects a duration like 90s, 500ms, 2m, 1h or 30d, got ${JSON.stringify(value)}`);
  }
  return Math.round(ms);
}
