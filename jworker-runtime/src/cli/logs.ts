import type { CliIo } from './io.js';

/** bunyan's numeric levels, by name. */
const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every bunyan record has; the rest are shown after the message. */
const CORE = new Set(['v', 'level', 'name', 'hostname', 'pid', 'time', 'msg', 'err']);

/**
 * `jworker logs`: reads worker log lines (bunyan JSON) on stdin and prints them for people, one line each:
 * `10:04:05.120 INFO  email-sender: task completed taskId=… durationMs=12`, an error's stack indented below.
 * Lines that are not bunyan JSON pass through unchanged; a prefix before the JSON (`worker-1  | ` from
 * `docker compose logs`) is kept. It ends when its input ends, not on Ctrl-C: a worker stopping gracefully in the
 * same pipeline still has its last lines printed.
 */
export async function logs(io: CliIo): Promise<0> {
  for await (const line of io.stdinLines()) io.out(`${formatLogLine(line)}\n`);
  return 0;
}

/** One log line for people; the line itself when it is not a bunyan record. */
export function formatLogLine(line: string): string {
  const start = line.indexOf('{');
  if (start < 0) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line.slice(start)) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record['level'] !== 'number' || typeof record['msg'] !== 'string') return line;
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const level = (LEVELS[record['level']] ?? `LVL${record['level']}`).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !CORE.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  const head = [`${line.slice(0, start)}${time} ${level} ${String(record['name'] ?? '')}: ${record['msg']}`, ...fields].join(' ');
  return head + errorLines(record['err']);
}

/** A serialized error (bunyan's `err` field) as indented lines: its stack, or its name and message. */
function errorLines(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const { stack, name, message, code } = err as { stack?: unknown; name?: unknown; message?: unknown; code?: unknown };
  const text = typeof stack === 'string' ? stack : `${String(name ?? 'Error')}: ${String(message ?? '')}`;
  const withCode = code === undefined ? text : `${text}\n(code ${String(code)})`;
  return `\n${withCode
    .split('\n')
    .map((part) => `    ${part}`)
    .join('\n')}`;
}
