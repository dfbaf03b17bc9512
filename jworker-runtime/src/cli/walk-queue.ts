import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, GetMessage, Message, Options } from 'amqplib';
import { publishConfirmed } from '../transport/publish.js';
import { walkedCopy } from '../wire/copy.js';
import { CliError, EXIT } from './errors.js';

/**
 * Where a visited message goes: back to the tail of its own queue (kept), moved to another queue, or dropped (acked
 * without a copy: the dashboard's purge of exactly the dead letters an operator confirmed).
 */
export type WalkDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'move'; readonly to: string; readonly properties: Options.Publish }
  | { readonly action: 'drop' };

/** Header of the marker message a walk puts at the tail of the queue to know where the queue it found ends. */
export const WALK_MARKER = 'x-jworker-walk-marker';

/** What a walk saw. */
export interface WalkResult {
  /** Messages visited (markers of other walks left out). */
  readonly seen: number;
  /** Messages moved to another queue. */
  readonly moved: number;
  /** Messages dropped. */
  readonly dropped: number;
}

/**
 * Visits every message `queue` holds when the walk starts, oldest first, and for each one either moves it to another
 * queue or keeps it by publishing a copy to the tail of `queue`. Every copy is confirmed by the broker (mandatory, so a
 * missing queue is noticed) before its original is acked: a crash part way can leave the messages of one batch twice,
 * never none.
 *
 * Where the queue ends is marked by a marker message published (and confirmed) to its tail first: a quorum queue's
 * message count can lag behind what it holds under load, so counting would stop a walk early. The marker expires
 * after an hour, so a walk that dies leaves little behind for long. Only this walk's marker (a fresh random id) ends it:
 * any other message is visited like the rest, whatever headers it carries, so a producer cannot hide a message behind
 * a forged marker. One walk of a queue at a time (see {@link lockWalk}), so no walk meets another's marker.
 *
 * Why copy rather than basic.nack(requeue): a quorum queue returns requeued messages in no guaranteed order (observed
 * on RabbitMQ 3.10), and on RabbitMQ 4.0–4.2 every return counts against the queue's delivery limit. Walking the
 * whole queue once keeps the order of what was there; dead letters that arrive meanwhile end up after the marker.
 */
export async function walkQueue(
  broker: { readonly connection: ChannelModel; readonly channel: ConfirmChannel },
  queue: string,
  decide: (message: GetMessage) => WalkDecision,
  batchSize = 100,
): Promise<WalkResult> {
  const { channel } = broker;
  const unlock = await lockWalk(broker.connection, queue);
  const returned: string[] = [];
  const onReturn = (message: Message) => returned.push(message.fields.routingKey);
  channel.on('return', onReturn);
  const marker = randomUUID();
  let moved = 0;
  let dropped = 0;
  let seen = 0;
  try {
    await publishConfirmed(channel, queue, Buffer.from('{}'), {
      persistent: false,
      mandatory: true,
      expiration: '3600000',
      headers: { [WALK_MARKER]: marker },
    });
    let done = false;
    while (!done) {
      // A batch at a time: one wait for all its confirms (each confirm of a persistent message waits for a disk sync).
      const batch: GetMessage[] = [];
      const confirms: Promise<void>[] = [];
      let batchMoved = 0;
      let batchDropped = 0;
      let batchSeen = 0;
      while (batch.length < batchSize) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) {
          // Empty: someone else took the marker (a purge, another consumer). Nothing more to visit.
          done = true;
          break;
        }
        batch.push(message);
        if ((message.properties.headers as Record<string, unknown> | undefined)?.[WALK_MARKER] === marker) {
          done = true;
          break;
        }
        batchSeen++;
        const decision = decide(message);
        if (decision.action === 'drop') {
          batchDropped++;
          continue;
        }
        if (decision.action === 'move') batchMoved++;
        const [target, properties] =
          decision.action === 'keep' ? [queue, walkedCopy(message.properties)] : [decision.to, decision.properties];
        confirms.push(publishConfirmed(channel, target, message.content, properties));
      }
      const last = batch.at(-1);
      if (!last) break;
      const settled = await Promise.allSettled(confirms);
      const failed = settled.find((result) => result.status === 'rejected');
      // A mandatory message that reached no queue comes back as basic.return before its confirm.
      if (failed || returned.length > 0) {
        const why = failed ? String(failed.reason) : `${returned[0]} did not accept the message (does the queue exist?)`;
        // Not acked: the broker requeues the batch when the channel closes. Copies already confirmed may exist twice.
        throw new CliError(`stopped after ${seen} messages: ${why}; the rest stay in ${queue}`, EXIT.failed);
      }
      channel.ack(last, true);
      seen += batchSeen;
      moved += batchMoved;
      dropped += batchDropped;
    }
  } finally {
    channel.off('return', onReturn);
    await unlock();
  }
  return { seen, moved, dropped };
}

/** The exclusive queue that marks a walk of `queue` in progress. */
export function walkLockName(queue: string): string {
  return `${queue}.walk-lock`;
}

/**
 * Takes the walk lock of `queue`: an exclusive queue, which the broker lets only one connection hold (and deletes when
 * it closes, so a walk that dies releases it). Resolves to the release function.
 * @throws CliError when another walk (dead list, dead replay) holds it, or the user may not declare it.
 */
export async function lockWalk(connection: ChannelModel, queue: string): Promise<() => Promise<void>> {
  const name = walkLockName(queue);
  const lock = await connection.createChannel();
  lock.on('error', () => {});
  try {
    await lock.assertQueue(name, { exclusive: true, durable: false });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 405) {
      throw new CliError(
        `another jworker command (dead list, dead replay, the dashboard) is walking ${queue} right now; try again once it has finished`,
        EXIT.failed,
      );
    }
    if (code === 403) {
      throw new CliError(`not allowed to declare ${name}, the lock of a walk: give this user the configure permission on it`, EXIT.failed);
    }
    throw error;
  }
  return async () => {
    await lock.deleteQueue(name).catch(() => {});
    await lock.close().catch(() => {});
  };
}
