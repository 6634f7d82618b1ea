import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../core/index.js';

/** An HTTP listener of a role. */
export interface HttpListener {
  port: number;
  /** Stops accepting, closes idle keep-alive connections and resolves once the last request is answered. */
  close(): Promise<void>;
}

/**
 * Serves a Koa app (its `callback()`) on `host:port`; rejects with the listen error (its `port`
 * names the port for the start checks). Koa settles every request itself, rendering errors
 * through its `onerror`, so the handler's promise is deliberately not awaited here.
 */
export function listenHttp(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<HttpListener> {
  const server = createServer((req, res) => void handle(req, res));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** The public host as it appears in a URL: an IPv6 address in brackets. */
export function urlHost(config: Pick<Config, 'publicHost'>): string {
  return config.publicHost.includes(':') ? `[${config.publicHost}]` : config.publicHost;
}
