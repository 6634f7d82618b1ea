import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { AppError, newId, toSmtpReply, type InboundReport, type Logger } from '../../core/index.js';
import type { TlsMaterial } from '../smtp/tls-material.js';

/** Collaborators and settings of the inbound MX. */
export interface InboundMxDeps {
  host: string;
  /** 25 in production; 0 picks a free port. */
  port: number;
  heloName: string;
  tls: TlsMaterial;
  maxBytes: number;
  /** True for the addresses we receive for: VERP return paths and the feedback-loop address. */
  accepts: (address: string) => boolean;
  /** Stores the report durably (queue); resolves before the 250. */
  enqueue: (report: InboundReport) => Promise<void>;
  logger: Logger;
}

/**
 * The inbound MX of the bounce domain: receives DSNs at VERP addresses and ARF reports at the
 * feedback-loop address, refuses every other recipient at RCPT (550: not an open relay), and
 * queues what it accepts for classification.
 */
export async function startInboundMx(deps: InboundMxDeps): Promise<{ port: number; close(): Promise<void> }> {
  const log = deps.logger.child({ component: 'inbound-mx' });
  const fail = (err: unknown) => {
    const reply = toSmtpReply(err);
    if (!reply.expected) log.error({ err }, 'inbound report not queued');
    return Object.assign(new Error(`${reply.enhanced} ${reply.message}`), { responseCode: reply.code });
  };
  const server = new SMTPServer({
    name: deps.heloName,
    banner: 'Bridgemail inbound MX',
    key: deps.tls.key,
    cert: deps.tls.cert,
    size: deps.maxBytes,
    authOptional: true,
    disabledCommands: ['AUTH'],
    maxClients: 500,
    socketTimeout: 60_000,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (deps.accepts(address.address)) return callback();
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such recipient here`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= deps.maxBytes) chunks.push(c);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || size > deps.maxBytes)
          return callback(fail(new AppError('MESSAGE_TOO_LARGE', 'report too large')));
        const report: InboundReport = {
          id: newId('rep'),
          receivedAt: Date.now(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks, size).toString('base64'),
        };
        deps.enqueue(report).then(
          () => {
            log.info({ reportId: report.id, to: report.to.length, bytes: size }, 'report received');
            callback(null, `2.0.0 Ok: report ${report.id}`);
          },
          (err: unknown) =>
            callback(fail(new AppError('QUEUE_UNAVAILABLE', 'try again later', { cause: err, retryable: true }))),
        );
      });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'inbound connection error'));
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(deps.port, deps.host, () => resolve((server.server.address() as AddressInfo).port));
  });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
