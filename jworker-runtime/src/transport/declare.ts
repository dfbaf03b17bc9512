import type { ConfirmChannel } from 'amqplib';
import { type TopologyOptions, topology } from '../wire/topology.js';

/** Declares every queue (idempotent; run again after each reconnect). */
export async function assertTopology(channel: ConfirmChannel, options: TopologyOptions): Promise<void> {
  for (const spec of topology(options)) {
    await channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
  }
}
