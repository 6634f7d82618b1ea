import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { classifyReply, type DeliveryResult } from './classify-reply.js';
import type { MxTarget } from './mx-resolver.js';

/** One SMTP transaction to one MX from one source IP. */
export interface AttemptInput {
  target: MxTarget;
  localAddress: string;
  heloName: string;
  /** Envelope sender; empty for the null reverse-path. */
  from: string;
  recipients: string[];
  raw: Buffer;
  timeoutMs: number;
}

/** Either the MX could not be talked to (try the next one), or each recipient got an answer. */
export type AttemptResult =
  | { kind: 'unreachable'; replyCode?: number; reply: string }
  | { kind: 'answered'; results: DeliveryResult[] };

const replyText = (err: NodemailerError) => (err.response ?? err.message).slice(0, 1000);

const resultFor = (recipient: string, mx: string, replyCode: number | undefined, reply: string): DeliveryResult => {
  const { status, reason } = classifyReply(replyCode);
  const result: DeliveryResult = { recipient, status, reason, reply, mx };
  if (replyCode !== undefined) result.replyCode = replyCode;
  return result;
};

/**
 * Runs one SMTP transaction: connect from `localAddress`, opportunistic STARTTLS, MAIL, RCPT per
 * recipient, DATA. Remote replies become values, never exceptions.
 */
export async function sendAttempt(input: AttemptInput): Promise<AttemptResult> {
  const mx = `${input.target.host}:${input.target.port}`;
  const conn = new SMTPConnection({
    host: input.target.host,
    port: input.target.port,
    localAddress: input.localAddress,
    name: input.heloName,
    secure: false,
    opportunisticTLS: true,
    // Opportunistic TLS to MX hosts does not authenticate the peer (RFC 7435); MTA-STS/DANE would.
    tls: { rejectUnauthorized: false },
    connectionTimeout: input.timeoutMs,
    greetingTimeout: input.timeoutMs,
    socketTimeout: input.timeoutMs,
    logger: false,
  });
  // SMTPConnection reports a failed connect or a dropped socket as an event, not through the
  // connect callback: race every phase against it so an attempt always settles.
  const failure = new Promise<never>((_, reject) => {
    conn.once('error', reject);
    conn.once('end', () => reject(Object.assign(new Error('connection closed by the remote host'), { code: 'ECONNECTION' })));
  });
  failure.catch(() => undefined);
  try {
    await Promise.race([new Promise<void>((resolve) => conn.connect(() => resolve())), failure]);
  } catch (err) {
    const e = err as NodemailerError;
    conn.close();
    return e.responseCode === undefined
      ? { kind: 'unreachable', reply: `${mx}: ${e.message}` }
      : { kind: 'unreachable', replyCode: e.responseCode, reply: replyText(e) };
  }
  try {
    const info = await Promise.race([
      new Promise<SendInfo>((resolve, reject) => sendOnce(conn, input, (err, result) => (err ? reject(err) : resolve(result)))),
      failure,
    ]);
    const results: DeliveryResult[] = info.accepted.map((r) => resultFor(r, mx, replyCodeOf(info.response), info.response));
    for (const rej of info.rejectedErrors ?? []) {
      results.push(resultFor(rej.recipient ?? '', mx, rej.responseCode, replyText(rej)));
    }
    conn.quit();
    return { kind: 'answered', results };
  } catch (err) {
    const e = err as NodemailerError;
    conn.close();
    if (e.rejectedErrors?.length && e.command === 'RCPT TO') {
      return { kind: 'answered', results: e.rejectedErrors.map((rej) => resultFor(rej.recipient ?? '', mx, rej.responseCode, replyText(rej))) };
    }
    // MAIL FROM or DATA refused, or the connection dropped mid-transaction: same answer for all.
    return { kind: 'answered', results: input.recipients.map((r) => resultFor(r, mx, e.responseCode, replyText(e))) };
  }
}

type SendInfo = { accepted: string[]; rejectedErrors?: NodemailerError[]; response: string };

function sendOnce(conn: SMTPConnection, input: AttemptInput, done: (err: NodemailerError | null, info: SendInfo) => void): void {
  conn.send(
    { from: input.from === '' ? false : input.from, to: input.recipients, size: input.raw.length },
    input.raw,
    (err, info) => (err ? done(err, { accepted: [], response: '' }) : done(null, info as SendInfo)),
  );
}

function replyCodeOf(response: string): number | undefined {
  const m = /^(\d{3})/.exec(response);
  return m?.[1] ? Number(m[1]) : undefined;
}
