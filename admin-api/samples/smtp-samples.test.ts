import { describe, expect, it } from 'vitest';
import { findSample as find, SAMPLE_TARGET as target } from '../../test/support/sample-target.js';
import { renderSamples, type SampleTarget } from './index.js';

const HOSTILE = `p'"$(id)\`id\`\\n%{x}\${z}é😀`;
const smtp = (t: SampleTarget) => renderSamples(t).filter((s) => s.transport === 'smtp');

describe('renderSamples: SMTP', () => {
  const samples = smtp(target);

  it('renders PHPMailer, Nodemailer, smtplib and swaks on the STARTTLS and the implicit TLS port', () => {
    expect(samples.map((s) => `${s.language}/${s.variant}`).sort()).toEqual(
      ['nodemailer', 'phpmailer', 'smtplib', 'swaks'].flatMap((l) => [`${l}/starttls`, `${l}/tls`]),
    );
    expect(new Set(samples.map((s) => s.filename)).size).toBe(8);
    expect(find(samples, 'swaks', 'tls').filename).toBe('send-swaks-tls.sh');
    for (const s of samples) {
      const port = s.variant === 'tls' ? '465' : '587';
      expect(s.title, s.filename).toContain(port);
      expect(s.code, s.filename).toMatch(new RegExp(`\\b${port}\\b`));
      for (const v of [
        target.smtpHost,
        target.username,
        target.password,
        'sender@example.com',
        'recipient@example.com',
      ])
        expect(s.code, s.filename).toContain(v);
      expect(s.code, s.filename).not.toContain(target.apiKey);
    }
  });

  it('asks for TLS the way each port needs it, and never turns certificate checks off', () => {
    expect(find(samples, 'phpmailer', 'starttls').code).toContain('PHPMailer::ENCRYPTION_STARTTLS');
    expect(find(samples, 'phpmailer', 'tls').code).toContain('PHPMailer::ENCRYPTION_SMTPS');
    expect(find(samples, 'nodemailer', 'starttls').code).toMatch(/secure: false,\n\s+requireTLS: true/);
    expect(find(samples, 'nodemailer', 'tls').code).toContain('secure: true');
    expect(find(samples, 'smtplib', 'starttls').code).toContain('smtp.starttls(context=context)');
    expect(find(samples, 'smtplib', 'tls').code).toContain('smtplib.SMTP_SSL(HOST, PORT, context=context)');
    expect(find(samples, 'swaks', 'starttls').code).toMatch(/ --tls --tls-verify/);
    expect(find(samples, 'swaks', 'tls').code).toMatch(/ --tls-on-connect --tls-verify/);
    for (const s of samples)
      expect(s.code, s.filename).not.toMatch(/rejectUnauthorized|verify_peer|CERT_NONE|allow_self_signed/);
  });

  it('quotes a password full of quotes, dollars and backslashes for each language', () => {
    const hostile = smtp({ ...target, password: HOSTILE, username: `u'"\\$` });
    const php = find(hostile, 'phpmailer', 'starttls').code;
    expect(php).toContain(`$mail->Password = 'p\\'"$(id)\`id\`\\\\n%{x}\${z}é😀';`);
    const node = find(hostile, 'nodemailer', 'tls').code;
    expect(JSON.parse(/pass: (".*?") \}/u.exec(node)![1]!)).toBe(HOSTILE);
    const py = find(hostile, 'smtplib', 'tls').code;
    expect(py).toContain('PASSWORD = "p\'\\"$(id)`id`\\\\n%{x}${z}\\xe9\\U0001f600"');
    const swaks = find(hostile, 'swaks', 'starttls').code;
    expect(swaks).toContain(`--auth-password 'p'\\''"$(id)\`id\`\\n%{x}\${z}é😀'`);
  });

  it('swaks: a password that begins with "-" (made before new ones stopped doing so) gets a note to rotate it', () => {
    const dashed = smtp({ ...target, password: '-WdmLn_rAqdrzH4S3' });
    const swaks = find(dashed, 'swaks', 'starttls').code;
    expect(swaks.split('\n')[0]).toMatch(/^# swaks reads a password that begins with "-" as an option/);
    expect(swaks).toContain(`--auth-password '-WdmLn_rAqdrzH4S3'`);
    expect(find(smtp(target), 'swaks', 'starttls').code).toMatch(/^swaks /);
  });
});

describe('the curl sample', () => {
  it('is one plain curl command: no bash syntax, no shell variables', () => {
    for (const s of renderSamples(target).filter((x) => x.language === 'curl')) {
      expect(s.code, s.filename).toMatch(/^(printf '[^']*' \| )?curl /);
      expect(s.code, s.filename).not.toMatch(/\$'|\[\[|\$\(|\$\{|\bfunction\b|<<</);
    }
  });
});
