import { writeSync } from 'node:fs';

/** Past this many bytes a batch is written at once, without waiting for the end of the event-loop turn. */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * Writes log lines in batches: the lines of one event-loop turn go out in one write instead of one system call each
 * (two lines a task cost more than all the rest of a task's work: docs/benchmarks.md). The batch is written
 * synchronously at the end of the turn, when it passes 64 KiB, on `flush()` (a graceful stop), and when the process
 * exits or throws an uncaught exception. What a SIGKILL can lose: the lines of the turn it interrupts, no more.
 */
export class LineWriter {
  readonly #out: { write(text: string): unknown };
  #lines: string[] = [];
  #bytes = 0;
  #scheduled = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(out: { write(text: string): unknown }) {
    this.#out = out;
  }

  /** Queues one line (its newline included). */
  write(line: string): void {
    this.#lines.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= MAX_BATCH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Writes every queued line now. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join('');
    this.#lines = [];
    this.#bytes = 0;
    this.#out.write(text);
  }
}

let stdout: LineWriter | undefined;

/**
 * Writes all of `text` to file descriptor `fd` before it returns. process.stdout.write is not enough: when a pipe is
 * full it queues the rest, and `process.exit()` drops the queue (seen: a line cut in half at exit). A full
 * non-blocking pipe (EAGAIN) is waited for, as a blocking stdout would; a closed one (EPIPE) drops the text.
 */
export function writeAllSync(fd: number, text: string): void {
  let data = Buffer.from(text);
  while (data.length > 0) {
    try {
      data = data.subarray(writeSync(fd, data));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The one writer for stdout, flushed when the process exits or dies of an uncaught exception. */
export function stdoutWriter(): LineWriter {
  if (stdout === undefined) {
    const writer = new LineWriter({ write: (text) => writeAllSync(1, text) });
    stdout = writer;
    const flush = (): void => writer.flush();
    process.on('exit', flush);
    // A monitor: it sees the exception without changing what the process does with it (still a crash).
    process.on('uncaughtExceptionMonitor', flush);
  }
  return stdout;
}
