import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import nodemailer from 'nodemailer';
import { waitFor } from './wait.js';

/** A raw, line-level SMTP client for testing replies to bad command sequences. */
export class SmtpDialog {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#listen();
  }

  /** Connects and reads the greeting. */
  static async open(
    port: number,
    options: { implicitTls?: boolean; localAddress?: string } = {},
  ): Promise<{ dialog: SmtpDialog; greeting: string }> {
    const plain = netConnect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    const socket = options.implicitTls ? tlsConnect({ socket: plain, rejectUnauthorized: false }) : plain;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const dialog = new SmtpDialog(socket);
    return { dialog, greeting: await dialog.readReply() };
  }

  #listen() {
    this.#socket.setEncoding('utf8');
    this.#socket.on('data', (d: string) => {
      this.#buffer += d;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#socket.on('error', () => undefined);
  }

  /** Reads one complete (possibly multi-line) reply. */
  async readReply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.#buffer);
      if (m) {
        this.#buffer = this.#buffer.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (Date.now() > deadline) throw new Error(`no reply; buffer: ${this.#buffer}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Sends one line and returns the reply. */
  async command(line: string): Promise<string> {
    this.#socket.write(`${line}\r\n`);
    return this.readReply();
  }

  /** Writes raw bytes without waiting. */
  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Upgrades the connection after a 220 reply to STARTTLS. */
  async startTls(): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (!reply.startsWith('220')) throw new Error(`STARTTLS refused: ${reply}`);
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.#socket = secure;
    this.#listen();
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** AUTH PLAIN argument for a username and password. */
export function authPlain(user: string, pass: string): string {
  return Buffer.from(`\0${user}\0${pass}`).toString('base64');
}

/** A nodemailer transport to the platform's submission port (587 STARTTLS, or 465 implicit TLS). */
export function submissionTransport(port: number, auth: { user: string; pass: string }, implicitTls = false) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: implicitTls,
    requireTLS: !implicitTls,
    auth,
    tls: { rejectUnauthorized: false },
  });
}

/**
 * Polls `MAIL FROM` on an authenticated session (with RSET after each accepted one) until it is
 * refused, at most `ms` after `since`: the reply, which the caller checks is a 5xx.
 */
export async function mailFromRefusedWithin(dialog: SmtpDialog, since: number, ms: number): Promise<string> {
  const reply = await waitFor(
    async () => {
      const r = await dialog.command('MAIL FROM:<app@sender.test>');
      if (r.startsWith('250')) await dialog.command('RSET');
      return r.startsWith('250') ? undefined : r;
    },
    ms,
    'MAIL FROM refused',
  );
  if (Date.now() - since >= ms) throw new Error(`MAIL FROM was refused only after ${Date.now() - since} ms`);
  return reply;
}
