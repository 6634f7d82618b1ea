import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import {
  AppError,
  toSmtpReply,
  type AuthenticatedBridge,
  type Authenticator,
  type Logger,
  type Submission,
  type TemplateRenderer,
} from '../../core/index.js';
import { applyTemplate } from './template-message.js';
import type { TlsMaterial } from './tls-material.js';

/** Collaborators and settings of the SMTP ingress. */
export interface SmtpIngressDeps {
  auth: Pick<Authenticator, 'smtp' | 'assertCurrent'>;
  accept: (submission: Submission) => Promise<string>;
  logger: Logger;
  tls: TlsMaterial;
  host: string;
  /** Submission port with STARTTLS (587). 0 picks a free port. */
  port: number;
  /** Implicit TLS port (465). 0 picks a free port. */
  securePort: number;
  /** Name in the greeting and the EHLO reply; also the domain of the Message-IDs added to submissions. */
  heloName: string;
  maxMessageBytes: number;
  maxRecipients: number;
  /** A session silent this long is closed (421). @defaultValue 60000 */
  idleTimeoutMs?: number;
  /** No session lasts longer, however busy: bounds slowly trickling clients. @defaultValue 600000 */
  sessionMaxMs?: number;
  /** Concurrent sessions per listener; beyond, new ones get 421. @defaultValue 5000 */
  maxClients?: number;
  /** Which recipients are on the Bridge's (or the account-wide) suppression list. */
  suppressed: (bridgeId: string, recipients: readonly string[]) => Promise<Set<string>>;
  /** Renders messages that name a template (`X-Bridgemail-Template`). */
  templates: TemplateRenderer;
}

/** Running SMTP listeners. */
export interface SmtpIngress {
  port: number;
  securePort: number;
  close(): Promise<void>;
}

/** Error carrying the SMTP reply smtp-server sends for it. */
function smtpError(err: unknown, logger: Logger): Error {
  const reply = toSmtpReply(err);
  if (!reply.expected) logger.error({ err }, 'smtp command failed');
  const out = new Error(`${reply.enhanced} ${reply.message}`) as Error & { responseCode: number };
  out.responseCode = reply.code;
  return out;
}

const bridgeOf = (session: SMTPServerSession): AuthenticatedBridge | undefined =>
  session.user as AuthenticatedBridge | undefined;

