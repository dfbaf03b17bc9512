import { Writable } from 'node:stream';
import type Logger from 'bunyan';
import bunyan from 'bunyan';
import { errorSerializer } from '../../src/log/logger.js';

/** A bunyan logger that keeps every record in memory, for assertions on log lines. */
export function captureLogger(
  name = 'test',
  level: bunyan.LogLevel = 'debug',
  secrets: readonly string[] = [],
): { logger: Logger; records: Record<string, unknown>[]; text: () => string } {
  const records: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const line = chunk.toString('utf8');
      lines.push(line);
      records.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = bunyan.createLogger({ name, level, stream, serializers: { err: errorSerializer(secrets) } });
  return { logger, records, text: () => lines.join('') };
}
