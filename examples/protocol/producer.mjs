// Enqueue a task and wait for its result with nothing but amqplib (the wire contract, no jworker code).
// Usage: AMQP_URL=amqp://localhost:5672 QUEUE=thumbnail node examples/protocol/producer.mjs
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';

const url = process.env.AMQP_URL ?? 'amqp://localhost:5672';
const queue = process.env.QUEUE ?? 'thumbnail';
const task = { image: 'cat.jpg' };
const taskId = randomUUID();

const connection = await amqplib.connect(url);
try {
  const channel = await connection.createConfirmChannel();
  let settle;
  const reply = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  // mandatory: a task no queue takes is returned (before its confirm) instead of being dropped.
  let returned = false;
  channel.on('return', () => {
    returned = true;
  });
  // Results come back on RabbitMQ's direct reply-to pseudo-queue: consume it (no-ack) before publishing.
  await channel.consume(
    'amq.rabbitmq.reply-to',
    (message) => {
      if (message?.properties.correlationId === taskId) settle.resolve(JSON.parse(message.content.toString('utf8')));
    },
    { noAck: true },
  );

  channel.publish('', queue, Buffer.from(JSON.stringify(task)), {
    messageId: taskId, // the task id, the same on every attempt
    correlationId: taskId, // echoed on the reply
    replyTo: 'amq.rabbitmq.reply-to', // omit it to fire and forget
    persistent: true, // delivery mode 2: kept across a broker restart
    mandatory: true,
    contentType: 'application/json',
  });
  await channel.waitForConfirms(); // publisher confirms: the broker has the task
  if (returned) throw new Error(`no queue named ${queue}: start its worker first (the worker declares it)`);
  console.log(`enqueued task ${taskId} on ${queue}`);

  const timeout = setTimeout(() => settle.reject(new Error('no reply within 30 s')), 30_000);
  const result = await reply;
  clearTimeout(timeout);
  console.log(JSON.stringify(result));
  process.exitCode = result.status === 'completed' ? 0 : 1;
} finally {
  await connection.close();
}
