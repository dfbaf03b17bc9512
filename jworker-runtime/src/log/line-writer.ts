import { writeSync } from 'node:fs';

/** Past this many bytes a batch is written at once, without waiting for the end of the event-loop turn. */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * Writes log lines in batches: the lines of one event-loop turn go out in one write instead of one system call each
 * (two lines a task cost more than all the rest of a task's work: docs/benchmarks.md). The batch is written
 * at the end of the turn, when it passes 64 KiB, on `flush()` (a graceful stop), and when the process exits or throws
 * an uncaught exception. What a SIGKILL can lose: the lines of the turn it interrupts, and what a full pipe has not
 * taken yet (see FdSink).
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

/** Past this many bytes waiting for a full pipe, writes wait for the reader instead of buffering more. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Writes to a file descriptor without losing a byte and, while the reader keeps up, without blocking the event loop.
 * process.stdout.write is not enough: when a pipe is full it queues the rest, and `process.exit()` drops the queue
 * (seen: a line cut in half at exit). Here what a full non-blocking pipe does not take now is kept and retried a
 * millisecond later; past 8 MiB waiting, or when the process ends (`drainSync`), writes wait for the reader. A closed
 * reader (EPIPE) drops the text.
 */
export class FdSink {
  readonly #fd: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(text: string): void {
    const data = Buffer.from(text);
    if (this.#pendingBytes > 0) {
      this.#queue(data);
      if (this.#pendingBytes > MAX_PENDING_BYTES) this.drainSync();
      return;
    }
    const rest = this.#tryWrite(data);
    if (rest !== undefined && rest.length > 0) this.#queue(rest);
  }

  /** Writes everything pending now, waiting for the reader as long as it takes. */
  drainSync(): void {
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    let data: Buffer = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    while (data.length > 0) {
      const rest = this.#tryWrite(data);
      if (rest === undefined) return;
      if (rest.length === data.length) Atomics.wait(PAUSE, 0, 0, 1);
      data = rest;
    }
  }

  /** Writes what the descriptor takes now: the rest (empty when all went), or undefined when the reader is gone. */
  #tryWrite(data: Buffer): Buffer | undefined {
    try {
      return data.subarray(writeSync(this.#fd, data));
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EAGAIN' ? data : undefined;
    }
  }

  #queue(data: Buffer): void {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    this.#retry ??= setTimeout(() => this.#flushPending(), 1).unref();
  }

  #flushPending(): void {
    this.#retry = undefined;
    const data = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const rest = this.#tryWrite(data);
    if (rest !== undefined && rest.length > 0) this.#queue(rest);
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The one writer for stdout, flushed when the process exits or dies of an uncaught exception. */
export function stdoutWriter(): LineWriter {
  if (stdout === undefined) {
    const sink = new FdSink(1);
    stdoutSink = sink;
    stdout = new LineWriter(sink);
    process.on('exit', flushStdout);
    // A monitor: it sees the exception without changing what the process does with it (still a crash).
    process.on('uncaughtExceptionMonitor', flushStdout);
  }
  return stdout;
}

let stdoutSink: FdSink | undefined;

/** Writes every queued line to stdout now, waiting for the reader if it must (a stop, an exit, a crash). */
export function flushStdout(): void {
  stdout?.flush();
  stdoutSink?.drainSync();
}
