import type Logger from 'bunyan';
import bunyan from 'bunyan';
import type { LogLevel } from '../config/options.js';
import { redact } from './mask.js';

/** Serializes errors for bunyan with secrets removed from message and stack. */
export function errorSerializer(secrets: readonly string[]) {
  return (error: unknown): unknown => {
    if (!(error instanceof Error)) return error;
    const out: Record<string, unknown> = {
      name: error.name,
      message: redact(error.message, secrets),
      stack: error.stack === undefined ? undefined : redact(error.stack, secrets),
    };
    const { code, permanent } = error as { code?: unknown; permanent?: unknown };
    if (code !== undefined) out.code = code;
    if (permanent !== undefined) out.permanent = permanent;
    return out;
  };
}

/** The default logger: bunyan JSON lines on stdout, one per event, with secret-free errors. */
export function createLogger(name: string, level: LogLevel, secrets: readonly string[] = []): Logger {
  return bunyan.createLogger({
    name,
    level,
    serializers: { err: errorSerializer(secrets) },
  });
}
