import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** What a command may touch outside itself; tests pass a fake that records the output. */
export interface CliIo {
  /** Writes to stdout (the text includes its newline). */
  out(text: string): void;
  /** Writes to stderr (the text includes its newline). */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readStdin(): Promise<string>;
  /** stdin line by line, as it arrives (`jworker logs`). */
  stdinLines(): AsyncIterable<string>;
  readFile(path: string): Promise<string>;
}

/** The real process: stdout, stderr, stdin and the environment. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinLines() {
      // A filter at the end of a pipeline (npm run dev) gets Ctrl-C with the worker before it: it keeps reading, and
      // ends with its input, once the worker has logged its graceful stop.
      process.on('SIGINT', () => {});
      return createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    },
    readFile: (path) => readFile(path, 'utf8'),
  };
}
