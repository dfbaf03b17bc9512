import { Writable } from 'node:stream';
import type Logger from 'bunyan';
import bunyan from 'bunyan';
import { errorSerializer } from '../log/logger.js';
import type { TaskEventSink } from '../progress/events.js';
import type { TaskEvent } from '../wire/task-event.js';

/** A sink that keeps every task event, in order. */
export function recordingSink(): { sink: TaskEventSink; events: TaskEvent[] } {
  const events: TaskEvent[] = [];
  return {
    events,
    sink: {
      emit: (event) => {
        events.push(event);
      },
      close: async () => {},
      stats: () => ({ sent: events.length, dropped: 0, failed: 0, pending: 0 }),
    },
  };
}

/** A bunyan logger at trace level that keeps each record as the JSON object a real worker would print. */
export function capturingLogger(name: string): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const logger = bunyan.createLogger({ name, level: 'trace', stream, serializers: { err: errorSerializer([]) } });
  return { logger, records };
}
