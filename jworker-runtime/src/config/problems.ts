import { ConfigError } from '../errors/worker-error.js';

/** Collects problems so one error can name every bad setting. */
export class Problems {
  readonly list: string[] = [];
  add(name: string, value: unknown, expected: string): void {
    this.list.push(`${name}: expected ${expected}, got ${describe(value)}`);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}

/** Checks that `value` is a number in range; returns it or the fallback (after recording a problem). */
export function checkNumber(
  problems: Problems,
  name: string,
  value: unknown,
  fallback: number,
  rule: { min: number; max?: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (ok) return value;
  const kind = rule.integer ? 'an integer' : 'a number';
  const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  problems.add(name, value, `${kind} ${range}`);
  return fallback;
}

/** Checks a URL's scheme; returns a problem description or undefined. */
export function urlProblem(value: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `a URL (${schemes.map((s) => `${s}//…`).join(' or ')})`;
  }
  if (!schemes.includes(url.protocol)) return `a URL with scheme ${schemes.join(' or ')}`;
  return undefined;
}

/** A value as a problem line shows it: strings quoted, objects by their type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}
