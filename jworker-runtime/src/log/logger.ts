import type Logger from 'bunyan';
import bunyan from 'bunyan';
import type { LogLevel } from '../config/options.js';
import { redact } from './mask.js';
import { safeStringify } from './safe-json.js';

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

/**
 * A bunyan raw stream that writes each record as one JSON line with every known secret and URL password removed from
 * the whole line (message, fields and errors alike, the user's own lines included).
 */
export function redactingStream(secrets: readonly string[], out: { write(line: string): unknown } = process.stdout) {
  return {
    write(record: object): void {
      out.write(`${redact(safeStringify(record), secrets)}\n`);
    },
  };
}

/** The default logger: bunyan JSON lines on stdout, one per event, with no secret in them. */
export function createLogger(name: string, level: LogLevel, secrets: readonly string[] = []): Logger {
  return bunyan.createLogger({
    name,
    streams: [{ type: 'raw', level, stream: redactingStream(secrets) }],
    serializers: { err: errorSerializer(secrets) },
  });
}

/**
 * A logger given in the configuration, as the runtime writes through it: a child whose `err` serializer removes
 * secrets. (The runtime also redacts every message it formats; the user's own lines are the user's.)
 */
export function redactingChild(logger: Logger, secrets: readonly string[]): Logger {
  return logger.child({ serializers: { err: errorSerializer(secrets) } });
}
