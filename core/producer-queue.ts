import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * A BullMQ queue that adds jobs and reads counts over a connection the process shares. That
 * connection's errors are logged where it was opened (`cli/redis-connect.ts`); BullMQ hands each
 * one on to every queue built on it, and prints it raw to stderr when the queue has no listener,
 * so while Redis is away the structured log would fill with stack traces. The queue listens and
 * leaves the logging to the connection.
 */
export function producerQueue<T>(name: string, connection: Redis, prefix: string): Queue<T> {
  const queue = new Queue<T>(name, { connection, prefix });
  queue.on('error', () => undefined);
  return queue;
}
