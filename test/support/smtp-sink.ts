import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the sink received it. */
export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** Source address of the client: the Pool IP the platform sent from. */
  remoteAddress: string;
  receivedAt: number;
}

/** A scripted SMTP reply; undefined means accept. */
export interface SinkReply {
  code: number;
  message: string;
  /** Accept RCPT TO and give this reply to the message data instead (a content filter's answer). */
  atData?: boolean;
}

/** Per-recipient script: `n` is how many times this recipient has been offered so far (1-based). */
export type SinkScript = (recipient: string, n: number) => SinkReply | undefined;

/** A loopback SMTP server that records what it accepts. */
export interface SmtpSink {
  port: number;
  host: string;
  messages: SinkMessage[];
  /** How many times each recipient was offered (RCPT TO), accepted or not. */
  offers: Map<string, number>;
  /** Client connections accepted so far, whatever came of them. */
  readonly connections: number;
  /** `*=host:port`, ready for BRIDGEMAIL_MX_OVERRIDE. */
  mxOverride: string;
  setScript(script: SinkScript | undefined): void;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1, port 0 (or `options.port`); scripted replies per recipient at RCPT. */
export async function startSmtpSink(
  script?: SinkScript,
  host = '127.0.0.1',
  options: { starttls?: boolean; port?: number } = {},
): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const offers = new Map<string, number>();
  let current = script;
  let connections = 0;
  // Replies held for the data of a transaction, by session.
  const dataReplies = new Map<string, SinkReply>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: options.starttls === false ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    logger: false,
    size: 100 * 1024 * 1024,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, session, callback) {
      const rcpt = address.address.toLowerCase();
      const n = (offers.get(rcpt) ?? 0) + 1;
      offers.set(rcpt, n);
      const reply = current?.(rcpt, n);
      if (!reply) return callback();
      if (reply.atData) {
        dataReplies.set(session.id, reply);
        return callback();
      }
      const err = new Error(reply.message) as Error & { responseCode: number };
      err.responseCode = reply.code;
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const atData = dataReplies.get(session.id);
        if (atData) {
          dataReplies.delete(session.id);
          const err = new Error(atData.message) as Error & { responseCode: number };
          err.responseCode = atData.code;
          return callback(err);
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          remoteAddress: session.remoteAddress,
          receivedAt: Date.now(),
        });
        callback(null, '2.0.0 Ok: stored');
      });
    },
  });
  // A client that vanishes mid-session (a killed worker in the fault tests) is a connection error
  // of that session, not of the sink: record it, keep serving.
  const connectionErrors: Error[] = [];
  server.on('error', (err: Error) => connectionErrors.push(err));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    host,
    messages,
    offers,
    mxOverride: `*=${host}:${port}`,
    get connections() {
      return connections;
    },
    setScript: (s) => {
      current = s;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