/** Starts the submission listeners: STARTTLS on `port`, implicit TLS on `securePort`; AUTH only over TLS. */
export async function startSmtpIngress(deps: SmtpIngressDeps): Promise<SmtpIngress> {
  const log = deps.logger.child({ component: 'smtp-ingress' });
  const options: SMTPServerOptions = {
    name: deps.heloName,
    banner: 'Bridgemail ESMTP',
    key: deps.tls.key,
    cert: deps.tls.cert,
    size: deps.maxMessageBytes,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    authOptional: false,
    disabledCommands: [],
    maxClients: deps.maxClients ?? 5000,
    socketTimeout: deps.idleTimeoutMs ?? 60_000,
    // Client host names from reverse DNS are not used; a slow resolver must not stall sessions.
    disableReverseLookup: true,
    closeTimeout: 5_000,
    logger: false,
    // RFC 4954 §4: EHLO lists only mechanisms usable now, and AUTH needs TLS here, so a plain
    // session has no AUTH until STARTTLS (smtp-server's per-session disabledCommands).
    onConnect(session, callback) {
      if (!session.secure) session.disabledCommands = ['AUTH'];
      callback();
    },
    onSecure(_socket, session, callback) {
      session.disabledCommands = undefined;
      callback();
    },
    onAuth(auth, session, callback) {
      if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') {
        return callback(smtpError(new AppError('INVALID_CREDENTIALS', 'unsupported auth method'), log));
      }
      deps.auth.smtp(session.remoteAddress, auth.username ?? '', auth.password ?? '').then(
        (bridge) => callback(null, { user: bridge }),
        (err: unknown) => callback(smtpError(err, log)),
      );
    },
    onMailFrom(_address: SMTPServerAddress, session, callback) {
      const bridge = bridgeOf(session);
      if (!bridge) return callback(smtpError(new AppError('UNAUTHENTICATED', 'authentication required'), log));
      // A session authenticated earlier must not outlive a rotation, revocation or deletion; a mode
      // switched since (live / sandbox) and a Pool moved to by a rebind apply from this message on.
      deps.auth.assertCurrent(bridge, 'smtp').then(
        (state) => {
          session.user = { ...bridge, mode: state.mode, poolId: state.poolId } satisfies AuthenticatedBridge;
          callback();
        },
        (err: unknown) => callback(smtpError(err, log)),
      );
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (session.envelope.rcptTo.length >= deps.maxRecipients) {
        return callback(smtpError(new AppError('TOO_MANY_RECIPIENTS', 'too many recipients'), log));
      }
      const bridge = bridgeOf(session);
      if (!bridge) return callback(smtpError(new AppError('UNAUTHENTICATED', 'authentication required'), log));
      deps.suppressed(bridge.id, [address.address]).then(
        (blocked) =>
          blocked.size > 0
            ? callback(
                smtpError(new AppError('RECIPIENT_SUPPRESSED', `<${address.address}> is on the suppression list`), log),
              )
            : callback(),
        (err: unknown) => callback(smtpError(err, log)),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= deps.maxMessageBytes) chunks.push(chunk);
      });
      stream.on('error', (err) => callback(smtpError(err, log)));
      stream.on('end', () => {
        const bridge = bridgeOf(session);
        if (stream.sizeExceeded || size > deps.maxMessageBytes) {
          return callback(smtpError(new AppError('MESSAGE_TOO_LARGE', 'message exceeds the size limit'), log));
        }
        if (!bridge) return callback(smtpError(new AppError('UNAUTHENTICATED', 'authentication required'), log));
        const mailFrom = session.envelope.mailFrom;
        // A message naming a template is rendered here, so what is queued is the final message.
        // The Bridge's sending limits are checked in `accept`, at the end of DATA, not at RCPT: a
        // message counts only once it is complete and about to be queued (a session that quits or
        // fails later never spends the limit), and 452 4.7.1 at that point leaves the message with
        // the client, who retries it (RFC 5321 §4.2.5), so a refused message was never accepted.
        applyTemplate(Buffer.concat(chunks, size), bridge, deps.templates)
          .then((raw) =>
            deps.accept({
              bridge,
              from: mailFrom ? mailFrom.address : '',
              recipients: session.envelope.rcptTo.map((r) => r.address),
              raw,
              credential: 'smtp',
              // The client composed the message: Message-ID and Date are added when missing (RFC 6409 §8).
              complete: { messageIdDomain: deps.heloName },
            }),
          )
          .then(
            (id) => callback(null, `2.0.0 Ok: queued as ${id}`),
            (err: unknown) => callback(smtpError(err, log)),
          );
      });
    },
  };
  const plain = new SMTPServer({ ...options, secure: false });
  const secure = new SMTPServer({ ...options, secure: true });
  for (const srv of [plain, secure]) srv.on('error', (err) => log.warn({ err }, 'smtp connection error'));
  const listen = (srv: SMTPServer, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.server.once('error', reject);
      srv.listen(port, deps.host, () => {
        srv.server.off('error', reject);
        resolve((srv.server.address() as AddressInfo).port);
      });
    });
  const port = await listen(plain, deps.port);
  const securePort = await listen(secure, deps.securePort);
  const stopSweep = sweepLongSessions([plain, secure], deps.sessionMaxMs ?? 600_000, log);
  return {
    port,
    securePort,
    close: async () => {
      stopSweep();
      await Promise.all([plain, secure].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    },
  };
}

/** The parts of smtp-server's connection objects the session sweeper uses (not in its typings). */
interface LiveConnection {
  remoteAddress?: string;
  send(code: number, message: string): void;
  close(): void;
}

/**
 * Closes sessions older than `maxMs` with 421: the idle timeout resets on every byte, so a client
 * trickling one byte at a time (slowloris) would otherwise hold a session forever.
 */
function sweepLongSessions(servers: SMTPServer[], maxMs: number, log: Logger): () => void {
  const firstSeen = new WeakMap<LiveConnection, number>();
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const srv of servers) {
        for (const conn of (srv as unknown as { connections: Set<LiveConnection> }).connections) {
          const since = firstSeen.get(conn);
          if (since === undefined) firstSeen.set(conn, now);
          else if (now - since > maxMs) {
            log.info({ remoteAddress: conn.remoteAddress, ageMs: now - since }, 'smtp session too long; closing');
            conn.send(421, '4.4.2 Session too long, closing connection');
            conn.close();
          }
        }
      }
    },
    Math.max(100, Math.min(5000, Math.floor(maxMs / 10))),
  );
  timer.unref();
  return () => clearInterval(timer);
}
