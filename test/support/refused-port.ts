import { connect } from 'node:net';

/**
 * A loopback port where every connection is refused, for as long as the test runs. A port from
 * `freePort()` is free only at the moment it is handed out: a server another test starts with
 * port 0 may take it up later (then the "dead" MX accepts mail). Privileged ports are never
 * handed out by the kernel for port 0 and nothing here binds them, so the first one that refuses
 * a connection now stays refused.
 */
export async function refusedPort(host = '127.0.0.1'): Promise<number> {
  for (const port of [1, 3, 4, 6, 8, 10, 12, 14, 16, 18]) {
    if (await refuses(host, port)) return port;
  }
  throw new Error(`no privileged port on ${host} refuses connections`);
}

function refuses(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
