import { readFileSync } from 'node:fs';

/** What the build bundled about jworker-runtime (scripts/bundle-runtime-info.mjs). */
export interface RuntimeInfo {
  /** The runtime version this generator was built against. */
  readonly version: string;
  /** Every environment variable the runtime's `loadConfig()` reads, with its meaning. */
  readonly envVariables: Readonly<Record<string, string>>;
}

let cached: RuntimeInfo | undefined;

/** Reads the bundled runtime facts once. */
export function runtimeInfo(): RuntimeInfo {
  if (cached) return cached;
  const url = new URL('../runtime-info.json', import.meta.url);
  try {
    cached = JSON.parse(readFileSync(url, 'utf8')) as RuntimeInfo;
  } catch (error) {
    throw new Error(
      `generator-jworker is not built: ${url.pathname} is missing or unreadable (${(error as Error).message}). Run npm run build in generator-jworker.`,
    );
  }
  return cached;
}

/** The generator's own version, recorded in `.yo-rc.json`. */
export function generatorVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
