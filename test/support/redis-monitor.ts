import { connect, type Socket } from 'node:net';

/** One command as MONITOR reported it: the command name (lower case) and its arguments. */
export type MonitoredCommand = string[];

export interface RedisMonitor {
  /** Resolves once Redis has answered MONITOR: every command run after this is reported. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Watches every command a Redis server runs, over a plain socket of its own.
 *
 * ioredis' `monitor()` is not used: it switches the connection to monitoring mode one microtask
 * after the MONITOR reply, so on a busy server the first reports arrive while the client still
 * expects command replies, and it throws "Command queue state error".
 */
export function watchRedisCommands(redisUrl: string, onCommand: (args: MonitoredCommand) => void): RedisMonitor {
  const url = new URL(redisUrl);
  const socket: Socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
  const password = url.password ? decodeURIComponent(url.password) : '';
  const user = url.username ? decodeURIComponent(url.username) : '';
  let pendingOks = password ? 2 : 1;
  let buffered = '';
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  socket.setEncoding('latin1');
  socket.on('connect', () => {
    const auth = password ? (user ? ['AUTH', user, password] : ['AUTH', password]) : [];
    socket.write((auth.length > 0 ? encodeCommand(auth) : '') + encodeCommand(['MONITOR']));
  });
  socket.on('error', (err) => settle?.reject(err));
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line.startsWith('-')) {
        settle?.reject(new Error(`Redis refused MONITOR: ${line.slice(1)}`));
      } else if (pendingOks > 0 && line === '+OK') {
        if (--pendingOks === 0) settle?.resolve();
      } else if (line.startsWith('+')) {
        const args = parseMonitorLine(line.slice(1));
        if (args.length > 0) onCommand([args[0]!.toLowerCase(), ...args.slice(1)]);
      }
    }
  });
  return {
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };

/** `1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"` → ['set', 'k', 'v'] (quoted as Redis' sdscatrepr). */
export function parseMonitorLine(line: string): string[] {
  const args: string[] = [];
  let i = line.indexOf('] ');
  if (i < 0) return args;
  i += 2;
  while (i < line.length) {
    if (line[i] !== '"') {
      i++;
      continue;
    }
    let value = '';
    i++;
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\' && line[i + 1] === 'x') {
        value += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (line[i] === '\\') {
        value += ESCAPES[line[i + 1] ?? ''] ?? line[i + 1] ?? '';
        i += 2;
      } else {
        value += line[i++];
      }
    }
    args.push(value);
    i++;
  }
  return args;
}
