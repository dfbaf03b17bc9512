/** Queue names derived from a work queue name. Documented in docs/retries.md; producers in any language rely on them. */
export interface QueueNames {
  /** The work queue tasks are published to. */
  readonly work: string;
  /** The parking lot for tasks that failed for good. */
  readonly dead: string;
  /** The retry delay queue for a delay, e.g. `emails.retry.4000`. */
  retry(delayMs: number): string;
  /** The delay bucket for a bucket size (a power of two), e.g. `emails.delay.4096`. */
  delay(bucketMs: number): string;
  /** The stream of cancel requests, e.g. `emails.cancel`. */
  readonly cancel: string;
}

const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** Room left for the longest suffix we add (`.retry.` + a delay), within AMQP's 255-byte short string. */
const MAX_QUEUE_NAME = 200;

/** Returns why `name` cannot be a jworker queue name, or undefined when it can. */
export function queueNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'expected a non-empty queue name';
  if (name.length > MAX_QUEUE_NAME) return `expected at most ${MAX_QUEUE_NAME} characters, got ${name.length}`;
  if (name.startsWith('amq.')) return 'names starting with "amq." are reserved by RabbitMQ';
  if (!QUEUE_NAME.test(name)) return 'expected letters, digits, ".", "_", ":" or "-", starting with a letter or digit';
  if (name.endsWith('.dead') || /\.(retry|delay)\.\d+$/.test(name) || name.endsWith('.walk-lock') || name.endsWith('.cancel'))
    return "this name is one of jworker's derived queues";
  if (name.endsWith('.replies')) return 'names ending in ".replies" are for reply queues (workers answer them by default)';
  return undefined;
}

/** The names of a work queue's retry and dead-letter queues. */
export function queueNames(work: string): QueueNames {
  return {
    work,
    dead: `${work}.dead`,
    retry: (delayMs: number) => `${work}.retry.${delayMs}`,
    delay: (bucketMs: number) => `${work}.delay.${bucketMs}`,
    cancel: `${work}.cancel`,
  };
}
