import SMTPConnection, { type SentMessageInfo } from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { classifyReply, type DeliveryResult } from './classify-reply.js';
import type { MxTarget } from '../../core/index.js';

/** Where and how to connect. */
export interface SessionOptions {
  target: MxTarget;
  localAddress: string;
  heloName: string;
  timeoutMs: number;
  /** Refuse to send without STARTTLS (per destination policy). @defaultValue false: opportunistic */
  requireTls?: boolean;
}

/** Why no session was opened: the host did not answer, greeted with 421, or the source address cannot be bound. */
export interface Unreachable {
  unreachable: true;
  replyCode?: number;
  reply: string;
  /** The bind's error code when the source address is not available on this host. */
  bindError?: string;
}

/** The error code of a failed bind of the source address (nodemailer keeps the socket's code as `originalCode`). */
function bindErrorOf(err: unknown): string | undefined {
  const e = err as { syscall?: unknown; originalCode?: unknown; code?: unknown };
  if (e.syscall !== 'bind') return undefined;
  const code = typeof e.originalCode === 'string' ? e.originalCode : e.code;
  return code === 'EADDRNOTAVAIL' ? code : undefined;
}

const replyText = (err: NodemailerError) => (err.response ?? err.message).slice(0, 1000);

type Stage = NonNullable<DeliveryResult['stage']>;

/** The stage of nodemailer's error `command` ("MAIL FROM", "RCPT TO", "DATA"). */
function stageOf(command: string | undefined): Stage | undefined {
  if (command === undefined) return undefined;
  if (command.startsWith('MAIL')) return 'mail';
  if (command.startsWith('RCPT')) return 'rcpt';
  return command.startsWith('DATA') ? 'data' : undefined;
}

function resultFor(
  recipient: string,
  mx: string,
  replyCode: number | undefined,
  reply: string,
  stage?: Stage,
): DeliveryResult {
  const { status, reason } = classifyReply(replyCode);
  return {
    recipient,
    status,
    reason,
    reply,
    mx,
    ...(replyCode !== undefined ? { replyCode } : {}),
    ...(stage !== undefined ? { stage } : {}),
  };
}

/**
 * One SMTP connection to one MX from one source IP, able to carry several transactions
 * (connection reuse). Opportunistic STARTTLS; remote replies come back as values.
 */
export class MxSession {
  readonly mx: string;
  /** Transactions completed on this connection. */
  transactions = 0;
  #alive = true;
  readonly #conn: SMTPConnection;
  readonly #failure: Promise<never>;

  private constructor(conn: SMTPConnection, mx: string, failure: Promise<never>) {
    this.#conn = conn;
    this.mx = mx;
    this.#failure = failure;
  }

  /**
   * Connects and greets; an unreachable host or a 421 greeting is `{ unreachable }` (try the next
   * MX). A source address this host cannot bind fails before anything is sent: `bindError` holds
   * the error code (`EADDRNOTAVAIL`), and no other MX would fare better from that address.
   */
  static async open(options: SessionOptions): Promise<MxSession | Unreachable> {
    const mx = `${options.target.host}:${options.target.port}`;
    const conn = new SMTPConnection({
      host: options.target.host,
      port: options.target.port,
      localAddress: options.localAddress,
      name: options.heloName,
      secure: false,
      opportunisticTLS: !options.requireTls,
      requireTLS: options.requireTls === true,
      // Opportunistic TLS to MX hosts does not authenticate the peer (RFC 7435); MTA-STS/DANE would.
      tls: { rejectUnauthorized: false },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      logger: false,
    });
    // SMTPConnection reports a failed connect or a dropped socket as an event, not through the
    // callbacks: every step races against it so that nothing waits forever.
    const failure = new Promise<never>((_, reject) => {
      conn.once('error', reject);
      conn.once('end', () =>
        reject(Object.assign(new Error('connection closed by the remote host'), { code: 'ECONNECTION' })),
      );
    });
    failure.catch(() => undefined);
    try {
      await Promise.race([new Promise<void>((resolve) => conn.connect(() => resolve())), failure]);
    } catch (err) {
      const e = err as NodemailerError;
      conn.close();
      const local = bindErrorOf(err);
      if (local) return { unreachable: true, reply: `${options.localAddress}: ${e.message}`, bindError: local };
      return e.responseCode === undefined
        ? { unreachable: true, reply: `${mx}: ${e.message}` }
        : { unreachable: true, replyCode: e.responseCode, reply: replyText(e) };
    }
    const session = new MxSession(conn, mx, failure);
    failure.catch(() => {
      session.#alive = false;
    });
    return session;
  }

  /** Still connected and usable for another transaction. */
  get alive(): boolean {
    return this.#alive;
  }

  /** One transaction: MAIL FROM, RCPT per recipient, DATA. Per-recipient results, never throws. */
  async transaction(from: string, recipients: string[], raw: Buffer): Promise<DeliveryResult[]> {
    try {
      const info = await Promise.race([
        new Promise<SentMessageInfo>((resolve, reject) =>
          this.#conn.send({ from: from === '' ? false : from, to: recipients, size: raw.length }, raw, (err, result) =>
            err ? reject(err) : resolve(result),
          ),
        ),
        this.#failure,
      ]);
      this.transactions++;
      const code = /^(\d{3})/.exec(info.response)?.[1];
      const results = info.accepted.map((r) => resultFor(r, this.mx, code ? Number(code) : undefined, info.response));
      for (const rej of info.rejectedErrors ?? [])
        results.push(resultFor(rej.recipient ?? '', this.mx, rej.responseCode, replyText(rej), 'rcpt'));
      return results;
    } catch (err) {
      const e = err as NodemailerError;
      if (e.responseCode === undefined || e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT') this.#alive = false;
      // A server that answers e.g. "421 4.7.0 try again later" and hangs up (often with PIPELINING,
      // before the DATA reply) surfaces as a dropped connection: its last reply is the real answer.
      const last = this.#conn.lastServerResponse;
      if (e.responseCode === undefined && typeof last === 'string' && /^[45]\d\d[ -]/.test(last)) {
        return recipients.map((r) => resultFor(r, this.mx, Number(last.slice(0, 3)), last.slice(0, 1000)));
      }
      // Leave the server ready for the next transaction (RFC 5321 §4.1.1.5).
      if (this.#alive) await this.#reset();
      if (e.rejectedErrors?.length && e.command === 'RCPT TO') {
        return e.rejectedErrors.map((rej) =>
          resultFor(rej.recipient ?? '', this.mx, rej.responseCode, replyText(rej), 'rcpt'),
        );
      }
      return recipients.map((r) => resultFor(r, this.mx, e.responseCode, replyText(e), stageOf(e.command)));
    }
  }

  async #reset(): Promise<void> {
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => this.#conn.reset((err) => (err ? reject(err) : resolve()))),
        this.#failure,
      ]);
    } catch {
      this.#alive = false;
    }
  }

  /** QUIT politely. */
  quit(): void {
    this.#alive = false;
    this.#conn.quit();
  }

  /** Drops the connection. */
  close(): void {
    this.#alive = false;
    this.#conn.close();
  }
}
