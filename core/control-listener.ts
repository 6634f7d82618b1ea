import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { ControlMessage } from './queues.js';
import { controlChannel } from './redis-keys.js';

/** Options of {@link listenToControl}. */
export interface ControlListenerOptions {
  /** A connection to duplicate for the subscription. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  onMessage: (message: ControlMessage) => void;
  /** Called on every (re)subscription: messages may have been missed while disconnected. */
  onResubscribe?: () => void;
}

/** Subscribes to control-plane announcements; resolves once subscribed, with a close function. */
export async function listenToControl(options: ControlListenerOptions): Promise<() => void> {
  const sub = options.redis.duplicate();
  sub.on('error', (err) => options.logger.warn({ err }, 'control subscriber error'));
  sub.on('ready', () => options.onResubscribe?.());
  sub.on('message', (_channel: string, text: string) => {
    try {
      options.onMessage(JSON.parse(text) as ControlMessage);
    } catch (err) {
      options.logger.warn({ err }, 'unparseable control message');
    }
  });
  await sub.subscribe(controlChannel(options.prefix));
  return () => sub.disconnect();
}
